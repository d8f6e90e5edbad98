"""Each cell on its own: required, clean text, the field's type and constraints, EDTF dates,
language tags, and (a warning) spreadsheet-formula starts. Driven by the schemas' fields."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any, NamedTuple

from kuril_data.io.read import Table
from kuril_data.model import dates
from kuril_data.model.package import Field
from kuril_data.model.patterns import fullmatch, plain
from kuril_data.model.text import FORBIDDEN, FORMULA_START, MAX_COMBINING_RUN, blank, long_combining_run, show
from kuril_data.model.types import FIELD_TYPES
from kuril_data.report import Problem
from kuril_data.validate.checks.base import STREAMED, Check, Context, Message, Rows, View, streamed

Verdict = tuple[Message, dict[str, Any]]


class FieldUnit(NamedTuple):
    table: Table
    field: Field


class Cells(Check):
    REQUIRED = Message("required", "a value is required")
    WHITESPACE = Message("whitespace", "{value} has white space at the start or end")
    CONTROL = Message("control-character",
                      "contains the invisible or control character U+{code:04X} at position {position}")
    COMBINING_RUN = Message("combining-run", "has {count} combining marks in a row at position {position}; "
                            "at most {limit} may follow one another")
    NOT_NFC = Message("not-nfc", "{value} is not in Unicode NFC form; normalise it (kuril-data fmt does)")
    TYPE = Message("type-error", "{value} {reason}")
    ENUM = Message("enum", "{value} is not one of: {allowed}")
    PATTERN = Message("pattern", "{value} does not match the pattern {pattern}")
    PATTERN_NON_ASCII = Message("pattern", "{value} contains the non-ASCII character {char!r} "
                                "(U+{code:04X} {name}); must match {pattern}")
    TOO_SHORT = Message("length", "{value} is shorter than {limit} characters")
    TOO_LONG = Message("length", "is {length} characters long; the most allowed is {limit}")
    BELOW = Message("range", "{value} is less than the minimum {limit}")
    ABOVE = Message("range", "{value} is more than the maximum {limit}")
    EDTF = Message("edtf", "{value} {reason} (use e.g. 1956, 1956-10, 1956-10-19, 1955-06-03/1955-09, 1956-08?)")
    INTERVAL = Message("interval-order", "{value} ends before it starts")
    LANGUAGE = Message("language-tag", "{value} is not a valid BCP 47 language tag (e.g. en, pl, th, ru, ja)")
    FORMULA = Message("formula-like", "{value} starts like a spreadsheet formula; check it was not "
                      "mangled by a spreadsheet", "warning")

    def units(self, ctx: Context) -> Iterable[FieldUnit]:
        for table in ctx.tables.values():
            for field in table.resource.schema.fields:
                if field.name in table.columns:
                    yield FieldUnit(table, field)

    def block_units(self, part: Table) -> Iterable[tuple[FieldUnit, list[str]]]:
        for name in part.header:
            yield FieldUnit(part, part.resource.schema.field(name)), [name]

    def judge(self, ctx: Context, unit: FieldUnit, view: View) -> Iterator[Problem]:
        table, field = unit
        if table.spilled(field.name) and (view.rows is None or view.rows is STREAMED):
            yield from streamed(self, ctx, unit, [field.name], view.rows)  # block by block: see base.streamed
            return
        required = field.required or field.name in table.resource.schema.primary_key
        formula = field.type == "string"
        verdicts: dict[str, Verdict | None] = {}
        for value, line in zip(view.column(field.name), view.lines, strict=True):
            if not value or (required and blank(value)):  # only invisible characters: missing too
                if required:
                    yield self.REQUIRED(table, line, field.name)
                continue
            if value not in verdicts:
                verdicts[value] = cell_verdict(field, value)
            verdict = verdicts[value]
            if verdict:
                yield verdict[0](table, line, field.name, **verdict[1])
            if formula and value.startswith(FORMULA_START):
                yield self.FORMULA(table, line, field.name, value=show(value, 30))

    def find(self, ctx: Context, unit: FieldUnit) -> Rows:
        """Empty cells of a required field, and every non-empty value the judgement may object to
        or that starts like a formula."""
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        table, field = unit
        if table.spilled(field.name):
            return STREAMED  # found block by block as the column is judged
        array = table.array(field.name)
        empty = pc.equal(array, v.EMPTY)
        mask = _candidates(ctx, table, field, array)
        keep = pc.invert(empty) if mask is None else pc.and_(mask, pc.invert(empty))
        if field.required or field.name in table.resource.schema.primary_key:
            keep = pc.or_(keep, empty)
        return v.rows(keep)


def cell_verdict(field: Field, value: str) -> Verdict | None:
    """The first thing wrong with one non-empty cell (its message and values), or None."""
    if value != value.strip():
        return Cells.WHITESPACE, {"value": show(value)}
    bad = FORBIDDEN.search(value)
    if bad:
        return Cells.CONTROL, {"code": ord(bad.group()), "position": bad.start() + 1}
    run = long_combining_run(value)  # before normalising, which is quadratic in such a run
    if run:
        return Cells.COMBINING_RUN, {"position": run[0], "count": run[1], "limit": MAX_COMBINING_RUN}
    if not (value.isascii() or unicodedata.is_normalized("NFC", value)):  # bounded: no long run (above)
        return Cells.NOT_NFC, {"value": show(value)}
    typed = FIELD_TYPES[field.type].problem(value)
    if typed:
        return Cells.TYPE, {"value": show(value), "reason": typed}
    c = field.constraints
    if "enum" in c and value not in [str(v) for v in c["enum"]]:
        return Cells.ENUM, {"value": show(value), "allowed": ", ".join(map(str, c["enum"]))}
    if "pattern" in c and not fullmatch(c["pattern"], value):
        odd = next((ch for ch in value if ord(ch) > 127), None)
        if odd is not None:
            return Cells.PATTERN_NON_ASCII, {"value": show(value), "char": odd, "code": ord(odd),
                                             "name": unicodedata.name(odd, "unnamed"), "pattern": c["pattern"]}
        return Cells.PATTERN, {"value": show(value), "pattern": c["pattern"]}
    if "minLength" in c and len(value) < c["minLength"]:
        return Cells.TOO_SHORT, {"value": show(value), "limit": c["minLength"]}
    if "maxLength" in c and len(value) > c["maxLength"]:
        return Cells.TOO_LONG, {"length": len(value), "limit": c["maxLength"]}
    if field.type in ("integer", "number", "year"):
        if "minimum" in c and float(value) < float(c["minimum"]):
            return Cells.BELOW, {"value": show(value), "limit": c["minimum"]}
        if "maximum" in c and float(value) > float(c["maximum"]):
            return Cells.ABOVE, {"value": show(value), "limit": c["maximum"]}
    if field.edtf:
        try:
            parsed = dates.parse(value)
        except dates.EDTFError as exc:
            return Cells.EDTF, {"value": show(value), "reason": str(exc)}
        if parsed.interval_reversed:
            return Cells.INTERVAL, {"value": show(value)}
    if field.language and not language_ok(value):
        return Cells.LANGUAGE, {"value": show(value)}
    return None


MAX_LANGUAGE_TAG = 255  # longer is no tag anyone writes; langcodes is not handed it


# Tags langcodes accepts (tests/test_arrow_rules.py asserts it), answered without importing it
# (its import compiles a regex of every registered subtag: ~25 ms of a cold `validate`).
KNOWN_LANGUAGE_TAGS = frozenset({"en", "ja", "ru", "pl", "th", "de", "fr", "zh", "ko", "uk", "ain"})


@lru_cache(maxsize=4096)
def language_ok(tag: str) -> bool:
    if tag in KNOWN_LANGUAGE_TAGS:
        return True
    if len(tag) > MAX_LANGUAGE_TAG:
        return False
    import langcodes

    return bool(langcodes.tag_is_valid(tag))


def _candidates(ctx: Context, table: Table, field: Field, array: Any) -> Any:
    """True for every non-empty value `cell_verdict` may object to or that starts like a formula;
    None: every value."""
    import pyarrow.compute as pc

    from kuril_data.model import arrow_lit as lit
    from kuril_data.validate.checks import vector as v

    if field.type != "string":
        return None  # all values: the real schemas have only strings; typed fields are checked exactly
    c = field.constraints
    if isinstance(c.get("pattern"), str) and plain(c["pattern"]):
        mask = v.formula_like(array)
    else:
        mask = v.suspects(ctx, table, field.name)
    if "enum" in c:
        mask = v.any_of(mask, pc.invert(pc.is_in(array, value_set=lit.strings([str(x) for x in c["enum"]]))))
    if "pattern" in c:
        try:  # Arrow's RE2: the engine the judgement matches with (per value: ~50 ns, hashing saves little)
            matched = pc.match_substring_regex(array, rf"\A(?:{c['pattern']})\z")
        except Exception:  # RE2 refuses it: judge every value exactly
            return None
        mask = v.any_of(mask, pc.invert(matched))
    if "minLength" in c or "maxLength" in c:
        bad = v.bad_length(array, c.get("minLength"), c.get("maxLength"))
        mask = mask if bad is None else v.any_of(mask, bad)
    if field.edtf:
        mask = v.any_of(mask, pc.invert(v.sure_dates(array)))
    if field.language:
        unique = pc.unique(array).to_pylist()
        bad = [x for x in unique if x and not language_ok(x)]
        if bad:
            mask = v.any_of(mask, pc.is_in(array, value_set=lit.strings(bad)))
    return mask
