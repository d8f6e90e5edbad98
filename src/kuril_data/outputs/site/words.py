"""EDTF dates in words for readers, shown beside the EDTF itself: `1956-10-19` is "19 October 1956",
`1955-06-03/1956-03-20` "between 3 June 1955 and 20 March 1956", `../1951-09` "before September
1951", `1956/..` "from 1956 on"; `?` reads "possibly", `~` "about", `%` "about, possibly". A form
these rules do not know is given back as None (the page then shows the EDTF and its bounds only)."""

from __future__ import annotations

import re

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
SEASONS = {21: "spring", 22: "summer", 23: "autumn", 24: "winter"}
_POINT = re.compile(r"(?P<y>-?\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?(?P<q>[?~%]?)")
_QUALIFIER = {"": "", "?": "possibly ", "~": "about ", "%": "about, possibly, "}


def point_words(text: str) -> str | None:
    """One EDTF date (year, month, day or season, with an optional ? ~ %) in words."""
    found = _POINT.fullmatch(text)
    if not found:
        return None
    year, month, day = found["y"], found["m"], found["d"]
    words = str(int(year))
    if month:
        m = int(month)
        if m in SEASONS and not day:
            words = f"{SEASONS[m]} {words}"
        elif 1 <= m <= 12:
            words = f"{MONTHS[m - 1]} {words}"
            if day:
                words = f"{int(day)} {words}"
        else:
            return None
    return _QUALIFIER[found["q"]] + words


def date_words(edtf: str | None) -> str | None:
    """An EDTF date or interval in words, or None for a form not covered."""
    if not edtf:
        return None
    if "/" in edtf:
        start, _, end = edtf.partition("/")
        if start in ("..", "") and end not in ("..", ""):
            words = point_words(end)
            return f"before {words}" if words else None
        if end in ("..", "") and start not in ("..", ""):
            words = point_words(start)
            return f"from {words} on" if words else None
        a, b = point_words(start), point_words(end)
        return f"between {a} and {b}" if a and b else None
    if edtf.startswith("[") or edtf.startswith("{"):
        choices = [point_words(x.strip()) for x in re.split(r",|\.\.", edtf.strip("[]{}")) if x.strip()]
        if choices and all(choices):
            joiner = " or " if edtf.startswith("[") else " and "
            return joiner.join(c for c in choices if c)
        return None
    return point_words(edtf)
