"""Helpers of the finders: pyarrow.compute over whole columns. Imported only by the Arrow engine
(pyarrow costs ~0.4 s to import, which the small-package path never pays).

Nothing here decides a problem: these helpers only narrow the rows the checks' judgements read.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from kuril_data.io.read import Table
from kuril_data.model import _unicode_tables
from kuril_data.model import arrow_lit as lit
from kuril_data.model.text import FORBIDDEN, FORMULA_START, ranges, stored
from kuril_data.validate.checks.base import Context

EMPTY, FALSE, ONE, ZERO = lit.lit(""), lit.lit(False), lit.lit(1), lit.lit(0)


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
    return ctx.memo(("distinct", table.file, name), lambda: all_differ(table.array(name)))


def all_differ(array: Any) -> bool:
    """Whether no two values are equal: sorted, then neighbours compared. (A hash of 300,000 ids,
    as unique or dictionary_encode make, takes ~50 MB and three times as long.)"""
    if len(array) < 2:
        return True
    ordered = array.take(pc.sort_indices(array))
    return not pc.any(pc.equal(ordered.slice(1), ordered.slice(0, len(ordered) - 1))).as_py()


def last_index(values: Any, keys: Any, is_distinct: bool | None = None) -> Any:
    """For each value, the index of its LAST occurrence in keys (null if absent): what
    `dict(zip(keys, ...))[value]` finds in the judgements."""
    n = len(keys)
    if is_distinct if is_distinct is not None else all_differ(keys):
        return pc.index_in(values, value_set=keys)
    backwards = keys.take(lit.ints(range(n - 1, -1, -1)))
    return pc.subtract(lit.lit(n - 1), pc.index_in(values, value_set=backwards).cast(pa.int64()))


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
    sequence, and (for the warning) a formula-like start.

    A value is NFC when it holds no character of the not-quick-NFC class and no two adjacent
    combining marks out of canonical order (Unicode's NFC quick check, UAX #15): so marks stacked
    in order (Thai's vowel then tone mark) are not suspects. Three marks in a row are (a superset
    of the over-long runs `cell_verdict` reports, whatever their order)."""
    if unicodedata.unidata_version == _unicode_tables.UNIDATA_VERSION:
        combining, not_quick = stored(_unicode_tables.COMBINING), stored(_unicode_tables.NOT_QUICK_NFC)
    else:  # another Python: derive the tables (slow, but exact)
        combining, not_quick = unicode_tables()
    space = _cls(ranges([c for c in range(0x3001) if chr(c).isspace()]))  # no space character above U+3000
    forbidden = re.sub(r"\\[uU]0*([0-9a-fA-F]{1,8})", r"\\x{\1}", FORBIDDEN.pattern)
    comb = _cls(combining)
    start = "[" + "".join("\\" + c for c in FORMULA_START) + "]"
    return (f"^{space}|{space}$|{forbidden}|{_cls(not_quick)}|{comb}{comb}{comb}|{_misordered(combining)}"
            f"|^{start}")


# Canonical combining classes grouped for `_misordered`: a pair ascending from one group to another
# is not matched (Thai 103 -> 107, Indic nukta 7 -> virama 9, Hebrew/Arabic points -> 220/230...);
# one ascending inside a group is, and is judged exactly. Fewer groups, a smaller regex to compile.
_CLASS_GROUPS = ((1, 6), (7, 7), (8, 8), (9, 9), (10, 26), (27, 36), (84, 91), (103, 103), (107, 107),
                 (118, 118), (122, 122), (129, 133), (202, 218), (220, 220), (222, 229), (230, 230), (231, 255))


def _misordered(combining: list[tuple[int, int]]) -> str:
    """RE2 alternatives matching every two adjacent combining marks out of canonical order (the
    first's class above the second's), and some in order (see _CLASS_GROUPS)."""
    by_class: dict[int, list[int]] = {}
    for a, b in combining:
        for c in range(a, b + 1):
            by_class.setdefault(unicodedata.combining(chr(c)), []).append(c)
    alternatives = []
    for low, high in _CLASS_GROUPS + tuple((k, k) for k in by_class if not any(a <= k <= b for a, b in _CLASS_GROUPS)):
        second = [c for k, cs in by_class.items() if low <= k <= high for c in cs]
        first = [c for k, cs in by_class.items() if k > low for c in cs]
        if second and first:
            alternatives.append(_cls(ranges(first)) + _cls(ranges(second)))
    return "|".join(alternatives)


def suspects(ctx: Context, table: Table, name: str) -> Any:
    """The `suspect_mask` of a column (once per distinct value, see `per_distinct`), computed once per run."""
    return ctx.memo(("suspects", table.file, name), lambda: per_distinct(table.array(name), suspect_mask))


def suspect_mask(array: Any) -> Any:
    """True where `suspect_regex` matches. A value of printable ASCII can only match by a space
    or formula character at an end: those are told by a few cheap kernels over the offsets (RE2
    costs ~100 ns a value even for a trivial regex), and the regex runs only on the other values
    (on all of them when the others hold over a quarter of the text: one pass, no copy)."""
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([suspect_mask(c) for c in array.chunks], pa.bool_())
    odd = pc.invert(pc.ascii_is_printable(array)).fill_null(FALSE)
    if not pc.any(odd).as_py():
        return pc.or_(formula_like(array, " "), _byte_in(edge_bytes(array, last=True), (" ",)))
    size = pc.binary_length(array)
    if pc.sum(pc.if_else(odd, size, ZERO)).as_py() * 4 > (pc.sum(size).as_py() or 0):
        return pc.match_substring_regex(array, suspect_regex())  # copying them would cost more
    mask = pc.or_(formula_like(array, " "), _byte_in(edge_bytes(array, last=True), (" ",)))
    return pc.replace_with_mask(mask, odd, pc.match_substring_regex(array.filter(odd), suspect_regex()))


def formula_like(array: Any, also: str = "") -> Any:
    """Values starting with a formula character (or one of `also`, ASCII): their first byte
    compared, empty values aside (the finders leave those out)."""
    return _byte_in(edge_bytes(array), FORMULA_START + tuple(also))


def edge_bytes(array: Any, last: bool = False) -> Any:
    """The first (or last) byte of each value as a uint8 array, taken through the offsets: no pass
    over the text, one take. An empty value gets some other value's byte (or 0)."""
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([edge_bytes(c, last) for c in array.chunks], pa.uint8())
    n, data = len(array), array.buffers()[2]
    if not n or data is None or not data.size:
        return pc.multiply(pc.binary_length(array), ZERO).cast(pa.uint8())  # n zeros
    width = pa.int64() if pa.types.is_large_string(array.type) or pa.types.is_large_binary(array.type) else pa.int32()
    offsets = pa.Array.from_buffers(width, n + 1, [None, array.buffers()[1]], offset=array.offset)
    at = pc.subtract(offsets.slice(1), lit.lit(1).cast(width)) if last else offsets.slice(0, n)
    ends = (offsets[0].as_py(), offsets[1].as_py(), offsets[n - 1].as_py(), offsets[n].as_py())
    if not (ends[0] < ends[1] and ends[2] < ends[3]):  # an empty value at an end may point past the text
        at = pc.max_element_wise(pc.min_element_wise(at, lit.lit(data.size - 1).cast(width)), lit.lit(0).cast(width))
    return pa.Array.from_buffers(pa.uint8(), data.size, [None, data]).take(at)


def _byte_in(codes: Any, chars: tuple[str, ...]) -> Any:
    mask = None
    for ch in chars:
        mask = any_of(mask, pc.equal(codes, _byte(ch)))
    return mask


@lru_cache(maxsize=16)
def _byte(ch: str) -> Any:
    return lit.lit(ord(ch)).cast(pa.uint8())


# `per_distinct` tells a column that repeats its values from this many first rows (hashing many
# distinct values costs more than the regex), reads it this many rows at a time, and judges the
# distinct values of blocks together up to this many bytes of them.
SAMPLE, BLOCK, DISTINCT_BYTES = 1 << 13, 1 << 16, 8 << 20


def per_distinct(array: Any, compute: Callable[[Any], Any]) -> Any:
    """`compute(array)` (a boolean array, one per value) computed once per distinct value of each
    block of rows when the column repeats its values (its first SAMPLE rows hold at most a quarter
    as many distinct values), else on all values at once. A regex costs ~60 ns a value plus
    its text; hashing a value far less. Memory: the distinct values of the blocks judged together."""
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([per_distinct(c, compute) for c in array.chunks], pa.bool_())
    sample = array.slice(0, SAMPLE)
    if not len(array) or pc.count_distinct(sample).as_py() * 4 > len(sample):
        return compute(array)
    out: list[Any] = []
    group: list[Any] = []
    size = 0

    def flush() -> None:
        judged = compute(pa.concat_arrays([e.dictionary for e in group]))
        at = 0
        for e in group:
            out.append(judged.slice(at, len(e.dictionary)).take(e.indices))
            at += len(e.dictionary)
        group.clear()

    for start in range(0, len(array), BLOCK):
        encoded = pc.dictionary_encode(array.slice(start, BLOCK))
        group.append(encoded)
        size += encoded.dictionary.nbytes
        if size > DISTINCT_BYTES:
            flush()
            size = 0
    if group:
        flush()
    return pa.concat_arrays(out) if len(out) != 1 else out[0]


def bad_length(array: Any, low: int | None, high: int | None) -> Any:
    """True where a non-empty value may have fewer than `low` or more than `high` characters (None:
    no bound; empty values are no concern). Told from the offsets (a character is 1 to 4 bytes,
    ASCII ones 1); characters are counted only when some non-ASCII value's bytes cannot tell."""
    low = low if low is not None and low > 1 else None  # a non-empty value has a character
    if low is None and high is None:
        return None
    size = pc.binary_length(array)
    bad = unsure = None
    if low is not None:
        bad = pc.less(size, lit.lit(low))
        unsure = pc.and_(pc.invert(bad), pc.less(size, lit.lit(4 * low)))
    if high is not None:
        over = pc.greater(size, lit.lit(high))
        bad = any_of(bad, over)
        unsure = any_of(unsure, pc.and_(over, pc.less_equal(size, lit.lit(4 * high))))
    if pc.any(pc.and_(unsure, pc.invert(pc.string_is_ascii(array)))).as_py():
        length = pc.utf8_length(array)
        bad = None
        if low is not None:
            bad = pc.less(length, lit.lit(low))
        if high is not None:
            bad = any_of(bad, pc.greater(length, lit.lit(high)))
    return bad


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
    if isinstance(array, pa.ChunkedArray):
        return pa.chunked_array([sure_dates(c) for c in array.chunks], pa.bool_())
    sure = pc.match_substring_regex(array, _SURE_DATE)
    rest = pc.invert(sure).fill_null(FALSE)
    if not pc.any(rest).as_py():
        return sure
    return pc.replace_with_mask(sure, rest, _sure_intervals(array.filter(rest)))  # intervals: the few others


def _sure_intervals(array: Any) -> Any:
    """True where the value is an interval of two sure dates, not reversed."""
    parts = pc.extract_regex(array, _SURE_INTERVAL)  # null where the value is not such an interval
    interval = pc.is_valid(parts)
    if not pc.any(interval).as_py():
        return interval
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
    return pc.and_(interval, ordered)


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


def link_index(ctx: Context, table: Table, name: str, target: Table, column: str) -> Any:
    """For each row of `table`, the row of `target` whose `column` holds the row's `name` (null where
    none does): the first such row, the only one when the column is `distinct`. An Arrow int32
    array. The column is hashed once per run, and every one-field foreign key into it looked up
    at once (an encoding of the column with its links instead held a copy of its distinct values
    per link: ~60 MB more at 1 M rows)."""
    found = ctx.memo(("links-into", target.file, column), lambda: _links_into(ctx, target, column))
    if (table.file, name) in found:
        return found[table.file, name]
    return ctx.memo(("link-index", table.file, name, target.file, column),
                    lambda: pc.index_in(table.array(name), value_set=target.array(column)))


def _links_into(ctx: Context, target: Table, column: str) -> dict[tuple[str, str], Any]:
    links = {(table.file, fk.fields[0]): table.array(fk.fields[0])
             for table in ctx.tables.values() for fk in table.resource.schema.foreign_keys
             if fk.resource == target.resource.name and fk.reference == (column,) and fk.fields[0] in table.columns}
    if not links:
        return {}
    index = pc.index_in(pa.chunked_array(list(links.values()), pa.string()), value_set=target.array(column))
    index = index.combine_chunks() if index.num_chunks > 1 else index.chunk(0)
    found, offset = {}, 0
    for link, array in links.items():
        found[link] = index.slice(offset, len(array))
        offset += len(array)
    return found
