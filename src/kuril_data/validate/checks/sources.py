"""Against the source texts (`validate --sources`): the files and their SHA-256, and quotations,
evidence and names verbatim at their locator. No finder: these read every row anyway."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from kuril_data.io.read import Table
from kuril_data.model.text import fold, show
from kuril_data.report import Problem
from kuril_data.validate.checks.base import Check, Context, Message, View


@dataclass
class SourceText:
    lines: list[str]
    folded: str


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
        texts[sid] = SourceText(text.split("\n"), fold(text))
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
                if last < first or last > len(source.lines):
                    yield self.OUTSIDE(table, line, "locator", locator=locator, count=len(source.lines))
                else:
                    span = fold(" ".join(source.lines[first - 1:last]))
            for name in fields:
                value = values[name][i]
                if not value:
                    continue
                folded = fold(value)
                if span is not None and folded in span:
                    continue
                if folded in source.folded:
                    yield self.ELSEWHERE(table, line, name, value=show(value), source=sid, locator=locator)
                else:
                    yield self.ABSENT(table, line, name, value=show(value), source=sid)
