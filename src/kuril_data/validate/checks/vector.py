"""Helpers of the finders: pyarrow.compute over whole columns. Imported only by the Arrow engine
(pyarrow costs ~0.4 s to import, which the small-package path never pays).

Nothing here decides a problem: these helpers only narrow the rows the checks' judgements read.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from kuril_data.io.read import Table
from kuril_data.model import _unicode_tables
from kuril_data.model import arrow_lit as lit
from kuril_data.model.text import FORBIDDEN, FORMULA_START, ranges, stored
from kuril_data.validate.checks.base import Context

EMPTY, FALSE, ONE = lit.lit(""), lit.lit(False), lit.lit(1)


def rows(mask: Any) -> Any:
    """Indices where a boolean (chunked) array is true, as an Arrow array (base.Rows): a list of a
    million Python ints would cost ~36 MB per unit."""
    if isinstance(mask, pa.ChunkedArray):
        mask = mask.combine_chunks() if mask.num_chunks != 1 else mask.chunk(0)
    return pc.indices_nonzero(mask.fill_null(FALSE))


def any_of(a: Any, b: Any) -> Any:
    return b if a is None else pc.or_(a, b)


def filled(array: Any) -> Any:
    return pc.not_equal(array, EMPTY)


def distinct(ctx: Context, table: Table, name: str) -> bool:
    """Whether every value of the column is different (counted once per run)."""
    return bool(links_into(ctx, table, name)[DISTINCT])  # found with the links into the column


def last_index(values: Any, keys: Any, is_distinct: bool | None = None) -> Any:
    """For each value, the index of its LAST occurrence in keys (null if absent): what
    `dict(zip(keys, ...))[value]` finds in the judgements."""
    n = len(keys)
    if is_distinct if is_distinct is not None else pc.count_distinct(keys).as_py() == n:
        return pc.index_in(values, value_set=keys)
    backwards = keys.take(lit.ints(range(n - 1, -1, -1)))
    return pc.subtract(lit.lit(n - 1), pc.index_in(values, value_set=backwards).cast(pa.int64()))


def lookup(values: Any, keys: Any, targets: Any) -> Any:
    """targets[last index of value in keys], null where the value is not a key."""
    return targets.take(last_index(values, keys))


def date_bounds(array: Any) -> tuple[Any, Any]:
    """Earliest and latest day of each EDTF value as date32 arrays (null where unknown or invalid)."""
    from kuril_data.model import dates

    unique = pc.unique(array)
    ranges = [dates.date_range(v) for v in unique.to_pylist()]
    where = pc.index_in(array, value_set=unique)
    earliest = lit.dates([r.earliest if r else None for r in ranges])
    latest = lit.dates([r.latest if r else None for r in ranges])
    return earliest.take(where), latest.take(where)


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
    return ranges(combining), ranges(suspect)


def _cls(spans: list[tuple[int, int]]) -> str:
    return "[" + "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in spans) + "]"


@lru_cache(maxsize=1)
def suspect_regex() -> str:
    """An RE2 regex that matches every value the text judgement could object to for a plain string
    field before its constraints: white space at an end, a forbidden character, a possibly non-NFC
    sequence, and (for the warning) a formula-like start."""
    if unicodedata.unidata_version == _unicode_tables.UNIDATA_VERSION:
        combining, not_quick = stored(_unicode_tables.COMBINING), stored(_unicode_tables.NOT_QUICK_NFC)
    else:  # another Python: derive the tables (slow, but exact)
        combining, not_quick = unicode_tables()
    space = _cls(ranges([c for c in range(0x3001) if chr(c).isspace()]))  # no space character above U+3000
    forbidden = re.sub(r"\\[uU]0*([0-9a-fA-F]{1,8})", r"\\x{\1}", FORBIDDEN.pattern)
    comb = _cls(combining)
    start = "[" + "".join("\\" + c for c in FORMULA_START) + "]"
    return f"^{space}|{space}$|{forbidden}|{_cls(not_quick)}|{comb}{comb}|^{start}"


def suspects(ctx: Context, table: Table, name: str) -> Any:
    """The `suspect_regex` mask of a column, computed once per run."""
    return ctx.memo(("suspects", table.file, name),
                    lambda: pc.match_substring_regex(table.array(name), suspect_regex()))


def formula_like(array: Any) -> Any:
    """Values starting with a formula character (one starts_with per character: a regex anchored
    at the start still costs a pass over every value in RE2 here)."""
    mask = None
    for ch in FORMULA_START:
        mask = any_of(mask, pc.starts_with(array, ch))
    return mask


# ---------------------------------------------------------------- dates

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


def sure_dates(array: Any) -> Any:
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


# ---------------------------------------------------------------- groups of rows (whole-table checks)


def group_codes(*arrays: Any, distinct_at: int | None = None) -> tuple[Any, int]:
    """One int64 code per row, equal where the rows hold equal tuples of values (null where a part
    is null), and how many different tuples there are: a hash pass over each column (then over
    integers where the codes would outgrow int64), no joined string per row. With `distinct_at`
    (the number of rows), the columns are taken smallest first and the codes made dense after
    each, to stop as soon as the tuples so far are all different (then so are the whole ones)."""
    if distinct_at is not None:
        arrays = tuple(sorted(arrays, key=lambda a: a.nbytes))
    code, size = None, 1
    for array in arrays:
        encoded = pc.dictionary_encode(array)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        part, n = encoded.indices.cast(pa.int64()), len(encoded.dictionary)
        if code is None:
            code, size = part, n
        else:
            if size * n >= 2**62:  # made dense again first
                code, size = _dense(code)
            code, size = pc.add(pc.multiply(code, lit.lit(n)), part), size * n
            if distinct_at is not None:
                code, size = _dense(code)
        if size == distinct_at:
            return code, size
    if code is None or len(arrays) == 1:
        return code, size
    return _dense(code)


def _dense(code: Any) -> tuple[Any, int]:
    encoded = pc.dictionary_encode(code)
    return encoded.indices.cast(pa.int64()), len(encoded.dictionary) - (1 if encoded.dictionary.null_count else 0)


def repeated(codes: Any) -> Any:
    """True where a (non-null) value occurs more than once."""
    counts = pc.value_counts(codes)
    again = counts.filter(pc.and_(pc.greater(counts.field("counts"), ONE), pc.is_valid(counts.field("values"))))
    return pc.is_in(codes, value_set=again.field("values"))


DISTINCT = "distinct"


def links_into(ctx: Context, target: Table, column: str) -> dict[Any, Any]:
    """One hash pass (a dictionary encoding) over `target`'s `column` followed by the values of
    every one-field foreign key of a table of the context into it, made once per run and shared
    (`distinct`, the foreign-key finder, `keys.link_rows`): under DISTINCT whether the column's
    values all differ, and by (table file, name) each link's index into the column, null where its
    value is not there. The index is the row holding the value only when the column is distinct."""

    def compute() -> dict[Any, Any]:
        keys = target.array(column)
        links: dict[Any, Any] = {}
        for table in ctx.tables.values():
            for fk in table.resource.schema.foreign_keys:
                if fk.resource == target.resource.name and fk.reference == (column,) and fk.fields[0] in table.columns:
                    links[table.file, fk.fields[0]] = table.array(fk.fields[0])
        encoded = pc.dictionary_encode(pa.chunked_array([keys, *links.values()], pa.string()))
        codes = pa.chunked_array([c.indices for c in encoded.chunks], pa.int32()).combine_chunks()
        n = len(keys)
        # Codes number the values in order of first appearance: the keys come first, so they are
        # all different exactly when the last one's code is n - 1, and a link's value is a key
        # exactly when its code is below the number of different keys.
        known = pc.max(codes.slice(0, n)).as_py() if n else None
        found: dict[Any, Any] = {DISTINCT: n == 0 or known == n - 1}
        offset = n
        for link, array in links.items():
            part = codes.slice(offset, len(array))
            offset += len(array)
            found[link] = pa.nulls(len(part), pa.int32()) if known is None else \
                pc.if_else(pc.less_equal(part, lit.lit(known).cast(pa.int32())), part, lit.lit(None).cast(pa.int32()))
        return found
    return ctx.memo(("links-into", target.file, column), compute)
