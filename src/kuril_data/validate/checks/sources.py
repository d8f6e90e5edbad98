"""Against the source texts (`validate --sources`): the files and their SHA-256, and quotations,
evidence and names verbatim at their locator. No finder: these read every row anyway."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from kuril_data.io.read import Table
from kuril_data.model.text import fold, long_combining_run, nfc, show
from kuril_data.report import Problem
from kuril_data.validate.checks.base import Check, Context, Message, View, streamed

SHORT_SPAN = 4096  # characters: a locator's span searched before the whole text (a line is ~500)


@dataclass
class SourceText:
    """A source text folded once (`fold`, line by line, lines joined by one space), with where each
    line's folded text starts and ends in it: a locator's span is a range of offsets, never a copy."""

    folded: str
    starts: list[int]
    ends: list[int]
    first: dict[str, int] = field(default_factory=dict)  # folded value -> its first offset, or -1

    @classmethod
    def of(cls, text: str) -> SourceText:
        pieces: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        pos = 0
        # `fold` of each line. NFC never joins across a line end, so, unless a line holds an
        # over-long run of combining marks (which `fold` leaves as it is), the text is normalised
        # once, whole, and each line's white space folded: one call instead of one per line.
        whole = not long_combining_run(text)
        for line in (nfc(text) if whole else text).split("\n"):
            folded = " ".join(line.split()) if whole else fold(line)
            if folded:
                pos += bool(pieces)  # the space joining it to the line before
                pieces.append(folded)
            starts.append(pos)  # a blank line spans nothing, where it stands
            pos += len(folded)
            ends.append(pos)
        return cls(" ".join(pieces), starts, ends)

    @property
    def count(self) -> int:
        return len(self.starts)

    def find(self, value: str, span: tuple[int, int] | None) -> int:
        """Where the folded `value` occurs: 1 within the lines `span` (first, last), 0 elsewhere
        (or somewhere, without a span), -1 nowhere.
        A short span (most locators name a line or a few) is searched first, as a value mostly is
        there: at most SHORT_SPAN characters a row. Otherwise one search of the whole text per
        distinct value (remembered), then at most one search bounded by the span: linear in the
        text whatever the locators."""
        if span is not None:
            begin, end = self.starts[span[0] - 1], self.ends[span[1] - 1]
            if end - begin <= SHORT_SPAN and self.folded.find(value, begin, end) >= 0:
                return 1
        at = self.first.get(value)
        if at is None:
            at = self.first[value] = self.folded.find(value)
        if at < 0 or span is None:
            return min(at, 0)
        if at >= begin:
            return 1 if at + len(value) <= end else 0
        return 1 if self.folded.find(value, begin, end) >= 0 else 0


class _Loaded(NamedTuple):
    texts: dict[str, SourceText]
    problems: list[Problem]


class SourceUnit(NamedTuple):
    table: Table


class SourceFiles(Check):
    MISSING = Message("source-missing", "source file {name!r} is not in {folder}")
    CHECKSUM = Message("source-checksum", "{name} has SHA-256 {actual}, not the one recorded")

    def units(self, ctx: Context) -> Iterable[SourceUnit]:
        if "sources" in ctx.tables and ctx.sources_dir is not None:
            yield SourceUnit(ctx.tables["sources"])

    def judge(self, ctx: Context, unit: SourceUnit, view: View) -> Iterator[Problem]:
        yield from _load(ctx).problems


def _load(ctx: Context) -> _Loaded:
    """The source texts by source_id, read once, and the problems with their files."""
    return ctx.memo(("source-texts",), lambda: _read_sources(ctx))


def _read_sources(ctx: Context) -> _Loaded:
    sources = ctx.tables.get("sources")
    if sources is None or ctx.sources_dir is None:
        return _Loaded({}, [])
    import hashlib  # only with --sources: OpenSSL's start-up is ~3 ms

    texts: dict[str, SourceText] = {}
    problems: list[Problem] = []
    for sid, name, digest, line in zip(*(sources.column(c) for c in ("source_id", "path", "sha256")),
                                       sources.lines, strict=True):
        if not (sid and name) or "/" in name or "\\" in name or name.startswith("."):
            continue  # malformed rows are reported by the cell rules
        path = ctx.sources_dir / name
        if path.is_symlink() or not path.is_file():
            problems.append(SourceFiles.MISSING(sources, line, "path", name=name, folder=ctx.sources_dir))
            continue
        raw = path.read_bytes()
        actual = hashlib.sha256(raw).hexdigest()
        if digest and actual != digest:
            problems.append(SourceFiles.CHECKSUM(sources, line, "sha256", name=name, actual=actual))
        text = raw.decode("utf-8", errors="replace")
        texts[sid] = SourceText.of(text)
    return _Loaded(texts, problems)


_LOCATOR = re.compile(r"^lines? ([1-9][0-9]*)(?:-([1-9][0-9]*))?$")


class VerbatimUnit(NamedTuple):
    table: Table
    fields: tuple[str, ...]


class Verbatim(Check):
    """Quotations, evidence and names occur verbatim in their source, at their locator."""

    OUTSIDE = Message("locator-range", "{locator!r} is outside the source ({count} lines) or reversed")
    ELSEWHERE = Message("not-at-locator", "{value} is in source {source!r} but not at {locator!r}")
    ABSENT = Message("not-in-source", "{value} is not found verbatim in source {source!r}")

    def units(self, ctx: Context) -> Iterable[VerbatimUnit]:
        if ctx.sources_dir is None or "sources" not in ctx.tables:
            return
        for table in ctx.tables.values():
            fields = tuple(f.name for f in table.resource.schema.fields if f.verbatim and f.name in table.columns)
            if fields and "source_id" in table.columns:
                yield VerbatimUnit(table, fields)

    def judge(self, ctx: Context, unit: VerbatimUnit, view: View) -> Iterator[Problem]:
        table, fields = unit
        texts = _load(ctx).texts
        if not texts:
            return
        names = [*fields, "source_id", "locator"]
        if view.rows is None and any(table.spilled(n) for n in names):  # row-local: block by block
            yield from streamed(self, ctx, unit, names, None)
            return
        values = {name: view.column(name) for name in fields}
        for i, (sid, locator, line) in enumerate(zip(view.column("source_id"), view.column("locator"),
                                                     view.lines, strict=True)):
            source = texts.get(sid)
            if source is None:
                continue
            m = _LOCATOR.match(locator)
            span = None
            if m:
                first, last = int(m.group(1)), int(m.group(2) or m.group(1))
                if last < first or last > source.count:
                    yield self.OUTSIDE(table, line, "locator", locator=locator, count=source.count)
                else:
                    span = (first, last)
            for name in fields:
                value = values[name][i]
                if not value:
                    continue
                where = source.find(fold(value), span)
                if where == 1:
                    continue
                if where >= 0:
                    yield self.ELSEWHERE(table, line, name, value=show(value), source=sid, locator=locator)
                else:
                    yield self.ABSENT(table, line, name, value=show(value), source=sid)
