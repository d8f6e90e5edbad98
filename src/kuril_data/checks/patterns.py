"""Schema `pattern` constraints: which ones RE2 (the finders' engine) reads exactly as Python's re does."""

from __future__ import annotations

import re

# Regex syntax that means the same in Python's re and RE2: ASCII literals, escaped punctuation,
# classes of those, groups, alternation, quantifiers and the anchors ^ and $.
_LIT = r"[A-Za-z0-9 _,;:/'\"=<>!#%&~@-]|\\[.\-\\/^$|?*+()\[\]{}]"
_SAFE_PATTERN = re.compile(
    rf"(?:{_LIT}|[\^$|)?*+]|\((?:\?:)?|\{{[0-9]+(?:,[0-9]*)?\}}|\[\^?(?:{_LIT}|[.+*?(){{}}|$])+\])*"
)


def re2_safe(pattern: str) -> bool:
    # Possessive quantifiers (a*+) exist only in Python's re (3.11+).
    # "(?" other than "(?:" is a flag, lookaround or named group.
    return _SAFE_PATTERN.fullmatch(pattern) is not None and not re.search(r"[*+?}][*+]|\((?!\?:)\?", pattern)


def plain(pattern: str) -> bool:
    """True when every value matching the pattern is printable ASCII without spaces, so it
    cannot hold white space, a forbidden or a non-NFC character (a formula start it can)."""
    return re2_safe(pattern) and " " not in pattern and "[^" not in pattern


def fullmatch(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value) is not None
