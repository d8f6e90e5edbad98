"""The rules of `rules.py`, vectorised over Arrow columns for large packages.

Each rule finds the few rows that can be wrong with pyarrow.compute (RE2 regexes, `is_in`,
group-by) and then builds the problems for those rows only, with the same code as the per-row
rules in `rules.py` — so the problems (code, file, line, field, message, severity) are exactly
the same. Masks are conservative: a row left out is certainly fine; a row kept is judged by the
exact per-value check (`rules.cell_problem`). tests/test_arrow_rules.py holds both engines to the
same output. Used by `validate.check` when the data files are large (pyarrow costs ~0.4 s to import).
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import _unicode_tables, dates, rules
from . import arrow_lit as lit
from .package import ForeignKey
from .read import Table
from .report import Problem
from .rules import _AFTER_SIGNING, _FORBIDDEN, _FORMULA_START, Context, Rule, _language_ok, _show, cell_problem

# ---------------------------------------------------------------- character classes


def unicode_tables() -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(combining, not-quick-NFC) code point ranges computed from the running Python's unicodedata."""
    combining = [c for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))]
    suspect = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V and T jamo compose
    for c in range(sys.maxunicode + 1):
        if 0xD800 <= c <= 0xDFFF:
            continue
        d = unicodedata.decomposition(chr(c))
        if d and not d.startswith("<"):
            suspect.update(int(p, 16) for p in d.split()[1:])
            if unicodedata.normalize("NFC", chr(c)) != chr(c):
                suspect.add(c)
    return _ranges(combining), _ranges(suspect)


def _ranges(codes: list[int] | set[int]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for c in sorted(codes):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return [(a, b) for a, b in out]


def _stored(table: tuple[int | tuple[int, int], ...]) -> list[tuple[int, int]]:
    return [r if isinstance(r, tuple) else (r, r) for r in table]


def _cls(ranges: list[tuple[int, int]]) -> str:
    return "[" + "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges) + "]"


@lru_cache(maxsize=1)
def _suspect_regex() -> str:
    """An RE2 regex that matches every value `cell_problem` could object to for a plain string field
    before its constraints: white space at an end, a forbidden character, a possibly non-NFC
    sequence, and (for the warning) a formula-like start."""
    if unicodedata.unidata_version == _unicode_tables.UNIDATA_VERSION:
        combining, not_quick = _stored(_unicode_tables.COMBINING), _stored(_unicode_tables.NOT_QUICK_NFC)
    else:  # another Python: derive the tables (slow, but exact)
        combining, not_quick = unicode_tables()
    space = _cls(_ranges([c for c in range(0x3001) if chr(c).isspace()]))  # no space character above U+3000
    forbidden = re.sub(r"\\u([0-9a-fA-F]{4})", r"\\x{\1}", _FORBIDDEN.pattern)
    comb = _cls(combining)
    start = "[" + "".join("\\" + c for c in _FORMULA_START) + "]"
    return f"^{space}|{space}$|{forbidden}|{_cls(not_quick)}|{comb}{comb}|^{start}"


# Calendar dates that dates.parse (its `_calendar` fast path) certainly accepts: YYYY, YYYY-MM and
# every real YYYY-MM-DD (29 February in Gregorian leap years only), year 0000 excluded.
_YEAR = r"(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_LEAP = r"(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:0[48]|[2468][048]|[13579][26])00)"
_MONTH_DAY = (r"(?:-(?:0[1-9]|1[0-2])(?:-(?:0[1-9]|1[0-9]|2[0-8]))?"
              r"|-(?:0[13-9]|1[0-2])-(?:29|30)|-(?:0[13578]|1[02])-31)")
_CALENDAR = rf"(?:{_YEAR}{_MONTH_DAY}?|{_LEAP}-02-29)"
# A date with an optional uncertainty mark, and an interval of two dates (its order is checked apart).
_SURE_DATE = rf"\A{_CALENDAR}[?~%]?\z"
_SURE_INTERVAL = rf"\A(?P<start>{_CALENDAR})/(?P<end>{_CALENDAR})\z"
# Regex syntax that means the same in Python's re and RE2: ASCII literals, escaped punctuation,
# classes of those, groups, alternation, quantifiers and the anchors ^ and $.
_LIT = r"[A-Za-z0-9 _,;:/'\"=<>!#%&~@-]|\\[.\-\\/^$|?*+()\[\]{}]"
_SAFE_PATTERN = re.compile(
    rf"(?:{_LIT}|[\^$|)?*+]|\((?:\?:)?|\{{[0-9]+(?:,[0-9]*)?\}}|\[\^?(?:{_LIT}|[.+*?(){{}}|$])+\])*"
)


def _re2_safe(pattern: str) -> bool:
    # Possessive quantifiers (a*+) exist only in Python's re (3.11+).
    # "(?" other than "(?:" is a flag, lookaround or named group.
    return _SAFE_PATTERN.fullmatch(pattern) is not None and not re.search(r"[*+?}][*+]|\((?!\?:)\?", pattern)


# ---------------------------------------------------------------- helpers

_EMPTY, _FALSE, _ONE = lit.lit(""), lit.lit(False), lit.lit(1)


def _rows(mask: Any) -> list[int]:
    """Indices where a boolean (chunked) array is true."""
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks() if mask.num_chunks != 1 else mask.chunk(0)
    return pc.indices_nonzero(mask.fill_null(_FALSE)).to_pylist()


def _any(mask: Any) -> bool:
    return bool(pc.any(mask).as_py())


def _or(a: Any, b: Any) -> Any:
    return b if a is None else pc.or_(a, b)


def _take(array: Any, rows: list[int]) -> list[str]:
    return array.take(lit.ints(rows)).to_pylist() if rows else []


def _distinct(table: Table, name: str) -> bool:
    cache = table._cache.setdefault("distinct", {})
    if name not in cache:
        cache[name] = pc.count_distinct(table.array(name)).as_py() == table.num_rows
    return bool(cache[name])


def _last_index(values: Any, keys: Any, distinct: bool | None = None) -> Any:
    """For each value, the index of its LAST occurrence in keys (null if absent): what
    `dict(zip(keys, ...))[value]` finds in the per-row rules."""
    n = len(keys)
    if distinct if distinct is not None else pc.count_distinct(keys).as_py() == n:
        return pc.index_in(values, value_set=keys)
    backwards = keys.take(lit.ints(range(n - 1, -1, -1)))
    return pc.subtract(lit.lit(n - 1), pc.index_in(values, value_set=backwards).cast(pa.int64()))


def _lookup(values: Any, keys: Any, targets: Any) -> Any:
    """targets[last index of value in keys], null where the value is not a key."""
    return targets.take(_last_index(values, keys))


def _filled(array: Any) -> Any:
    return pc.not_equal(array, _EMPTY)


# ---------------------------------------------------------------- cells


def _suspects(table: Table, name: str) -> Any:
    """The `_suspect_regex` mask of a column, computed once per table and column."""
    cache = table._cache.setdefault("suspect", {})
    if name not in cache:
        cache[name] = pc.match_substring_regex(table.array(name), _suspect_regex())
    return cache[name]


def _plain(pattern: str) -> bool:
    """True when every value matching the pattern is printable ASCII without spaces, so it
    cannot hold white space, a forbidden or a non-NFC character (a formula start it can)."""
    return _re2_safe(pattern) and " " not in pattern and "[^" not in pattern


def _sure_dates(array: Any) -> Any:
    """True where dates.parse certainly accepts the value and finds no reversed interval."""
    sure = pc.match_substring_regex(array, _SURE_DATE)
    parts = pc.extract_regex(array, _SURE_INTERVAL)  # null where the value is not such an interval
    interval = pc.is_valid(parts)
    if not pc.any(interval).as_py():
        return sure
    start, end = parts.field("start"), parts.field("end")  # "" in the rows that are no interval
    # Not reversed <=> the end's last day >= the start's first day <=> end >= start compared at the
    # coarser of the two precisions (4, 7 or 10 characters): same-precision periods do not overlap,
    # and when equal there, the coarser one spans the other.
    ordered = pc.greater_equal(end, start)
    for width in (7, 4):
        s, e = pc.utf8_slice_codeunits(start, 0, width), pc.utf8_slice_codeunits(end, 0, width)
        size = lit.lit(width).cast(pa.int32())
        coarse = pc.or_(pc.equal(pc.utf8_length(start), size), pc.equal(pc.utf8_length(end), size))
        ordered = pc.if_else(pc.not_equal(s, e), pc.greater(e, s), pc.or_(coarse, ordered))
    return pc.or_(sure, pc.and_(interval, ordered))


def _formula_like(array: Any) -> Any:
    """Values starting with a formula character (one starts_with per character: a regex anchored
    at the start still costs a pass over every value in RE2 here)."""
    mask = None
    for ch in _FORMULA_START:
        mask = _or(mask, pc.starts_with(array, ch))
    return mask


def _candidates(table: Table, field: Any, array: Any) -> Any:
    """True for every non-empty value `cell_problem` may object to or that starts like a formula."""
    if field.type != "string":
        return None  # all values: the real schemas have only strings; typed fields are checked exactly
    c = field.constraints
    if isinstance(c.get("pattern"), str) and _plain(c["pattern"]):
        mask = _formula_like(array)
    else:
        mask = _suspects(table, field.name)
    if "enum" in c:
        mask = _or(mask, pc.invert(pc.is_in(array, value_set=lit.strings([str(v) for v in c["enum"]]))))
    if "pattern" in c:
        if not _re2_safe(c["pattern"]):
            return None
        try:
            matched = pc.match_substring_regex(array, rf"\A(?:{c['pattern']})\z")
        except pa.ArrowInvalid:  # RE2 refuses it: judge every value exactly
            return None
        mask = _or(mask, pc.invert(matched))
    if "minLength" in c or "maxLength" in c:
        length = pc.utf8_length(array)
        if "minLength" in c:
            mask = _or(mask, pc.less(length, lit.lit(c["minLength"])))
        if "maxLength" in c:
            mask = _or(mask, pc.greater(length, lit.lit(c["maxLength"])))
    if field.edtf:
        mask = _or(mask, pc.invert(_sure_dates(array)))
    if field.language:
        unique = pc.unique(array).to_pylist()
        bad = [v for v in unique if v and not _language_ok(v)]
        if bad:
            mask = _or(mask, pc.is_in(array, value_set=lit.strings(bad)))
    return mask


def _cell_masks(table: Table, field: Any) -> tuple[Any, Any]:
    """(empty, candidate non-empty) masks of one column: Arrow kernels only."""
    array = table.array(field.name)
    empty = pc.equal(array, _EMPTY)
    mask = _candidates(table, field, array)
    return empty, pc.invert(empty) if mask is None else pc.and_(mask, pc.invert(empty))


def _threads() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))


def check_cells(ctx: Context) -> Iterator[Problem]:
    columns = [(table, field) for table in ctx.tables.values() for field in table.resource.schema.fields
               if field.name in table.columns]
    for table, field in columns:
        table.array(field.name)  # made here, not in the worker threads
    # The masks are independent scans that release the GIL: on several cores they run side by
    # side; the problems are then built in schema order as before.
    with ThreadPoolExecutor(_threads()) as pool:
        masks = [pool.submit(_cell_masks, table, field) for table, field in columns]
        for (table, field), future in zip(columns, masks, strict=True):
            empty, candidates = future.result()
            array = table.array(field.name)
            if field.required or field.name in table.resource.schema.primary_key:
                for i in _rows(empty):
                    yield Problem(table.file, table.line(i), field.name, "required", "a value is required")
            rows = _rows(candidates)
            verdicts: dict[str, tuple[str, str] | None] = {}
            for i, value in zip(rows, _take(array, rows), strict=True):
                if value not in verdicts:
                    verdicts[value] = cell_problem(field, value)
                verdict = verdicts[value]
                line = table.line(i)
                if verdict:
                    yield Problem(table.file, line, field.name, verdict[0], verdict[1])
                if value.startswith(_FORMULA_START) and field.type == "string":
                    yield Problem(table.file, line, field.name, "formula-like",
                                  f"{_show(value, 30)} starts like a spreadsheet formula; check it was not "
                                  "mangled by a spreadsheet", "warning")


# ---------------------------------------------------------------- keys


def check_unique(ctx: Context) -> Iterator[Problem]:
    keys = [(table, (field.name,)) for table in ctx.tables.values() for field in table.resource.schema.fields
            if field.constraints.get("unique") and field.name in table.columns
            and (field.name,) != table.resource.schema.primary_key]
    yield from _all_duplicates(keys, "unique")


def check_primary_key(ctx: Context) -> Iterator[Problem]:
    keys = [(table, table.resource.schema.primary_key) for table in ctx.tables.values()
            if table.resource.schema.primary_key
            and all(k in table.columns for k in table.resource.schema.primary_key)]
    yield from _all_duplicates(keys, "primary-key")


def _all_duplicates(keys: list[tuple[Table, tuple[str, ...]]], code: str) -> Iterator[Problem]:
    """The duplicates of each key, in order; the keys are counted side by side (one per table)."""
    with ThreadPoolExecutor(_threads()) as pool:
        found = [pool.submit(_repeats, table, key) for table, key in keys]
        for (table, key), future in zip(keys, found, strict=True):
            yield from _duplicates(table, key, code, *future.result())


def _nfc(table: Table, name: str) -> Any:
    """The column with every value Python would change under NFC replaced by its NFC form."""
    array = table.array(name)
    pattern = table.resource.schema.field(name).constraints.get("pattern")
    if isinstance(pattern, str) and _plain(pattern):  # mostly ASCII ids: only non-ASCII values can change
        rows = _rows(pc.invert(pc.string_is_ascii(array)))
    else:
        rows = _rows(_suspects(table, name))
    values = _take(array, rows)
    changed = [(i, unicodedata.normalize("NFC", v)) for i, v in zip(rows, values, strict=True)
               if not unicodedata.is_normalized("NFC", v)]
    if not changed:
        return array
    mask = pc.is_in(lit.ints(range(len(array))), value_set=lit.ints([i for i, _ in changed]))
    flat = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return pc.replace_with_mask(flat, mask, lit.strings([v for _, v in changed]))


def _repeats(table: Table, key: tuple[str, ...]) -> tuple[Any, list[int]]:
    """The rows whose key (after NFC; none where a part is empty) occurs more than once, and the
    keys per row (None when there are no such rows)."""
    raw = [table.array(k) for k in key]
    filled = None
    for a in raw:
        f = _filled(a)
        filled = f if filled is None else pc.and_(filled, f)
    if len(key) == 1:
        joined = _nfc(table, key[0])
    else:  # one string per key, injective: "<length>:<part>:<length>:<part>..."
        parts: list[Any] = []
        for k in key:
            value = _nfc(table, k)
            parts += [pc.cast(pc.utf8_length(value), pa.string()), value]
        joined = pc.binary_join_element_wise(*parts, lit.lit(":"))
    complete = not table.num_rows or pc.all(filled).as_py()
    if not complete:
        joined = pc.if_else(filled, joined, lit.lit(None))  # empty parts: no key
    counts = pc.value_counts(joined)
    if complete and len(key) == 1 and joined is raw[0]:  # tell the link rules (see _distinct)
        table._cache.setdefault("distinct", {})[key[0]] = len(counts) == table.num_rows
    repeated = counts.filter(pc.and_(pc.greater(counts.field("counts"), _ONE), pc.is_valid(counts.field("values"))))
    if not len(repeated):
        return None, []  # the joined keys are not kept: they can be as large as the columns
    return joined, _rows(pc.is_in(joined, value_set=repeated.field("values")))


def _duplicates(table: Table, key: tuple[str, ...], code: str, joined: Any, rows: list[int]) -> Iterator[Problem]:
    raw = [table.array(k) for k in key]
    first: dict[str, int] = {}
    label = ", ".join(key)
    for i, value in zip(rows, _take(joined, rows), strict=True):
        if value not in first:
            first[value] = i
            continue
        parts_raw = [a[i].as_py() for a in raw]
        same = "" if all(unicodedata.is_normalized("NFC", v) for v in parts_raw) else " (after NFC)"
        yield Problem(table.file, table.line(i), label, code,
                      f"{'/'.join(parts_raw)!r} duplicates line {table.line(first[value])}{same}; "
                      f"{label} must be unique")


def check_foreign_keys(ctx: Context) -> Iterator[Problem]:
    # Links into the same column are looked up together: one hash table per target column.
    groups: dict[tuple[str, str], list[tuple[Table, ForeignKey]]] = {}
    for table in ctx.tables.values():
        for fk in table.resource.schema.foreign_keys:
            target = ctx.tables.get(fk.resource)
            if target is None or not all(f in table.columns for f in fk.fields):
                continue  # an unreadable target is reported on its own
            if target.num_rows and not all(f in target.columns for f in fk.reference):
                continue  # the target's header is wrong: reported on its own
            if len(fk.fields) != 1:
                yield from _composite_foreign_key(table, target, fk)
                continue
            groups.setdefault((fk.resource, fk.reference[0]), []).append((table, fk))
    lookups = []
    for (resource, column), links in groups.items():
        arrays = [table.array(fk.fields[0]) for table, fk in links]
        chunks = [c for a in arrays for c in (a.chunks if isinstance(a, pa.ChunkedArray) else [a])]
        lookups.append((pa.chunked_array(chunks, pa.string()), ctx.tables[resource].array(column)))
    with ThreadPoolExecutor(_threads()) as pool:  # one hash table per target column, side by side
        indexes = list(pool.map(lambda job: pc.index_in(job[0], value_set=job[1]), lookups))
    for ((resource, column), links), index in zip(groups.items(), indexes, strict=True):
        arrays = [table.array(fk.fields[0]) for table, fk in links]
        offset = 0
        for (table, fk), values in zip(links, arrays, strict=True):
            found = index.slice(offset, len(values))
            offset += len(values)
            table._cache.setdefault("index", {})[(fk.fields[0], resource, column)] = found
            rows = _rows(pc.and_(_filled(values), pc.is_null(found)))
            for i, value in zip(rows, _take(values, rows), strict=True):
                yield Problem(table.file, table.line(i), fk.fields[0], "foreign-key",
                              f'"{value}" is not found in {fk.resource} ({"/".join(fk.reference)})')


def _composite_foreign_key(table: Table, target: Table, fk: ForeignKey) -> Iterator[Problem]:
    known = set(zip(*(target.column(f) for f in fk.reference), strict=True))
    cols = [table.columns[f] for f in fk.fields]
    for i, line in enumerate(table.lines):
        value = tuple(c[i] for c in cols)
        if any(value) and value not in known:
            yield Problem(table.file, line, ",".join(fk.fields), "foreign-key",
                          f'"{"/".join(value)}" is not found in {fk.resource} ({"/".join(fk.reference)})')


# ---------------------------------------------------------------- row rules


def check_exactly_one_of(ctx: Context) -> Iterator[Problem]:
    for table in ctx.tables.values():
        names = [n for n in table.resource.schema.exactly_one_of if n in table.columns]
        if not names:
            continue
        count = None
        for n in names:
            one = _filled(table.array(n)).cast(pa.int8())
            count = one if count is None else pc.add(count, one)
        rows = _rows(pc.not_equal(count, lit.lit(1).cast(pa.int8())))
        cells = {n: _take(table.array(n), rows) for n in names}
        for k, i in enumerate(rows):
            filled = [n for n in names if cells[n][k]]
            got = ", ".join(filled) if filled else "none"
            yield Problem(table.file, table.line(i), None, "exactly-one-of",
                          f"exactly one of {', '.join(names)} must be filled (got {got})")


def check_cycles(ctx: Context) -> Iterator[Problem]:
    """As rules.check_cycles, over the rows that have a link only."""
    for table in ctx.tables.values():
        schema = table.resource.schema
        for fk in schema.foreign_keys:
            if fk.resource != table.resource.name or len(fk.fields) != 1 or fk.reference != schema.primary_key:
                continue
            if schema.primary_key[0] not in table.columns or fk.fields[0] not in table.columns:
                continue
            ids_array = table.array(schema.primary_key[0])
            refs_array = table.array(fk.fields[0])
            rows = _rows(_filled(refs_array))
            parent = dict(zip(_take(ids_array, rows), _take(refs_array, rows), strict=True))
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
                        last = _rows(pc.equal(ids_array, lit.lit(start)))[-1]
                        yield Problem(table.file, table.line(last), fk.fields[0], "cycle",
                                      f"{fk.fields[0]} links loop back: {' → '.join([*loop, node])}")


def check_translations(ctx: Context) -> Iterator[Problem]:
    for table in ctx.tables.values():
        schema = table.resource.schema
        lang = next((f.name for f in schema.fields if f.language), None)
        if lang is None or "translation_of" not in table.columns or len(schema.primary_key) != 1:
            continue
        targets, mine = table.array("translation_of"), table.array(lang)
        theirs = _lookup(targets, table.array(schema.primary_key[0]), mine)
        bad = pc.and_(pc.and_(_filled(targets), _filled(mine)), pc.equal(theirs, mine))
        rows = _rows(bad)
        for i, target, language in zip(rows, _take(targets, rows), _take(mine, rows), strict=True):
            yield Problem(table.file, table.line(i), "translation_of", "translation-language",
                          f"translates {target!r}, which is in the same language ({language})")


def check_citation_links(ctx: Context) -> Iterator[Problem]:
    citations = ctx.tables.get("citations")
    if citations is None:
        return
    schema = citations.resource.schema
    column_for = {fk.resource: fk.fields[0] for fk in schema.foreign_keys
                  if len(fk.fields) == 1 and fk.fields[0] in schema.exactly_one_of}
    cited_ids = citations.array("citation_id")
    for table in ctx.tables.values():
        if table is citations or "citation_id" not in table.columns:
            continue
        links = [(fk.fields[0], column_for[fk.resource]) for fk in table.resource.schema.foreign_keys
                 if len(fk.fields) == 1 and fk.resource in column_for and fk.fields[0] in table.columns]
        if not links:
            continue
        cids = table.array("citation_id")
        found = table._cache.get("index", {}).get(("citation_id", "citations", "citation_id"))
        distinct = _distinct(citations, "citation_id")
        j = found if found is not None and distinct else _last_index(cids, cited_ids, distinct)
        ok = None
        for mine, theirs in links:
            values = table.array(mine)
            ok = _or(ok, pc.and_(_filled(values), pc.equal(citations.array(theirs).take(j), values)).fill_null(_FALSE))
        rows = _rows(pc.and_(pc.is_valid(j), pc.invert(ok)))
        for i, cid in zip(rows, _take(cids, rows), strict=True):
            yield Problem(table.file, table.line(i), "citation_id", "citation-mismatch",
                          f"citation {cid!r} does not cite this row's {' or '.join(m for m, _ in links)}")


def check_uncited(ctx: Context) -> Iterator[Problem]:
    citations = ctx.tables.get("citations")
    if citations is None:
        return
    for column in citations.resource.schema.exactly_one_of:
        fk = next((k for k in citations.resource.schema.foreign_keys if k.fields == (column,)), None)
        target = ctx.tables.get(fk.resource) if fk else None
        if target is None or fk is None or fk.reference[0] not in target.columns:
            continue
        ids = target.array(fk.reference[0])
        rows = _rows(pc.and_(_filled(ids), pc.invert(pc.is_in(ids, value_set=citations.array(column)))))
        for i, rid in zip(rows, _take(ids, rows), strict=True):
            yield Problem(target.file, target.line(i), fk.reference[0], "uncited",
                          f"{rid!r} has no citation; add a row to citations with its source and evidence")


def check_quotation_language(ctx: Context) -> Iterator[Problem]:
    quotes, sources = ctx.tables.get("quotations"), ctx.tables.get("sources")
    if quotes is None or sources is None:
        return
    src, mine = quotes.array("source_id"), quotes.array("language")
    theirs = _lookup(src, sources.array("source_id"), sources.array("language"))
    rows = _rows(pc.and_(_filled(mine), pc.not_equal(theirs, mine)))
    for i, s, m, t in zip(rows, _take(src, rows), _take(mine, rows), _take(theirs, rows), strict=True):
        yield Problem(quotes.file, quotes.line(i), "language", "language-mismatch",
                      f"quotation is marked {m!r} but its source {s!r} is {t!r}")


def _date_bounds(array: Any) -> tuple[Any, Any]:
    """Earliest and latest day of each EDTF value as date32 arrays (null where unknown or invalid)."""
    unique = pc.unique(array)
    ranges = [dates.date_range(v) for v in unique.to_pylist()]
    where = pc.index_in(array, value_set=unique)
    earliest = lit.dates([r.earliest if r else None for r in ranges])
    latest = lit.dates([r.latest if r else None for r in ranges])
    return earliest.take(where), latest.take(where)


def check_event_dates(ctx: Context) -> Iterator[Problem]:
    events, documents = ctx.tables.get("events"), ctx.tables.get("documents")
    if events is None or documents is None:
        return
    kind, doc, date = events.array("kind"), events.array("document_id"), events.array("date")
    doc_date = _lookup(doc, documents.array("document_id"), documents.array("date")).fill_null(_EMPTY)
    mine_lo, mine_hi = _date_bounds(date)
    their_lo, their_hi = _date_bounds(doc_date)
    known = pc.and_(pc.and_(pc.is_valid(mine_lo), pc.is_valid(mine_hi)),
                    pc.and_(pc.is_valid(their_lo), pc.is_valid(their_hi)))
    before = pc.less(mine_hi, their_lo)
    after_signing = pc.and_(pc.is_in(kind, value_set=lit.strings(sorted(_AFTER_SIGNING))), before)
    signing = pc.and_(pc.equal(kind, lit.lit("signing")), pc.or_(before, pc.greater(mine_lo, their_hi)))
    rows = _rows(pc.and_(known, pc.or_(after_signing, signing)))
    for i, k, d, when, dd in zip(rows, _take(kind, rows), _take(doc, rows), _take(date, rows),
                                 _take(doc_date, rows), strict=True):
        mine, theirs = dates.date_range(when), dates.date_range(dd)
        assert mine and theirs and mine.earliest and mine.latest and theirs.earliest and theirs.latest
        if k in _AFTER_SIGNING and mine.latest < theirs.earliest:
            yield Problem(events.file, events.line(i), "date", "date-order",
                          f"{k} dated {when} is before {d!r} is dated ({dd})")
        if k == "signing" and (mine.latest < theirs.earliest or mine.earliest > theirs.latest):
            yield Problem(events.file, events.line(i), "date", "date-order",
                          f"signing dated {when} does not match {d!r} dated {dd}")


def check_reply_dates(ctx: Context) -> Iterator[Problem]:
    documents = ctx.tables.get("documents")
    if documents is None:
        return
    target, date = documents.array("in_reply_to"), documents.array("date")
    their_date = _lookup(target, documents.array("document_id"), date).fill_null(_EMPTY)
    _, mine_hi = _date_bounds(date)
    their_lo, _ = _date_bounds(their_date)
    rows = _rows(pc.less(mine_hi, their_lo))
    for i, t, d in zip(rows, _take(target, rows), _take(their_date, rows), strict=True):
        yield Problem(documents.file, documents.line(i), "in_reply_to", "date-order",
                      f"replies to {t!r} ({d}) but is dated earlier")


def check_disagreements(ctx: Context) -> Iterator[Problem]:
    disagreements, accounts = ctx.tables.get("disagreements"), ctx.tables.get("disagreement_accounts")
    if disagreements is None or accounts is None:
        return
    counted = pc.value_counts(accounts.array("disagreement_id"))
    ids = disagreements.array("disagreement_id")
    count = counted.field("counts").take(pc.index_in(ids, value_set=counted.field("values"))).fill_null(lit.lit(0))
    rows = _rows(pc.and_(_filled(ids), pc.less(count, lit.lit(2))))
    for i, did, n in zip(rows, _take(ids, rows), _take(count, rows), strict=True):
        yield Problem(disagreements.file, disagreements.line(i), "disagreement_id", "lone-account",
                      f"disagreement {did!r} has {n} account(s); it needs at least two")


ARROW_RULES: tuple[Rule, ...] = (
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
    rules.check_verbatim,
)
