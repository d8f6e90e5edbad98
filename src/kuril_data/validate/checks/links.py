"""Self-links of a table: no loops (part_of, member_of, in_reply_to, translation_of), and a
translation is in another language than what it translates."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from kuril_data.io.read import Table
from kuril_data.model.package import ForeignKey
from kuril_data.report import Problem
from kuril_data.validate.checks.base import Check, Context, Message, Rows, View
from kuril_data.validate.checks.keys import lookup, rows_of


class SelfLink(NamedTuple):
    table: Table
    fk: ForeignKey


class Cycles(Check):
    LOOP = Message("cycle", "{field} links loop back: {loop}")

    def units(self, ctx: Context) -> Iterable[SelfLink]:
        for table in ctx.tables.values():
            schema = table.resource.schema
            for fk in schema.foreign_keys:
                if fk.resource != table.resource.name or len(fk.fields) != 1 or fk.reference != schema.primary_key:
                    continue
                if schema.primary_key[0] in table.columns and fk.fields[0] in table.columns:
                    yield SelfLink(table, fk)

    def judge(self, ctx: Context, unit: SelfLink, view: View) -> Iterator[Problem]:
        """Each loop once, from its member that comes first in the table, in one linear walk:
        every node is entered once (colouring), so a long chain costs no more than its length."""
        table, fk = unit
        key, link = fk.reference[0], fk.fields[0]
        parent = {k: v for k, v in zip(view.column(key), view.column(link), strict=True) if v}
        order = {k: n for n, k in enumerate(parent)}
        loops: list[list[str]] = []
        done: set[str] = set()
        for start in parent:
            if start in done:
                continue
            path: dict[str, int] = {}  # the nodes of this walk, in order (dicts keep it)
            node: str | None = start
            while node in parent and node not in done and node not in path:
                path[node] = len(path)
                node = parent[node]
            if node in path:  # the walk closed a loop that no earlier walk had reached
                members = list(path)[path[node]:]
                first = min(range(len(members)), key=lambda n: order[members[n]])
                loops.append(members[first:] + members[:first])
            done.update(path)
        # Each loop's line: the last line of its first member's id in the whole table.
        rows = rows_of(ctx, table, key, [loop[0] for loop in loops])
        for loop, row in zip(loops, rows, strict=True):
            line = table.line(row) if row is not None else None
            yield self.LOOP(table, line, link, field=link, loop=" → ".join([*loop, loop[0]]))

    def find(self, ctx: Context, unit: SelfLink) -> Rows:
        """The rows whose walk along the links reaches a loop (the others close none and stop no
        walk that does), found by pointer doubling over the rows' link targets. When an id is on
        more than one row, every row that has a link."""
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v
        from kuril_data.validate.checks.keys import link_rows

        table, fk = unit
        linked = v.filled(table.array(fk.fields[0]))
        if not v.distinct(ctx, table, fk.reference[0]):
            return v.rows(linked)
        step = link_rows(ctx, table, fk.fields[0], table, fk.reference[0]).cast("int64")
        step = pc.if_else(linked, step, lit.lit(None).cast("int64"))  # an empty link leads nowhere
        walked = 1
        while walked < table.num_rows:  # after n steps a walk that goes on is in a loop
            step, walked = step.take(step), walked * 2
        return v.rows(pc.is_valid(step))


class TranslationUnit(NamedTuple):
    table: Table
    key: str
    language: str


class Translations(Check):
    SAME_LANGUAGE = Message("translation-language", "translates {target!r}, which is in the same language ({language})")

    def units(self, ctx: Context) -> Iterable[TranslationUnit]:
        for table in ctx.tables.values():
            schema = table.resource.schema
            lang = next((f.name for f in schema.fields if f.language), None)
            if lang is not None and "translation_of" in table.columns and len(schema.primary_key) == 1:
                yield TranslationUnit(table, schema.primary_key[0], lang)

    def judge(self, ctx: Context, unit: TranslationUnit, view: View) -> Iterator[Problem]:
        table, key, lang = unit
        targets = list(view.column("translation_of"))
        language = lookup(ctx, table, key, lang, targets)  # '' where the header lacks the column
        for target, mine, line in zip(targets, view.column(lang), view.lines, strict=True):
            if not (target and mine):
                continue
            if language.get(target) == mine:
                yield self.SAME_LANGUAGE(table, line, "translation_of", target=target, language=mine)

    def find(self, ctx: Context, unit: TranslationUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v
        from kuril_data.validate.checks.keys import link_rows

        table, key, lang = unit
        targets, mine = table.array("translation_of"), table.array(lang)
        theirs = mine.take(link_rows(ctx, table, "translation_of", table, key))
        return v.rows(pc.and_(pc.and_(v.filled(targets), v.filled(mine)), pc.equal(theirs, mine)))
