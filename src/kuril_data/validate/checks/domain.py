"""Rules of the kuril-data model that the schemas cannot express. Each names the tables it needs
and applies only when the package has them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from kuril_data.io.read import Table
from kuril_data.model import dates
from kuril_data.report import Problem
from kuril_data.validate.checks.base import Check, Context, Message, Rows, View
from kuril_data.validate.checks.keys import link_rows, present, rows_of, values_at


class TableUnit(NamedTuple):
    table: Table


def _index(table: Table, key: str, value: str) -> dict[str, str]:
    """value by key, the last row winning (as a dict built from the rows)."""
    return dict(zip(table.column(key), table.column(value), strict=True))


def _occurrences(table: Table, column: str, values: list[str]) -> list[str]:
    """The values of `column` that are among `values`, as often as they occur there."""
    if table.arrow_read:
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit

        array = table.array(column)
        return list(array.filter(pc.is_in(array, value_set=lit.strings(sorted(set(values))))).to_pylist())
    wanted = set(values)
    return [v for v in table.column(column) if v in wanted]


class CitationUnit(NamedTuple):
    table: Table
    citations: Table
    links: tuple[tuple[str, str], ...]  # (this table's column, the citation column pointing at the same table)


class CitationLinks(Check):
    """A link row's citation must cite one of the records the row links."""

    MISMATCH = Message("citation-mismatch", "citation {citation!r} does not cite this row's {columns}")

    def units(self, ctx: Context) -> Iterable[CitationUnit]:
        citations = ctx.tables.get("citations")
        if citations is None:
            return
        schema = citations.resource.schema
        # The citation column that points at each resource, e.g. "actors" -> "actor_id".
        column_for = {fk.resource: fk.fields[0] for fk in schema.foreign_keys
                      if len(fk.fields) == 1 and fk.fields[0] in schema.exactly_one_of}
        for table in ctx.tables.values():
            if table is citations or "citation_id" not in table.columns:
                continue
            links = tuple((fk.fields[0], column_for[fk.resource]) for fk in table.resource.schema.foreign_keys
                          if len(fk.fields) == 1 and fk.resource in column_for and fk.fields[0] in table.columns)
            if links:
                yield CitationUnit(table, citations, links)

    def judge(self, ctx: Context, unit: CitationUnit, view: View) -> Iterator[Problem]:
        table, citations, links = unit
        cids = list(view.column("citation_id"))
        rows = rows_of(ctx, citations, "citation_id", cids)  # the citation of each row (its last row)
        mine = {m: view.column(m) for m, _ in links}
        cited = {theirs: values_at(citations, theirs, rows) for _, theirs in links}  # '' where its header lacks one
        for k, (cid, j, line) in enumerate(zip(cids, rows, view.lines, strict=True)):
            if j is None:
                continue  # reported as a foreign key
            if not any(mine[m][k] and cited[theirs][k] == mine[m][k] for m, theirs in links):
                yield self.MISMATCH(table, line, "citation_id", citation=cid,
                                    columns=" or ".join(m for m, _ in links))

    def find(self, ctx: Context, unit: CitationUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        table, citations, links = unit
        j = link_rows(ctx, table, "citation_id", citations, "citation_id")
        ok = None
        for m, theirs in links:
            values = table.array(m)
            ok = v.any_of(ok, pc.and_(v.filled(values), pc.equal(citations.array(theirs).take(j), values))
                          .fill_null(v.FALSE))
        return v.rows(pc.and_(pc.is_valid(j), pc.invert(ok)))


class UncitedUnit(NamedTuple):
    table: Table  # the cited table
    key: str
    citations: Table
    column: str  # the citation column pointing at it


class Uncited(Check):
    """Every record a citation can point at has at least one citation."""

    UNCITED = Message("uncited", "{record!r} has no citation; add a row to citations with its source and evidence")

    def units(self, ctx: Context) -> Iterable[UncitedUnit]:
        citations = ctx.tables.get("citations")
        if citations is None:
            return
        for column in citations.resource.schema.exactly_one_of:
            fk = next((k for k in citations.resource.schema.foreign_keys if k.fields == (column,)), None)
            target = ctx.tables.get(fk.resource) if fk else None
            if target is not None and fk is not None and fk.reference[0] in target.columns:
                yield UncitedUnit(target, fk.reference[0], citations, column)

    def judge(self, ctx: Context, unit: UncitedUnit, view: View) -> Iterator[Problem]:
        table, key, citations, column = unit
        ids = list(view.column(key))
        cited = present(citations, column, ids)
        for rid, line in zip(ids, view.lines, strict=True):
            if rid and rid not in cited:
                yield self.UNCITED(table, line, key, record=rid)

    def find(self, ctx: Context, unit: UncitedUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        table, key, citations, column = unit
        ids = table.array(key)
        index = v.link_index(ctx, citations, column, table, key) if v.distinct(ctx, table, key) else None
        # The cited ids: through the citations' row lookup when the ids all differ (a hash of the
        # few cited ids, not of every citation's column), else the column itself.
        cited = ids.take(pc.unique(index.drop_null())) if index is not None else citations.array(column)
        return v.rows(pc.and_(v.filled(ids), pc.invert(pc.is_in(ids, value_set=cited))))


class QuotationLanguage(Check):
    MISMATCH = Message("language-mismatch", "quotation is marked {mine!r} but its source {source!r} is {theirs!r}")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        if "quotations" in ctx.tables and "sources" in ctx.tables:
            yield TableUnit(ctx.tables["quotations"])

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        quotes, sources = unit.table, ctx.tables["sources"]
        lang: dict[str, str] | None = None
        for src, mine, line in zip(view.column("source_id"), view.column("language"), view.lines, strict=True):
            if not mine:
                continue
            if lang is None:
                lang = _index(sources, "source_id", "language")
            if src in lang and lang[src] != mine:
                yield self.MISMATCH(quotes, line, "language", mine=mine, source=src, theirs=lang[src])

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        quotes, sources = unit.table, ctx.tables["sources"]
        mine = quotes.array("language")
        theirs = sources.array("language").take(link_rows(ctx, quotes, "source_id", sources, "source_id"))
        return v.rows(pc.and_(v.filled(mine), pc.not_equal(theirs, mine)))


_AFTER_SIGNING = ("entry-into-force", "exchange-of-ratifications", "ratification")


class EventDates(Check):
    """Nothing is ratified before it was signed; a signing falls on the document's date."""

    BEFORE_SIGNING = Message("date-order", "{kind} dated {date} is before {document!r} is dated ({document_date})")
    SIGNING = Message("date-order", "signing dated {date} does not match {document!r} dated {document_date}")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        if "events" in ctx.tables and "documents" in ctx.tables:
            yield TableUnit(ctx.tables["events"])

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        events = unit.table
        doc_date = ctx.memo(("dates", "documents"), lambda: _index(ctx.tables["documents"], "document_id", "date"))
        for kind, doc, when, line in zip(view.column("kind"), view.column("document_id"), view.column("date"),
                                         view.lines, strict=True):
            mine, theirs = dates.date_range(when), dates.date_range(doc_date.get(doc, ""))
            if not (mine and theirs and mine.earliest and mine.latest and theirs.earliest and theirs.latest):
                continue
            if kind in _AFTER_SIGNING and mine.latest < theirs.earliest:
                yield self.BEFORE_SIGNING(events, line, "date", kind=kind, date=when, document=doc,
                                          document_date=doc_date[doc])
            if kind == "signing" and (mine.latest < theirs.earliest or mine.earliest > theirs.latest):
                yield self.SIGNING(events, line, "date", date=when, document=doc, document_date=doc_date[doc])

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        events, documents = unit.table, ctx.tables["documents"]
        kind = events.array("kind")
        doc_date = documents.array("date").take(link_rows(ctx, events, "document_id", documents, "document_id"))
        # Only a signing, or what comes after one, with a dated document is compared: the dates of
        # those rows alone are parsed.
        rows = v.rows(pc.and_(pc.is_in(kind, value_set=lit.strings([*_AFTER_SIGNING, "signing"])),
                              v.filled(doc_date.fill_null(v.EMPTY))))
        if not len(rows):
            return rows
        kind = kind.take(rows)
        mine_lo, mine_hi = v.date_bounds(events.array("date").take(rows))
        their_lo, their_hi = v.date_bounds(doc_date.take(rows))
        before = pc.less(mine_hi, their_lo)
        after_signing = pc.and_(pc.is_in(kind, value_set=lit.strings(list(_AFTER_SIGNING))), before)
        signing = pc.and_(pc.equal(kind, lit.lit("signing")), pc.or_(before, pc.greater(mine_lo, their_hi)))
        return rows.filter(pc.or_(after_signing, signing).fill_null(v.FALSE))


class ReplyDates(Check):
    """A reply is not dated before what it replies to."""

    BEFORE = Message("date-order", "replies to {document!r} ({document_date}) but is dated earlier")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        if "documents" in ctx.tables:
            yield TableUnit(ctx.tables["documents"])

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        documents = unit.table
        when = ctx.memo(("dates", "documents"), lambda: _index(documents, "document_id", "date"))
        for target, date, line in zip(view.column("in_reply_to"), view.column("date"), view.lines, strict=True):
            mine, theirs = dates.date_range(date), dates.date_range(when.get(target, ""))
            if mine and theirs and mine.latest and theirs.earliest and mine.latest < theirs.earliest:
                yield self.BEFORE(documents, line, "in_reply_to", document=target, document_date=when[target])

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        documents = unit.table
        date = documents.array("date")
        their_date = date.take(link_rows(ctx, documents, "in_reply_to", documents, "document_id")).fill_null(v.EMPTY)
        _, mine_hi = v.date_bounds(date)
        their_lo, _ = v.date_bounds(their_date)
        return v.rows(pc.less(mine_hi, their_lo))


class Disagreements(Check):
    """A disagreement has at least two accounts."""

    LONE = Message("lone-account", "disagreement {disagreement!r} has {count} account(s); it needs at least two")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        if "disagreements" in ctx.tables and "disagreement_accounts" in ctx.tables:
            yield TableUnit(ctx.tables["disagreements"])

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        ids = list(view.column("disagreement_id"))
        count = Counter(_occurrences(ctx.tables["disagreement_accounts"], "disagreement_id", ids))
        for did, line in zip(ids, view.lines, strict=True):
            if not did:
                continue
            if count[did] < 2:
                yield self.LONE(unit.table, line, "disagreement_id", disagreement=did, count=count[did])

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        counted = pc.value_counts(ctx.tables["disagreement_accounts"].array("disagreement_id"))
        ids = unit.table.array("disagreement_id")
        count = counted.field("counts").take(pc.index_in(ids, value_set=counted.field("values"))).fill_null(lit.lit(0))
        return v.rows(pc.and_(v.filled(ids), pc.less(count, lit.lit(2))))
