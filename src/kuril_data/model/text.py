"""Text helpers the checks share: the forbidden characters, how a value is shown in a message,
Unicode normalisation with bounded work, and the folding verbatim comparisons allow."""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

from kuril_data.report import INVISIBLE

# Characters no cell, name, title or id may hold: C0/C1 controls, and the invisible characters of
# `kuril_data.report.INVISIBLE` (zero-width, bidi controls, fillers, tags...) that make two
# different values look the same.
FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f" + "".join(
    f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in INVISIBLE) + "]")
FORMULA_START = ("=", "+", "-", "@")


def show(value: str, limit: int = 60) -> str:
    """A value quoted for a message: cut at `limit` characters, invisible characters escaped."""
    shown = value if len(value) <= limit else value[:limit] + "…"
    return '"' + shown.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"' \
        if FORBIDDEN.search(shown) or not shown.isprintable() else f'"{shown}"'


# Normalising sorts each run of combining marks, in time quadratic in the run's length (a cell of
# 999 k alternating U+0301 U+0323 takes minutes). Unicode's stream-safe text format allows at most
# 30 in a row; a longer run is reported (`combining-run`) and such a text is not normalised.
MAX_COMBINING_RUN = 30


def ranges(codes: list[int] | set[int]) -> list[tuple[int, int]]:
    """Sorted code points as inclusive (first, last) ranges."""
    out: list[list[int]] = []
    for c in sorted(codes):
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return [(a, b) for a, b in out]


def stored(table: tuple[int | tuple[int, int], ...]) -> list[tuple[int, int]]:
    return [r if isinstance(r, tuple) else (r, r) for r in table]


def combining_ranges() -> list[tuple[int, int]]:
    """The code points with a non-zero canonical combining class, from the stored table when it
    is this Python's Unicode version (else derived, slowly but exactly)."""
    from kuril_data.model import _unicode_tables

    if unicodedata.unidata_version == _unicode_tables.UNIDATA_VERSION:
        return stored(_unicode_tables.COMBINING)
    return ranges([c for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))])


@lru_cache(maxsize=1)
def _long_run() -> str:
    """RE2 syntax for a run of more than MAX_COMBINING_RUN combining marks (RE2 compiles the
    class in ~3 ms; Python's re takes ~0.2 s, a fifth of the cold start)."""
    cls = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in combining_ranges())
    return f"[{cls}]{{{MAX_COMBINING_RUN + 1},}}"


def long_combining_run(text: str) -> tuple[int, int] | None:
    """(position, length) in characters of the first run of more than MAX_COMBINING_RUN combining
    marks, or None. Linear in the text."""
    if text.isascii():
        return None
    from kuril_data.model.patterns import search

    data = text.encode("utf-8")
    span = search(_long_run(), data)
    if span is None:
        return None
    start, end = span
    return len(data[:start].decode("utf-8")) + 1, len(data[start:end].decode("utf-8"))


def nfc(text: str) -> str:
    """NFC, in time linear in the text; a text with an over-long run of combining marks is left as it is."""
    if text.isascii() or long_combining_run(text):
        return text
    return unicodedata.normalize("NFC", text)


def is_nfc(text: str) -> bool:
    """Whether `nfc` leaves the text as it is."""
    return text.isascii() or long_combining_run(text) is not None or unicodedata.is_normalized("NFC", text)


def web_url(value: object) -> str | None:
    """`value` when it is an absolute http(s) URL with no control or invisible character, else None:
    the only links taken from data into a page (never `javascript:`, `data:` or a relative path)."""
    from urllib.parse import urlsplit

    if not isinstance(value, str) or FORBIDDEN.search(value) or any(c.isspace() for c in value):
        return None
    parts = urlsplit(value)
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def blank(text: str) -> bool:
    """Whether a text shows nothing: only white space and invisible characters (a required value
    that is blank is missing)."""
    return not FORBIDDEN.sub("", text).strip()


def fold(text: str) -> str:
    """NFC, then every run of white space as one space: the only looseness verbatim checks allow."""
    return " ".join(nfc(text).split())
