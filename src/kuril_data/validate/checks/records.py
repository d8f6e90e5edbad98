"""Rules of the data conventions (docs/conventions.md) that keep records honest about what their
sources support: dates carry the bounds the structured fields give, a date's evidence names a date,
every actor, place and document is referred to, and commentary is not filed as a document's text.
Each names the tables it needs and applies only when the package has them."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from kuril_data.io.read import Table
from kuril_data.model import dates
from kuril_data.report import Problem
from kuril_data.validate.checks.base import CHUNK, Check, Context, Message, Rows, View
from kuril_data.validate.checks.keys import link_rows, lookup, rows_of, values_at

# Events that bring their document into being: they cannot precede what that document answers.
_ISSUING = ("dispatch", "signing", "publication")


class TableUnit(NamedTuple):
    table: Table


def _index(table: Table, key: str, value: str) -> dict[str, str]:
    return dict(zip(table.column(key), table.column(value), strict=True))


def _range(value: str) -> dates.DateRange | None:
    """The day range of a valid date; None for an empty, invalid or over-long one (reported as such)."""
    return dates.date_range(value) if len(value) <= dates.MAX_LENGTH else None


def _beyond(mine: dates.DateRange, lo: dates.DateRange | None, hi: dates.DateRange | None) -> str | None:
    """How `mine` reaches past a lower bound (`lo`'s earliest day) or an upper one (`hi`'s latest),
    or None when it keeps within them. Only a date that overlaps its bounds is *vaguer* than them;
    one wholly outside contradicts them and is left to date-order."""
    low = lo.earliest if lo else None
    high = hi.latest if hi else None
    if (low and mine.latest and mine.latest < low) or (high and mine.earliest and mine.earliest > high):
        return None
    if low and (mine.earliest is None or mine.earliest < low):
        return "starts before"
    if high and (mine.latest is None or mine.latest > high):
        return "ends after"
    return None


class DateBounds(Check):
    """A date is not vaguer than the bounds structured fields state: an event lies within the event
    it is `part_of`, a signing within its document's date, the issuing of a reply (and the reply
    itself) not before the document it answers."""

    VAGUER = Message("date-vaguer-than-bounds",
                     "date {date} {how} {bound} ({why}); put the bound into the date, e.g. an interval")
    OUTSIDE = Message("date-order",
                      "date {date} lies outside {bound}, the date of the event it is part of ({parent!r})")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        for name in ("events", "documents"):
            if name in ctx.tables and "documents" in ctx.tables:
                yield TableUnit(ctx.tables[name])

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        table = unit.table
        documents = ctx.tables["documents"]
        if table.resource.name == "documents":
            targets = list(view.column("in_reply_to"))
            doc_date = lookup(ctx, documents, "document_id", "date", targets)
            for target, when, line in zip(targets, view.column("date"), view.lines, strict=True):
                yield from self._reply(table, line, when, target, doc_date, "this document replies to")
            return
        # The bounds of these rows only: the dates of their parents, documents, and what those reply to.
        parents, docs = list(view.column("part_of")), list(view.column("document_id"))
        event_date = lookup(ctx, table, "event_id", "date", parents)
        replies = lookup(ctx, documents, "document_id", "in_reply_to", docs)
        doc_date = lookup(ctx, documents, "document_id", "date", docs + [r or "" for r in replies.values()])
        for kind, doc, parent, when, line in zip(view.column("kind"), docs, parents, view.column("date"),
                                                 view.lines, strict=True):
            mine = _range(when)
            if mine is None:
                continue
            if parent:
                whole = _range(event_date.get(parent) or "")
                if whole is not None:
                    how = _beyond(mine, whole, whole)
                    if how:
                        yield self.VAGUER(table, line, "date", date=when, how=how, bound=event_date[parent],
                                          why=f"the date of {parent!r}, which it is part of")
                    elif (whole.earliest and mine.latest and mine.latest < whole.earliest) or \
                            (whole.latest and mine.earliest and mine.earliest > whole.latest):
                        yield self.OUTSIDE(table, line, "date", date=when, bound=event_date[parent], parent=parent)
            if kind == "signing" and doc_date.get(doc):
                signed = _range(doc_date[doc] or "")
                how = _beyond(mine, signed, signed) if signed else None
                if how:
                    yield self.VAGUER(table, line, "date", date=when, how=how, bound=doc_date[doc],
                                      why=f"the date of {doc!r}, which it signs")
            if kind in _ISSUING and replies.get(doc):
                yield from self._reply(table, line, when, replies[doc] or "", doc_date,
                                       f"{doc!r}, which it issues, replies to")

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        """Dated rows that have a bound: a parent event, or a document it signs or issues (events);
        a document it replies to (documents). An empty id names a record too if one has it."""
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        table, documents = unit.table, ctx.tables["documents"]
        ids = documents.array("document_id")
        empty_id = bool(len(ids)) and not pc.all(v.filled(ids)).as_py()

        def names(column: str) -> Any:  # the rows whose `column` may name a document
            values = table.array(column)
            return v.filled(values) if not empty_id else pc.is_valid(values)

        if table.resource.name == "documents":
            bounded = names("in_reply_to")
        else:
            kinds = pc.is_in(table.array("kind"), value_set=lit.strings(["signing", *_ISSUING]))
            bounded = pc.or_(v.filled(table.array("part_of")), pc.and_(kinds, names("document_id")))
        return v.rows(pc.and_(v.filled(table.array("date")), bounded))

    def _reply(self, table: Table, line: int, when: str, target: str, doc_date: dict[str, str | None],
               what: str) -> Iterator[Problem]:
        mine, answered = _range(when), _range(doc_date.get(target) or "")
        if mine is None or answered is None:
            return
        how = _beyond(mine, answered, None)
        if how:
            yield self.VAGUER(table, line, "date", date=when, how=how, bound=answered.earliest.isoformat()
                              if answered.earliest else doc_date[target],
                              why=f"the earliest date of {target!r}, which {what}")


class DateCitation(Check):
    """The citation named as the evidence of an event's date cites that event and contains a date."""

    UNDATED = Message("undated-date-citation",
                      "date citation {citation!r} contains no date expression (no year or month name)", "warning")
    MISMATCH = Message("citation-mismatch", "date citation {citation!r} does not cite this event")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        events = ctx.tables.get("events")
        if events is not None and "citations" in ctx.tables and "date_citation_id" in events.columns:
            yield TableUnit(events)

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        citations = ctx.tables["citations"]
        cids = list(view.column("date_citation_id"))
        rows = [j if cid else None for cid, j in zip(cids, rows_of(ctx, citations, "citation_id", cids), strict=True)]
        cited, evidence = values_at(citations, "event_id", rows), values_at(citations, "evidence", rows)
        for eid, cid, j, their, text, line in zip(view.column("event_id"), cids, rows, cited, evidence, view.lines,
                                                  strict=True):
            if j is None:
                continue  # empty, or reported as a foreign key
            if their != eid:
                yield self.MISMATCH(unit.table, line, "date_citation_id", citation=cid)
            if not dates.has_date_expression(text or ""):
                yield self.UNDATED(unit.table, line, "date_citation_id", citation=cid)

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        """Events whose date citation is a citation: the judgement reads only these."""
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        events = unit.table
        cited = link_rows(ctx, events, "date_citation_id", ctx.tables["citations"], "citation_id")
        return v.rows(pc.and_(v.filled(events.array("date_citation_id")), pc.is_valid(cited)))


# The records every other record should reach: a warning names one that nothing refers to.
_REFERRED = ("actors", "places", "documents")


class RefUnit(NamedTuple):
    table: Table
    key: str


class Unreferenced(Check):
    """An actor, place or document that no other record refers to: no link, no event or document,
    no quotation, no disagreement whose evidence is one of its citations. Its own names, roles and
    citations do not count (they describe it); nor does a row pointing at itself."""

    UNREFERENCED = Message("unreferenced",
                           "{record!r} is referred to by no other record; link it where the sources do", "warning")

    def units(self, ctx: Context) -> Iterable[RefUnit]:
        for name in _REFERRED:
            table = ctx.tables.get(name)
            if table is not None and table.resource.schema.primary_key and _all_readable(ctx, name):
                yield RefUnit(table, table.resource.schema.primary_key[0])

    def judge(self, ctx: Context, unit: RefUnit, view: View) -> Iterator[Problem]:
        ids = view.column(unit.key)
        if unit.table.arrow_read and view.rows is not None:  # a finder's few candidates: looked up with Arrow
            from kuril_data.model import arrow_lit as lit

            referred: Sequence[bool] = _referred_mask(ctx, unit.table, lit.strings(list(ids))).to_pylist()
        else:
            known = ctx.memo(("referred", unit.table.resource.name), lambda: _referred(ctx, unit.table))
            referred = [rid in known for rid in ids]
        for rid, seen, line in zip(ids, referred, view.lines, strict=True):
            if rid and not seen:
                yield self.UNREFERENCED(unit.table, line, unit.key, record=rid)

    def find(self, ctx: Context, unit: RefUnit) -> Rows:
        """The records no other record refers to (`_referred_mask`)."""
        import pyarrow.compute as pc

        from kuril_data.validate.checks import vector as v

        ids = unit.table.array(unit.key)
        return v.rows(pc.and_(v.filled(ids), pc.invert(_referred_mask(ctx, unit.table, ids))))


def _all_readable(ctx: Context, target: str) -> bool:
    """Whether every table that may refer to `target` was read with its columns: an unreadable or
    empty one may hold the references, so there is no verdict without it."""
    for resource in ctx.package.resources:
        fks = [fk for fk in resource.schema.foreign_keys if fk.resource in (target, "citations")]
        if not fks:
            continue
        table = ctx.tables.get(resource.name)
        if table is None or any(f not in table.columns for fk in fks for f in fk.fields):
            return False
    return True


def _referring(ctx: Context, target: str) -> Iterator[tuple[Table, str, bool]]:
    """(table, column, self-referencing) for every foreign-key column that refers to `target`, except
    the citations' record columns and a describing table's subject (its primary key's first field)."""
    for table in ctx.tables.values():
        schema = table.resource.schema
        for fk in schema.foreign_keys:
            if fk.resource != target or len(fk.fields) != 1 or fk.fields[0] not in table.columns:
                continue
            column = fk.fields[0]
            if column in schema.exactly_one_of or (schema.primary_key and schema.primary_key[0] == column):
                continue
            yield table, column, table.resource.name == target


def _referred(ctx: Context, target: Table) -> set[str]:
    """The IDs of `target` that some other record refers to."""
    name, key = target.resource.name, target.resource.schema.primary_key[0]
    found: set[str] = set()
    for table, column, self_ref in _referring(ctx, name):
        found.update(_distinct(table, column, key if self_ref else None))
    citations = ctx.tables.get("citations")
    cited_by = _cited_by(citations, name) if citations is not None else None
    if citations is None or cited_by is None:
        return found
    used: set[str] = set()
    for table, column in _citing_accounts(ctx, citations):
        used.update(_distinct(table, column))
    if citations.arrow_read:  # the record of each used citation, without a list of every citation
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit

        hit = pc.is_in(citations.array("citation_id"), value_set=lit.strings(sorted(used)))
        found.update(v for v in pc.unique(citations.array(cited_by).filter(hit)).to_pylist() if v)
        return found
    found.update(rid for cid, rid in zip(citations.column("citation_id"), citations.column(cited_by), strict=True)
                 if rid and cid in used)
    return found


def _cited_by(citations: Table, target: str) -> str | None:
    """The citations' column naming a record of `target`, if it has one."""
    schema = citations.resource.schema
    return next((fk.fields[0] for fk in schema.foreign_keys
                 if fk.resource == target and fk.fields[0] in schema.exactly_one_of), None)


def _citing_accounts(ctx: Context, citations: Table) -> Iterator[tuple[Table, str]]:
    """(table, column) of every citation link in a table that refers to none of the cited records
    directly (a disagreement account): a record whose citation it uses is part of what it records."""
    schema = citations.resource.schema
    cited = {fk.resource for fk in schema.foreign_keys if len(fk.fields) == 1 and fk.fields[0] in schema.exactly_one_of}
    for table in ctx.tables.values():
        fks = table.resource.schema.foreign_keys
        if table is citations or any(fk.resource in cited for fk in fks):
            continue
        for fk in fks:
            if fk.resource == "citations" and len(fk.fields) == 1 and fk.fields[0] in table.columns:
                yield table, fk.fields[0]


def _referred_mask(ctx: Context, target: Table, ids: Any) -> Any:
    """Whether some other record refers to each of `ids` (what `_referred` holds), with Arrow:
    each referring column probed, no set of its values made in Python."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from kuril_data.validate.checks import vector as v

    name, key = target.resource.name, target.resource.schema.primary_key[0]
    found = pc.is_in(ids, value_set=ids.slice(0, 0))  # all false
    for table, column, self_ref in _referring(ctx, name):
        values = table.array(column)
        if self_ref:
            values = values.filter(pc.not_equal(values, table.array(key)))
        found = pc.or_(found, pc.is_in(ids, value_set=values))
    citations = ctx.tables.get("citations")
    cited_by = _cited_by(citations, name) if citations is not None else None
    used = [table.array(column) for table, column in _citing_accounts(ctx, citations)] \
        if citations is not None and cited_by is not None else []
    if citations is not None and cited_by is not None and used:
        used_ids = pa.chunked_array(used, pa.string())
        hit = pc.is_in(citations.array("citation_id"), value_set=used_ids.filter(v.filled(used_ids)))
        found = pc.or_(found, pc.is_in(ids, value_set=citations.array(cited_by).filter(hit)))
    return pc.and_(found, v.filled(ids))


def _distinct(table: Table, column: str, own: str | None = None) -> set[str]:
    """The non-empty values of `column` (with `own`: in the rows where it differs from column
    `own`, i.e. not pointing at themselves), as a set; with Arrow for an Arrow-read table, so no
    list of the whole column is made."""
    if table.arrow_read:
        import pyarrow.compute as pc

        values = table.array(column)
        if own is not None:
            values = values.filter(pc.not_equal(values, table.array(own)))
        found = set(pc.unique(values).to_pylist())
    elif own is not None:
        found = {v for v, mine in zip(table.column(column), table.column(own), strict=True) if v != mine}
    else:
        found = set(table.column(column))
    found.discard("")
    return found


class CommentaryOrigin(Check):
    """Commentary (the article author's own words) is never the text of a document: the document it
    talks about belongs in `about_document_id`, not `document_id`."""

    ORIGIN = Message("commentary-with-origin",
                     "commentary is not quoted from a document; move {document!r} to about_document_id")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        quotes = ctx.tables.get("quotations")
        if quotes is not None and {"voice", "document_id"} <= set(quotes.columns):
            yield TableUnit(quotes)

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        for voice, doc, line in zip(view.column("voice"), view.column("document_id"), view.lines, strict=True):
            if voice == "commentary" and doc:
                yield self.ORIGIN(unit.table, line, "document_id", document=doc)

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        quotes = unit.table
        return v.rows(pc.and_(pc.equal(quotes.array("voice"), lit.lit("commentary")),
                              v.filled(quotes.array("document_id"))))


class OfficialTextSource(Check):
    """Only an official source (a compendium of documents) gives a document's official text: a
    quotation taken from an article is the article's rendering (`voice = rendering`, the document in
    `about_document_id`), so a query for a document's official text returns only official text."""

    SOURCE = Message("official-text-source",
                     "voice is official-text but the quotation is taken from {source!r}, a source of kind "
                     "{kind!r}; an article's rendering of a document is voice 'rendering' about that document")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        quotes, sources = ctx.tables.get("quotations"), ctx.tables.get("sources")
        if quotes is not None and sources is not None and {"voice", "source_id"} <= set(quotes.columns) \
                and {"source_id", "kind"} <= set(sources.columns):
            yield TableUnit(quotes)

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        kinds = _index(ctx.tables["sources"], "source_id", "kind")
        for voice, source, line in zip(view.column("voice"), view.column("source_id"), view.lines, strict=True):
            kind = kinds.get(source)
            if voice == "official-text" and kind is not None and kind != "document-compendium":
                yield self.SOURCE(unit.table, line, "voice", source=source, kind=kind)

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        quotes, sources = unit.table, ctx.tables["sources"]
        kind = sources.array("kind").take(link_rows(ctx, quotes, "source_id", sources, "source_id"))
        return v.rows(pc.and_(pc.equal(quotes.array("voice"), lit.lit("official-text")),
                              pc.not_equal(kind, lit.lit("document-compendium"))))


class LinkBasis(Check):
    """A link between an actor and an event or document rests on its citation: the excerpt names the
    actor (in any spelling of `actor_names`, or the actor's English name), or the link is marked
    `basis = inferred` with its reasoning in `note`. Whether an excerpt that names the actor also
    states the link is a judgement, so a missing name is a warning; an inferred link without a note
    is an error."""

    UNNAMED = Message("unnamed-participant",
                      "the excerpt of {citation!r} does not name {actor!r} in any spelling the package records; "
                      "cite an excerpt that names it, or mark the link basis 'inferred' with the reasoning in note",
                      "warning")
    NO_NOTE = Message("inferred-without-note",
                      "the link is marked inferred but note gives no reasoning; say which lines the inference rests on")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        if ctx.tables.get("citations") is None:
            return
        for name in ("event_actors", "document_actors"):
            table = ctx.tables.get(name)
            if table is not None and {"actor_id", "citation_id", "basis", "note"} <= set(table.columns):
                yield TableUnit(table)

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        """CHUNK rows at a time: the excerpts and spellings of one chunk's links are held, not all."""
        cites = ctx.tables["citations"]
        columns = [view.column(n) for n in ("actor_id", "citation_id", "basis", "note")]
        lines = view.lines
        for start in range(0, len(lines), CHUNK):
            actors, cids, bases, notes = (c[start:start + CHUNK] for c in columns)
            stated = [k for k, basis in enumerate(bases) if basis != "inferred"]
            names = _spellings(ctx, {actors[k] for k in stated})
            # The excerpts of the links not marked inferred only (the only ones read).
            excerpt = dict(zip(stated, values_at(cites, "evidence", rows_of(ctx, cites, "citation_id",
                                                                            [cids[k] for k in stated])), strict=True))
            for k, (actor, citation, basis, note, line) in enumerate(zip(
                    actors, cids, bases, notes, lines[start:start + CHUNK], strict=True)):
                if basis == "inferred":
                    if not note:
                        yield self.NO_NOTE(unit.table, line, "note")
                    continue
                text = excerpt[k]
                if text is None or actor not in names:
                    continue  # a dangling key is foreign-key's to report
                folded = text.casefold()
                if not any(name in folded for name in names[actor]):
                    yield self.UNNAMED(unit.table, line, "citation_id", citation=citation, actor=actor)

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        """Links marked inferred without a note, and every link not marked inferred (whether its
        excerpt names the actor is Python's casefold and substring search, done on these only)."""
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        table = unit.table
        inferred = pc.equal(table.array("basis"), lit.lit("inferred"))
        return v.rows(pc.invert(pc.and_(inferred, v.filled(table.array("note")))))


def _spellings(ctx: Context, actors: set[str]) -> dict[str, list[str]]:
    """The casefolded spellings of each of `actors`: its names in actor_names, then its own name
    (read for these actors only)."""
    names: dict[str, list[str]] = {}
    if not actors:
        return names
    for table in (ctx.tables.get("actor_names"), ctx.tables.get("actors")):
        if table is None or not {"actor_id", "name"} <= set(table.columns):
            continue
        rows = _rows_with(table, "actor_id", actors)
        for actor, name in zip(table.take("actor_id", rows), table.take("name", rows), strict=True):
            if name:
                names.setdefault(actor, []).append(name.casefold())
    return names


def _rows_with(table: Table, name: str, values: set[str]) -> list[int]:
    """The rows (in order) whose `name` is one of `values`."""
    if table.arrow_read:
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        return list(v.rows(pc.is_in(table.array(name), value_set=lit.strings(sorted(values)))).to_pylist())
    return [i for i, x in enumerate(table.column(name)) if x in values]


class RepeatedAccount(Check):
    """One account per source and passage: two accounts of one disagreement whose citations quote the
    same passage (same source and locator, one excerpt inside the other) are one account cited twice."""

    TWICE = Message("repeated-account",
                    "{citation!r} quotes the same passage as {other!r}, already an account of {disagreement!r}; "
                    "keep one account per passage", "warning")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        accounts, citations = ctx.tables.get("disagreement_accounts"), ctx.tables.get("citations")
        if accounts is not None and citations is not None \
                and {"disagreement_id", "citation_id"} <= set(accounts.columns) \
                and {"citation_id", "source_id", "locator", "evidence"} <= set(citations.columns):
            yield TableUnit(accounts)

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        cites = ctx.tables["citations"]
        disagreements, citations = view.column("disagreement_id"), view.column("citation_id")
        # The passage of each citation an account cites (only those: the citations table is larger).
        cids = sorted(set(citations))
        rows = rows_of(ctx, cites, "citation_id", cids)
        passage = {cid: (src, loc, " ".join((ev or "").split())) for cid, j, src, loc, ev in zip(
            cids, rows, values_at(cites, "source_id", rows), values_at(cites, "locator", rows),
            values_at(cites, "evidence", rows), strict=True) if j is not None}
        # Every account of a disagreement that could repeat another is in the view (see `find`).
        seen: dict[str, list[str]] = {}
        first: dict[tuple[str, str], str] = {}
        for disagreement, citation in zip(disagreements, citations, strict=True):
            here = passage.get(citation)
            if here is not None:
                for other in seen.get(disagreement, []):
                    there = passage[other]
                    if here[:2] == there[:2] and (here[2] in there[2] or there[2] in here[2]):
                        first.setdefault((disagreement, citation), other)
                        break
                seen.setdefault(disagreement, []).append(citation)
        for disagreement, citation, line in zip(disagreements, citations, view.lines, strict=True):
            repeated = first.get((disagreement, citation))
            if repeated is not None:
                yield self.TWICE(unit.table, line, "citation_id", citation=citation, other=repeated,
                                 disagreement=disagreement)

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        """Every account of a disagreement whose citation has the source and locator of another
        of its accounts' citations: only such accounts can repeat one another, and all of each
        group are kept, so the judgement finds the same first account of a passage."""

        from kuril_data.validate.checks import vector as v

        table, cites = unit.table, ctx.tables["citations"]
        j = link_rows(ctx, table, "citation_id", cites, "citation_id")  # null: no passage, never compared
        codes, _ = v.group_codes(table.array("disagreement_id"), cites.array("source_id").take(j),
                                 cites.array("locator").take(j))
        return v.rows(v.repeated(codes))


# A line reference, in a locator ("line 5", "lines 5-7") or in running text of a note ("(line 134)").
_LINES = re.compile(r"\blines? ([1-9][0-9]*)(?:-([1-9][0-9]*))?")


def _span(text: str) -> tuple[int, int] | None:
    m = _LINES.match(text)
    return (int(m.group(1)), int(m.group(2) or m.group(1))) if m else None


def _cited_at_lines(cites: Table, key: str, sources: set[str]) -> list[int]:
    """The citations from one of `sources` that cite a record (`key` filled) at lines their locator
    names: the only ones `_span` finds a span in (found with Arrow when the table was read by it)."""
    if not sources:
        return []
    if cites.arrow_read:
        import pyarrow.compute as pc

        from kuril_data.model import arrow_lit as lit
        from kuril_data.validate.checks import vector as v

        lined = pc.match_substring_regex(cites.array("locator"), r"\Alines? [1-9]")
        mine = pc.is_in(cites.array("source_id"), value_set=lit.strings(sorted(sources)))
        return list(v.rows(pc.and_(pc.and_(v.filled(cites.array(key)), mine), lined)).to_pylist())
    return [i for i, (rid, source, locator) in enumerate(zip(cites.column(key), cites.column("source_id"),
                                                             cites.column("locator"), strict=True))
            if rid and source in sources and _span(locator)]


class RoleDates(Check):
    """A role's date lies within what its citation supports: the dates its excerpt states, and the
    dates of the events and documents the same source cites at the excerpt's lines or at the lines
    the role's note names ("line 134"), since a role's bounds often come from the happenings of
    the same passage. An open end of the role's date is not compared (it says the sources give no
    bound). Whether a passage's happenings bound the role is a judgement, so this is a warning."""

    OUTSIDE = Message("role-date-unsupported",
                      "role date {date} {how} {bound}, the span of the dates its citation {citation!r} supports "
                      "(its excerpt, and the events and documents cited at its lines or at lines its note names); "
                      "give the role the bounds the sources give", "warning")
    NOTHING = Message("role-date-unsupported",
                      "role date {date} rests on nothing dated: the excerpt of {citation!r} states no date and no "
                      "event or document is cited at its lines; name in note the lines its date rests on", "warning")

    def units(self, ctx: Context) -> Iterable[TableUnit]:
        roles, cites = ctx.tables.get("actor_roles"), ctx.tables.get("citations")
        if roles is not None and cites is not None and {"date", "citation_id", "note"} <= set(roles.columns) \
                and {"citation_id", "source_id", "locator", "evidence"} <= set(cites.columns):
            yield TableUnit(roles)

    def _dated(self, ctx: Context, sources: set[str]) -> dict[str, list[tuple[int, int, str]]]:
        """By source (of `sources` only): (first line, last line, date) of every dated event and
        document cited there."""
        cites = ctx.tables["citations"]
        found: dict[str, list[tuple[int, int, str]]] = {}
        for name, key in (("events", "event_id"), ("documents", "document_id")):
            table = ctx.tables.get(name)
            if table is None or key not in cites.columns or not {key, "date"} <= set(table.columns):
                continue
            rows = _cited_at_lines(cites, key, sources)
            rids = cites.take(key, rows)
            when = values_at(table, "date", rows_of(ctx, table, key, rids))  # the last row of each id, as a dict
            for rid, source, locator, date in zip(rids, cites.take("source_id", rows), cites.take("locator", rows),
                                                  when, strict=True):
                span = _span(locator)
                if rid and date and span:
                    found.setdefault(source, []).append((*span, date))
        return found

    def find(self, ctx: Context, unit: TableUnit) -> Rows:
        """Roles with a date: the others have nothing to compare."""
        from kuril_data.validate.checks import vector as v

        return v.rows(v.filled(unit.table.array("date")))

    def judge(self, ctx: Context, unit: TableUnit, view: View) -> Iterator[Problem]:
        cites = ctx.tables["citations"]
        cids = list(view.column("citation_id"))
        rows = rows_of(ctx, cites, "citation_id", cids)
        sources = values_at(cites, "source_id", rows)
        dated = self._dated(ctx, {s for s in sources if s is not None})
        cited = zip(values_at(cites, "locator", rows), values_at(cites, "evidence", rows), sources, strict=True)
        for when, citation, note, line, (locator, evidence, source) in zip(
                view.column("date"), cids, view.column("note"), view.lines, cited, strict=True):
            mine = _range(when)
            if mine is None or locator is None or evidence is None:
                continue  # undated, invalid, or a dangling key: nothing to compare here
            span = _span(locator)
            spans = ([span] if span else []) + [(int(a), int(b or a)) for a, b in _LINES.findall(note)]
            support = dates.stated_dates(evidence)
            support += [d for first, last, d in dated.get(source or "", [])
                        if any(first <= hi and lo <= last for lo, hi in spans)]
            ranges = [r for r in map(_range, support) if r is not None]
            if not ranges:
                yield self.NOTHING(unit.table, line, "date", date=when, citation=citation)
                continue
            lows = [r.earliest for r in ranges if r.earliest]
            highs = [r.latest for r in ranges if r.latest]
            low, high = (min(lows) if lows else None), (max(highs) if highs else None)
            if low and mine.earliest and mine.earliest < low:
                yield self.OUTSIDE(unit.table, line, "date", date=when, how="starts before", bound=low.isoformat(),
                                   citation=citation)
            elif high and mine.latest and mine.latest > high:
                yield self.OUTSIDE(unit.table, line, "date", date=when, how="ends after", bound=high.isoformat(),
                                   citation=citation)
