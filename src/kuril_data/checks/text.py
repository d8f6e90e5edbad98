"""Text helpers the checks share: the forbidden characters, how a value is shown in a message,
and the folding verbatim comparisons allow."""

from __future__ import annotations

import re
import unicodedata

# Characters no cell may hold: C0/C1 controls, and invisible format characters (zero-width,
# bidirectional overrides, BOM) that make two different values look the same.
FORBIDDEN = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
FORMULA_START = ("=", "+", "-", "@")


def show(value: str, limit: int = 60) -> str:
    """A value quoted for a message: cut at `limit` characters, invisible characters escaped."""
    shown = value if len(value) <= limit else value[:limit] + "…"
    return '"' + shown.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"' \
        if FORBIDDEN.search(shown) or not shown.isprintable() else f'"{shown}"'


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def fold(text: str) -> str:
    """NFC, then every run of white space as one space: the only looseness verbatim checks allow."""
    return " ".join(nfc(text).split())
