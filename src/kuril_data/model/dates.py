"""EDTF dates: parsing (by the `edtf` library, never a home-made regex) and the day range each means."""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import io
import re
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from kuril_data.errors import DataError

# Suffixes of the two columns every export and frame adds for an EDTF field.
EARLIEST, LATEST = "_earliest", "_latest"


@dataclass(frozen=True)
class DateRange:
    """The earliest and latest day an EDTF string can mean; None where it is open-ended."""

    earliest: dt.date | None
    latest: dt.date | None
    interval_reversed: bool = False


class EDTFError(DataError, ValueError):
    """Not an EDTF date (validation reports it as an `edtf` problem)."""


def _day(value: object) -> dt.date | None:
    if not isinstance(value, time.struct_time):
        return None  # open or unknown ends come back as infinities
    try:
        return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    except ValueError:
        return None  # years outside 1..9999


def _calendar(value: str) -> DateRange | None:
    """The plain ISO 8601 calendar forms (YYYY, YYYY-MM, YYYY-MM-DD), checked by `datetime`.

    They are most dates in the data, and the `edtf` grammar costs ~15 ms a value (and 0.2 s to
    import); every other form goes to the library. A test pins that both agree on these forms.
    """
    n = len(value)
    if n not in (4, 7, 10) or not value.isascii():
        return None
    year = value[:4]
    if not year.isdigit() or year == "0000":
        return None
    try:
        if n == 4:
            return DateRange(dt.date(int(year), 1, 1), dt.date(int(year), 12, 31))
        if value[4] != "-" or not value[5:7].isdigit():
            return None
        month = int(value[5:7])
        if n == 7:
            first = dt.date(int(year), month, 1)
            last = first.replace(day=calendar.monthrange(first.year, month)[1])  # no overflow in 9999-12
            return DateRange(first, last)
        if value[7] != "-" or not value[8:].isdigit():
            return None
        day = dt.date.fromisoformat(value)
        return DateRange(day, day)
    except ValueError:
        return None  # not a real month or day: let the library give the verdict


def _simple(value: str) -> DateRange | None:
    """Calendar dates, with an uncertainty mark (?, ~, %), an interval A/B of them (an end may be
    open: ..), or a set of two or more of them: [A,B] (one of) or {A,B} (all of)."""
    if value[:1] in ("[", "{") and value[-1:] == ("]" if value[0] == "[" else "}"):
        members = [_calendar(m) for m in value[1:-1].split(",")]
        if len(members) < 2 or any(m is None or m.earliest is None or m.latest is None for m in members):
            return None
        return DateRange(min(m.earliest for m in members if m and m.earliest),
                         max(m.latest for m in members if m and m.latest))
    if "/" in value:
        start, _, end = value.partition("/")
        if start == ".." and end != "..":  # open start
            b = _calendar(end)
            return None if b is None else DateRange(None, b.latest)
        if end == ".." and start != "..":  # open end
            a = _calendar(start)
            return None if a is None else DateRange(a.earliest, None)
        a, b = _calendar(start), _calendar(end)
        if a is None or b is None or a.earliest is None or b.latest is None:
            return None
        return DateRange(a.earliest, b.latest, b.latest < a.earliest)
    if value[-1:] in ("?", "~", "%"):
        return _calendar(value[:-1])
    return _calendar(value)


# The `edtf` grammar costs ~35 ms per member of a set or list (a minute for 1,500 members), so
# no longer value reaches it: 64 is also the schemas' maxLength for dates.
MAX_LENGTH = 64


_QUIET = threading.Lock()


@lru_cache(maxsize=65536)
def parse(value: str) -> DateRange:
    """Parse an EDTF string; raise EDTFError with a plain reason when it is not one."""
    fast = _simple(value)
    if fast is not None:
        return fast
    if len(value) > MAX_LENGTH:
        raise EDTFError(f"is longer than {MAX_LENGTH} characters, more than any EDTF date needs")
    import edtf
    from edtf.parser.edtf_exceptions import EDTFParseException

    if value != value.strip():
        raise EDTFError("has white space around it")
    try:
        # The library prints debris on some inputs. redirect_stdout swaps the process's sys.stdout,
        # and checks run on several threads: one at a time, or two overlapping swaps could leave
        # sys.stdout pointing at a StringIO (swallowing the report) or let debris through.
        with _QUIET, contextlib.redirect_stdout(io.StringIO()):
            parsed = edtf.parse_edtf(value)
    except (EDTFParseException, ValueError, TypeError, AttributeError) as exc:  # 1956-1X: AttributeError
        raise EDTFError("is not a valid EDTF date") from exc
    try:
        earliest, latest = _day(parsed.lower_strict()), _day(parsed.upper_strict())
    except (TypeError, ValueError, OverflowError):
        earliest = latest = None
    reversed_ = False
    if type(parsed).__name__ == "Interval":
        try:
            start_low = _day(parsed.lower.lower_strict())
            end_high = _day(parsed.upper.upper_strict())
        except (AttributeError, TypeError, ValueError, OverflowError):
            start_low = end_high = None
        reversed_ = start_low is not None and end_high is not None and end_high < start_low
    return DateRange(earliest, latest, reversed_)


def date_range(value: str) -> DateRange | None:
    """Like `parse`, but None for an empty or invalid value (validation reports those)."""
    if not value:
        return None
    try:
        return parse(value)
    except EDTFError:
        return None


# A date expression in running text, in the package's languages: a year (Gregorian, or Thai
# Buddhist-Era 24xx/25xx; a decade such as "1950s" counts) or a month name. English month names
# are matched capitalised, so the verb "may" is not a month; Polish ones in the forms the seeds use.
_DATE_EXPRESSION = re.compile(
    r"(?<!\d)(?:1[0-9]{3}|20[0-9]{2}|2[45][0-9]{2})(?!\d)"
    r"|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
    r"|\b(?:stycz(?:eń|nia)|lut(?:y|ego)|mar(?:zec|ca)|kwie(?:cień|tnia)|maj|maja|czerw(?:iec|ca)|lip(?:iec|ca)"
    r"|sierp(?:ień|nia)|wrze(?:sień|śnia)|październik(?:a)?|listopad(?:a)?|grud(?:zień|nia))\b"
    r"|มกราคม|กุมภาพันธ์|มีนาคม|เมษายน|พฤษภาคม|มิถุนายน|กรกฎาคม|สิงหาคม|กันยายน|ตุลาคม|พฤศจิกายน|ธันวาคม")


def has_date_expression(text: str) -> bool:
    """Whether `text` names a year or a month (English, Polish or Thai): evidence for a date."""
    return _DATE_EXPRESSION.search(text) is not None


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December")
_MONTHS = "|".join(_MONTH_NAMES)
_YEAR = r"(?:1[0-9]|20)[0-9]{2}"  # Gregorian years only: a Thai Buddhist-Era 25xx year is not one
_STATED = re.compile(rf"\b({_MONTHS}) ([0-9]{{1,2}}), ({_YEAR})\b"  # day, month and year
                     rf"|\b({_MONTHS}),? ({_YEAR})\b"  # month and year
                     rf"|(?<![0-9])({_YEAR})(?![0-9])")  # a year


def stated_dates(text: str) -> list[str]:
    """The dates an excerpt states, as EDTF: "January 29, 1946" is 1946-01-29, "October 1955" is
    1955-10, a lone year is that year. English month names only; a day and month with no year
    ("on January 27") states no date of its own."""
    found = []
    for m in _STATED.finditer(text):
        if m.group(1):
            found.append(f"{m.group(3)}-{_MONTH_NAMES.index(m.group(1)) + 1:02d}-{int(m.group(2)):02d}")
        elif m.group(4):
            found.append(f"{m.group(5)}-{_MONTH_NAMES.index(m.group(4)) + 1:02d}")
        else:
            found.append(m.group(6))
    return found
