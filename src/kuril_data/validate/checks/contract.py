"""The contract between checking and writing: what the writers rely on beyond the Table Schema
standard, checked here so that a package validate accepts is one every output can write.

- the fields the site, timeline and SQLite views read (`model.layout.OUTPUT_FIELDS`), present and
  typed as they expect when their table is there;
- dates within what every output can hold (`model.layout.LATEST_DAY`);
- record ids that name a file (a one-field primary key: the site writes `<resource>/<id>.html`)
  are one safe file name, and unique without regard to case (case-insensitive file systems).

Shape rules of the descriptor and schemas (reserved names and paths, field names, descriptor
text) are checked where those are read, in `model.package`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import NamedTuple

from kuril_data.io.read import Table
from kuril_data.model import dates
from kuril_data.model.layout import LATEST_DAY, MAX_ID_BYTES, OUTPUT_FIELDS, PAGE_INDEX
from kuril_data.model.package import Field
from kuril_data.report import Problem
from kuril_data.validate.checks.base import Check, Context, Message, Rows, View
from kuril_data.validate.checks.cells import FieldUnit
from kuril_data.validate.checks.domain import TableUnit

_LATEST = dt.date.fromisoformat(LATEST_DAY)


class OutputFields(Check):
    """A table the outputs read by name has the fields they read, of the type they expect."""

    MISSING = Message("output-field", "the {table!r} table needs a field {name!r}: the site, timeline and SQLite "
                                      "views read it")
    WRONG_TYPE = Message("output-field", "field {name!r} of {table!r} must be of type {want!r} (not {got!r}): the "
                                         "site, timeline and SQLite views read it as such")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        for table in ctx.tables.values():
            if table.resource.name in OUTPUT_FIELDS:
                yield TableUnit(table)

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        resource = unit.table.resource
        fields = {f.name: f for f in resource.schema.fields}
        for name, ftype in OUTPUT_FIELDS[resource.name].items():
            field = fields.get(name)
            if field is None:
                problem = self.MISSING(unit.table, None, name, table=resource.name, name=name)
            elif field.type != ftype:
                problem = self.WRONG_TYPE(unit.table, None, name, table=resource.name, name=name, want=ftype,
                                          got=field.type)
            else:
                continue
            yield replace(problem, file=resource.schema_path)  # a problem of the schema, not of the data


class DateRange(Check):
    """An EDTF date no later than LATEST_DAY at either end."""

    LATE = Message("date-range", "{value!r} reaches {day}, past {latest}: the timeline and the site cannot draw "
                                 "it; state the date as the sources do, within years 1 to 9998")

    def units(self, ctx: Context) -> Iterable[FieldUnit]:
        for table in ctx.tables.values():
            for field in table.resource.schema.fields:
                if field.edtf and field.name in table.columns:
                    yield FieldUnit(table, field)

    def judge(self, ctx: Context, unit: FieldUnit, view: View) -> Iterator[Problem]:
        table, field = unit
        for value, line in zip(view.column(field.name), view.lines, strict=True):
            if not value:
                continue
            span = dates.date_range(value)
            ends = [d for d in (span.earliest, span.latest) if d is not None] if span else []
            if ends and max(ends) > _LATEST:
                yield self.LATE(table, line, field.name, value=value, day=max(ends).isoformat(), latest=LATEST_DAY)

    def find(self, ctx: Context, unit: FieldUnit) -> Rows:
        """Rows whose text could reach year 9999: four nines, or a form the plain years do not show
        (an open end, unspecified digits, an exponent)."""
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        return v.rows(pc.match_substring_regex(unit.table.array(unit.field.name), r"99|\.\.|[XYESu]"))


class KeyField(NamedTuple):
    table: Table
    field: Field


def unsafe_id(value: str) -> str | None:
    """Why a record id cannot be its page's file name `<id>.html`, or None."""
    if "/" in value or "\\" in value:
        return "holds a '/' or '\\'; a page name is one path segment"
    if value in (".", "..") or value.startswith("."):
        return "starts with '.'; a page name may not be hidden or climb out of its folder"
    if ":" in value:
        return "holds a ':', which names a drive or a stream on some systems"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return "holds a control character"
    if len(value.encode("utf-8")) > MAX_ID_BYTES:
        return f"is longer than {MAX_ID_BYTES} bytes, too long for a file name"
    if value.casefold() == PAGE_INDEX:
        return f"is {PAGE_INDEX!r}, the name of the table's own index page"
    return None


class PageIds(Check):
    """A one-field primary key names files: each id one safe file name, unique without regard to case."""

    UNSAFE = Message("unsafe-id", "{value!r} {why}")
    CASE = Message("unsafe-id", "{value!r} differs from {other!r} (line {first}) only in case; on a "
                                "case-insensitive file system their pages would be one file")

    def units(self, ctx: Context) -> Iterable[KeyField]:
        for table in ctx.tables.values():
            key = table.resource.schema.primary_key
            if len(key) == 1 and key[0] in table.columns:
                field = table.resource.schema.field(key[0])
                if field.type == "string":
                    yield KeyField(table, field)

    def judge(self, ctx: Context, unit: KeyField, view: View) -> Iterator[Problem]:
        table, field = unit
        seen: dict[str, tuple[str, int]] = {}
        for value, line in zip(view.column(field.name), view.lines, strict=True):
            if not value:
                continue
            why = unsafe_id(value)
            if why:
                yield self.UNSAFE(table, line, field.name, value=value, why=why)
            folded = value.casefold()
            other = seen.get(folded)
            if other is None:
                seen[folded] = (value, line)
            elif other[0] != value:
                yield self.CASE(table, line, field.name, value=value, other=other[0], first=other[1])

    def find(self, ctx: Context, unit: KeyField) -> Rows:
        """Rows `unsafe_id` could object to, and every row whose folded id occurs more than once
        (a possible case clash, its first occurrence included). Arrow folds ASCII only, so the few
        non-ASCII ids are folded by Python's casefold, as the judgement does."""
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        table, name = unit.table, unit.field.name
        array = table.array(name)
        mask = pc.or_(pc.match_substring_regex(array, r"[/\\:\x00-\x1f\x7f]|\A\."),
                      pc.greater(pc.binary_length(array), lit.lit(MAX_ID_BYTES)))
        other = pc.invert(pc.string_is_ascii(array))
        values = array.filter(other).to_pylist() if pc.any(other).as_py() else []
        folds = any(x.casefold() != x for x in values) or pc.any(pc.match_substring_regex(array, "[A-Z]")).as_py()
        if not folds and v.distinct(ctx, table, name):  # no id changes when folded, and all differ: no clash
            return v.rows(pc.and_(pc.or_(mask, pc.equal(array, lit.lit(PAGE_INDEX))), v.filled(array)))
        folded = pc.ascii_lower(array)
        if values:
            folded = pc.replace_with_mask(folded, other, lit.strings([x.casefold() for x in values]))
        counts = pc.value_counts(folded)
        repeated = counts.filter(pc.greater(counts.field("counts"), v.ONE)).field("values")
        mask = pc.or_(mask, pc.equal(folded, lit.lit(PAGE_INDEX)))
        return v.rows(pc.and_(pc.or_(mask, pc.is_in(folded, value_set=repeated)), v.filled(array)))
