"""The checks. Each rule is a small function that yields Problems; `RULES` lists them in order.

Rules are driven by the Table Schemas: field types and constraints, primary and foreign keys,
and the `x-kuril-*` properties (EDTF dates, language tags, verbatim text, exactly-one-of).
Only the domain rules at the end name tables of the kuril-data model, and each skips quietly
when the package has no such table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from . import dates
from .package import Field, Package
from .read import Table
from .report import Problem


@dataclass
class Context:
    package: Package
    tables: dict[str, Table]  # readable tables, by resource name
    sources_dir: Path | None = None


Rule = Callable[[Context], Iterator[Problem]]

# Characters no cell may hold: C0/C1 controls, and invisible format characters (zero-width,
# bidirectional overrides, BOM) that make two different values look the same.
_FORBIDDEN = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_FORMULA_START = ("=", "+", "-", "@")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^[0-9]{4}$")
_TRUE, _FALSE = {"true", "True", "TRUE", "1"}, {"false", "False", "FALSE", "0"}


def _show(value: str, limit: int = 60) -> str:
    shown = value if len(value) <= limit else value[:limit] + "…"
    return '"' + shown.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"' \
        if _FORBIDDEN.search(shown) or not shown.isprintable() else f'"{shown}"'


def _fold(text: str) -> str:
    """NFC, then every run of white space as one space: the only looseness verbatim checks allow."""
    return " ".join(unicodedata.normalize("NFC", text).split())


# ---------------------------------------------------------------- cells


def cell_problem(field: Field, value: str) -> tuple[str, str] | None:
    """The first (code, message) wrong with one non-empty cell, or None. Pure: cached per value."""
    if value != value.strip():
        return "whitespace", f"{_show(value)} has white space at the start or end"
    bad = _FORBIDDEN.search(value)
    if bad:
        return "control-character", (f"contains the invisible or control character U+{ord(bad.group()):04X}"
                                     f" at position {bad.start() + 1}")
    if not unicodedata.is_normalized("NFC", value):
        return "not-nfc", f"{_show(value)} is not in Unicode NFC form; normalise it (kuril-data fmt does)"
    typed = _type_problem(field.type, value)
    if typed:
        return "type-error", f"{_show(value)} {typed}"
    c = field.constraints
    if "enum" in c and value not in [str(v) for v in c["enum"]]:
        return "enum", f"{_show(value)} is not one of: {', '.join(map(str, c['enum']))}"
    if "pattern" in c and not re.fullmatch(c["pattern"], value):
        return "pattern", _pattern_message(value, c["pattern"])
    if "minLength" in c and len(value) < c["minLength"]:
        return "length", f"{_show(value)} is shorter than {c['minLength']} characters"
    if "maxLength" in c and len(value) > c["maxLength"]:
        return "length", f"is {len(value)} characters long; the most allowed is {c['maxLength']}"
    for key, op, word in (("minimum", float.__lt__, "less"), ("maximum", float.__gt__, "more")):
        if key in c and field.type in ("integer", "number", "year") and op(float(value), float(c[key])):
            return "range", f"{_show(value)} is {word} than the {key} {c[key]}"
    if field.edtf:
        try:
            parsed = dates.parse(value)
        except dates.EDTFError as exc:
            return "edtf", f"{_show(value)} {exc} (use e.g. 1956, 1956-10, 1956-10-19, 1955-06-03/1955-09, 1956-08?)"
        if parsed.interval_reversed:
            return "interval-order", f"{_show(value)} ends before it starts"
    if field.language and not _language_ok(value):
        return "language-tag", f"{_show(value)} is not a valid BCP 47 language tag (e.g. en, pl, th, ru, ja)"
    return None


def _pattern_message(value: str, pattern: str) -> str:
    odd = next((ch for ch in value if ord(ch) > 127), None)
    if odd is not None:
        name = unicodedata.name(odd, "unnamed")
        return (f"{_show(value)} contains the non-ASCII character {odd!r} (U+{ord(odd):04X} {name}); "
                f"must match {pattern}")
    return f"{_show(value)} does not match the pattern {pattern}"


def _type_problem(ftype: str, value: str) -> str | None:
    if ftype == "string":
        return None
    if ftype == "integer":
        return None if _INTEGER.match(value) else "is not an integer"
    if ftype == "number":
        ok = _NUMBER.match(value) and math.isfinite(float(value))
        return None if ok else "is not a number"
    if ftype == "boolean":
        return None if value in _TRUE | _FALSE else "is not true or false"
    if ftype == "year":
        return None if _YEAR.match(value) else "is not a four-digit year"
    if ftype == "date":
        if not _DATE.match(value):
            return "is not a date in the form YYYY-MM-DD"
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return "is not a real calendar date"
    return None


@lru_cache(maxsize=4096)
def _language_ok(tag: str) -> bool:
    import langcodes

    return langcodes.tag_is_valid(tag)


def check_cells(ctx: Context) -> Iterator[Problem]:
    for table in ctx.tables.values():
        for field in table.resource.schema.fields:
            if field.name not in table.columns:
                continue
            values = table.columns[field.name]
            verdicts: dict[str, tuple[str, str] | None] = {}
            for value in set(values):
                if value:
                    verdicts[value] = cell_problem(field, value)
            required = field.required or field.name in table.resource.schema.primary_key
            for value, line in zip(values, table.lines, strict=True):
                if not value:
                    if required:
                        yield Problem(table.file, line, field.name, "required", "a value is required")
                    continue
                verdict = verdicts[value]
                if verdict:
                    yield Problem(table.file, line, field.name, verdict[0], verdict[1])
                if value.startswith(_FORMULA_START) and field.type == "string":
                    yield Problem(table.file, line, field.name, "formula-like",
                                  f"{_show(value, 30)} starts like a spreadsheet formula; check it was not "
                                  "mangled by a spreadsheet", "warning")


def check_unique(ctx: Context) -> Iterator[Problem]:
    for table in ctx.tables.values():
        schema = table.resource.schema
        for field in schema.fields:
            if field.constraints.get("unique") and field.name in table.columns and (field.name,) != schema.primary_key:
                yield from _duplicates(table, (field.name,), "unique")


def check_primary_key(ctx: Context) -> Iterator[Problem]:
    for table in ctx.tables.values():
        key = table.resource.schema.primary_key
        if key and all(k in table.columns for k in key):
            yield from _duplicates(table, key, "primary-key")


def _duplicates(table: Table, key: tuple[str, ...], code: str) -> Iterator[Problem]:
    first: dict[tuple[str, ...], int] = {}
    cols = [table.columns[k] for k in key]
    for i, line in enumerate(table.lines):
        raw = tuple(c[i] for c in cols)
        if not all(raw):
            continue  # empty key parts are reported as required
        value = tuple(unicodedata.normalize("NFC", v) for v in raw)
        if value in first:
            same = "" if all(unicodedata.is_normalized("NFC", v) for v in raw) else " (after NFC)"
            label = ", ".join(key)
            yield Problem(table.file, line, label, code,
                          f"{'/'.join(raw)!r} duplicates line {first[value]}{same}; {label} must be unique")
        else:
            first[value] = line


def check_foreign_keys(ctx: Context) -> Iterator[Problem]:
    for table in ctx.tables.values():
        for fk in table.resource.schema.foreign_keys:
            target = ctx.tables.get(fk.resource)
            if target is None or not all(f in table.columns for f in fk.fields):
                continue  # an unreadable target is reported on its own
            if target.num_rows and not all(f in target.columns for f in fk.reference):
                continue  # the target's header is wrong: reported on its own
            known = set(zip(*(target.column(f) for f in fk.reference), strict=True))
            cols = [table.columns[f] for f in fk.fields]
            for i, line in enumerate(table.lines):
                value = tuple(c[i] for c in cols)
                if not any(value):
                    continue  # an empty optional link is no link
                if value not in known:
                    shown = "/".join(value)
                    yield Problem(table.file, line, ",".join(fk.fields), "foreign-key",
                                  f'"{shown}" is not found in {fk.resource} ({"/".join(fk.reference)})')


def check_exactly_one_of(ctx: Context) -> Iterator[Problem]:
    for table in ctx.tables.values():
        names = [n for n in table.resource.schema.exactly_one_of if n in table.columns]
        if not names:
            continue
        for i, line in enumerate(table.lines):
            filled = [n for n in names if table.columns[n][i]]
            if len(filled) != 1:
                got = ", ".join(filled) if filled else "none"
                yield Problem(table.file, line, None, "exactly-one-of",
                              f"exactly one of {', '.join(names)} must be filled (got {got})")


def check_cycles(ctx: Context) -> Iterator[Problem]:
    """Self-references (part_of, member_of, in_reply_to, translation_of) must not loop."""
    for table in ctx.tables.values():
        schema = table.resource.schema
        for fk in schema.foreign_keys:
            if fk.resource != table.resource.name or len(fk.fields) != 1 or fk.reference != schema.primary_key:
                continue
            ids, refs = table.columns.get(schema.primary_key[0]), table.columns.get(fk.fields[0])
            if ids is None or refs is None:
                continue
            parent = {k: v for k, v in zip(ids, refs, strict=True) if v}
            line_of = dict(zip(ids, table.lines, strict=True))
            reported: set[str] = set()
            for start in parent:
                seen: list[str] = []
                node: str | None = start
                while node in parent and node not in seen:
                    seen.append(node)
                    node = parent[node]
                if node in seen and start == node:
                    loop = seen[seen.index(node):]
                    if not reported.intersection(loop):
                        reported.update(loop)
                        yield Problem(table.file, line_of[start], fk.fields[0], "cycle",
                                      f"{fk.fields[0]} links loop back: {' → '.join([*loop, node])}")


def check_translations(ctx: Context) -> Iterator[Problem]:
    """A translation is in another language than what it translates."""
    for table in ctx.tables.values():
        schema = table.resource.schema
        lang = next((f.name for f in schema.fields if f.language), None)
        if lang is None or "translation_of" not in table.columns or len(schema.primary_key) != 1:
            continue
        ids, langs = table.column(schema.primary_key[0]), table.column(lang)  # '' where the header lacks one
        language = dict(zip(ids, langs, strict=True))
        for i, line in enumerate(table.lines):
            target = table.columns["translation_of"][i]
            mine = langs[i]
            if target and target in language and language[target] == mine and mine:
                yield Problem(table.file, line, "translation_of", "translation-language",
                              f"translates {target!r}, which is in the same language ({mine})")


# ------------------------------------------------- domain rules of the kuril-data model


def check_citation_links(ctx: Context) -> Iterator[Problem]:
    """A link row's citation must cite one of the records the row links."""
    citations = ctx.tables.get("citations")
    if citations is None:
        return
    schema = citations.resource.schema
    # The citation column that points at each resource, e.g. "actors" -> "actor_id".
    column_for = {fk.resource: fk.fields[0] for fk in schema.foreign_keys
                  if len(fk.fields) == 1 and fk.fields[0] in schema.exactly_one_of}
    by_id = {cid: i for i, cid in enumerate(citations.column("citation_id"))}
    for table in ctx.tables.values():
        if table is citations or "citation_id" not in table.columns:
            continue
        links = [(fk.fields[0], column_for[fk.resource]) for fk in table.resource.schema.foreign_keys
                 if len(fk.fields) == 1 and fk.resource in column_for and fk.fields[0] in table.columns]
        if not links:
            continue
        cited = {theirs: citations.column(theirs) for _, theirs in links}  # '' where its header lacks one
        for i, line in enumerate(table.lines):
            cid = table.columns["citation_id"][i]
            j = by_id.get(cid)
            if j is None:
                continue  # reported as a foreign key
            if not any(table.columns[mine][i] and cited[theirs][j] == table.columns[mine][i]
                       for mine, theirs in links):
                yield Problem(table.file, line, "citation_id", "citation-mismatch",
                              f"citation {cid!r} does not cite this row's {' or '.join(m for m, _ in links)}")


def check_uncited(ctx: Context) -> Iterator[Problem]:
    """Every record a citation can point at has at least one citation."""
    citations = ctx.tables.get("citations")
    if citations is None:
        return
    for column in citations.resource.schema.exactly_one_of:
        fk = next((k for k in citations.resource.schema.foreign_keys if k.fields == (column,)), None)
        target = ctx.tables.get(fk.resource) if fk else None
        if target is None or fk is None or fk.reference[0] not in target.columns:
            continue
        cited = set(citations.column(column))
        for rid, line in zip(target.columns[fk.reference[0]], target.lines, strict=True):
            if rid and rid not in cited:
                yield Problem(target.file, line, fk.reference[0], "uncited",
                              f"{rid!r} has no citation; add a row to citations with its source and evidence")


def check_quotation_language(ctx: Context) -> Iterator[Problem]:
    quotes, sources = ctx.tables.get("quotations"), ctx.tables.get("sources")
    if quotes is None or sources is None:
        return
    lang = dict(zip(sources.column("source_id"), sources.column("language"), strict=True))
    for i, line in enumerate(quotes.lines):
        src, mine = quotes.column("source_id")[i], quotes.column("language")[i]
        if src in lang and mine and lang[src] != mine:
            yield Problem(quotes.file, line, "language", "language-mismatch",
                          f"quotation is marked {mine!r} but its source {src!r} is {lang[src]!r}")


_AFTER_SIGNING = {"ratification", "exchange-of-ratifications", "entry-into-force"}


def check_event_dates(ctx: Context) -> Iterator[Problem]:
    """Nothing is ratified before it was signed; a signing falls on the document's date."""
    events, documents = ctx.tables.get("events"), ctx.tables.get("documents")
    if events is None or documents is None:
        return
    doc_date = dict(zip(documents.column("document_id"), documents.column("date"), strict=True))
    for i, line in enumerate(events.lines):
        kind, doc = events.column("kind")[i], events.column("document_id")[i]
        mine, theirs = dates.date_range(events.column("date")[i]), dates.date_range(doc_date.get(doc, ""))
        if not (mine and theirs and mine.earliest and mine.latest and theirs.earliest and theirs.latest):
            continue
        if kind in _AFTER_SIGNING and mine.latest < theirs.earliest:
            yield Problem(events.file, line, "date", "date-order",
                          f"{kind} dated {events.column('date')[i]} is before {doc!r} is dated ({doc_date[doc]})")
        if kind == "signing" and (mine.latest < theirs.earliest or mine.earliest > theirs.latest):
            yield Problem(events.file, line, "date", "date-order",
                          f"signing dated {events.column('date')[i]} does not match {doc!r} dated {doc_date[doc]}")


def check_reply_dates(ctx: Context) -> Iterator[Problem]:
    documents = ctx.tables.get("documents")
    if documents is None:
        return
    when = dict(zip(documents.column("document_id"), documents.column("date"), strict=True))
    for i, line in enumerate(documents.lines):
        target = documents.column("in_reply_to")[i]
        mine, theirs = dates.date_range(documents.column("date")[i]), dates.date_range(when.get(target, ""))
        if mine and theirs and mine.latest and theirs.earliest and mine.latest < theirs.earliest:
            yield Problem(documents.file, line, "in_reply_to", "date-order",
                          f"replies to {target!r} ({when[target]}) but is dated earlier")


def check_disagreements(ctx: Context) -> Iterator[Problem]:
    disagreements, accounts = ctx.tables.get("disagreements"), ctx.tables.get("disagreement_accounts")
    if disagreements is None or accounts is None:
        return
    count: dict[str, int] = defaultdict(int)
    for did in accounts.column("disagreement_id"):
        count[did] += 1
    for did, line in zip(disagreements.column("disagreement_id"), disagreements.lines, strict=True):
        if did and count[did] < 2:
            yield Problem(disagreements.file, line, "disagreement_id", "lone-account",
                          f"disagreement {did!r} has {count[did]} account(s); it needs at least two")


# ------------------------------------------------- against the source texts (--sources)


@dataclass
class SourceText:
    lines: list[str]
    folded: str


def _load_sources(ctx: Context) -> tuple[dict[str, SourceText], list[Problem]]:
    sources = ctx.tables.get("sources")
    if sources is None or ctx.sources_dir is None:
        return {}, []
    texts: dict[str, SourceText] = {}
    problems: list[Problem] = []
    for i, line in enumerate(sources.lines):
        sid, name, digest = (sources.column(c)[i] for c in ("source_id", "path", "sha256"))
        if not (sid and name) or "/" in name or "\\" in name or name.startswith("."):
            continue  # malformed rows are reported by the cell rules
        path = ctx.sources_dir / name
        if path.is_symlink() or not path.is_file():
            problems.append(Problem(sources.file, line, "path", "source-missing",
                                    f"source file {name!r} is not in {ctx.sources_dir}"))
            continue
        raw = path.read_bytes()
        actual = hashlib.sha256(raw).hexdigest()
        if digest and actual != digest:
            problems.append(Problem(sources.file, line, "sha256", "source-checksum",
                                    f"{name} has SHA-256 {actual}, not the one recorded"))
        text = raw.decode("utf-8", errors="replace")
        texts[sid] = SourceText(text.split("\n"), _fold(text))
    return texts, problems


_LOCATOR = re.compile(r"^lines? ([1-9][0-9]*)(?:-([1-9][0-9]*))?$")


def check_verbatim(ctx: Context) -> Iterator[Problem]:
    """Quotations, evidence and names occur verbatim in their source, at their locator."""
    texts, problems = _load_sources(ctx)
    yield from problems
    if not texts:
        return
    for table in ctx.tables.values():
        fields = [f.name for f in table.resource.schema.fields if f.verbatim and f.name in table.columns]
        if not fields or "source_id" not in table.columns:
            continue
        locators = table.column("locator")
        for i, line in enumerate(table.lines):
            source = texts.get(table.columns["source_id"][i])
            if source is None:
                continue
            m = _LOCATOR.match(locators[i])
            span = None
            if m:
                first, last = int(m.group(1)), int(m.group(2) or m.group(1))
                if last < first or last > len(source.lines):
                    yield Problem(table.file, line, "locator", "locator-range",
                                  f"{locators[i]!r} is outside the source ({len(source.lines)} lines) or reversed")
                else:
                    span = _fold(" ".join(source.lines[first - 1:last]))
            for name in fields:
                value = table.columns[name][i]
                if not value:
                    continue
                folded = _fold(value)
                if span is not None and folded in span:
                    continue
                sid = table.columns["source_id"][i]
                if folded in source.folded:
                    yield Problem(table.file, line, name, "not-at-locator",
                                  f"{_show(value)} is in source {sid!r} but not at {locators[i]!r}")
                else:
                    yield Problem(table.file, line, name, "not-in-source",
                                  f"{_show(value)} is not found verbatim in source {sid!r}")


RULES: tuple[Rule, ...] = (
    check_cells,
    check_unique,
    check_primary_key,
    check_foreign_keys,
    check_exactly_one_of,
    check_cycles,
    check_translations,
    check_citation_links,
    check_uncited,
    check_quotation_language,
    check_event_dates,
    check_reply_dates,
    check_disagreements,
    check_verbatim,
)
