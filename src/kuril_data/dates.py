"""EDTF dates: parsing (by the `edtf` library, never a home-made regex) and the day range each means."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class DateRange:
    """The earliest and latest day an EDTF string can mean; None where it is open-ended."""

    earliest: dt.date | None
    latest: dt.date | None
    interval_reversed: bool = False


class EDTFError(ValueError):
    pass


def _day(value: object) -> dt.date | None:
    if not isinstance(value, time.struct_time):
        return None  # open or unknown ends come back as infinities
    try:
        return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    except ValueError:
        return None  # years outside 1..9999


@lru_cache(maxsize=65536)
def parse(value: str) -> DateRange:
    """Parse an EDTF string; raise EDTFError with a plain reason when it is not one."""
    import edtf
    from edtf.parser.edtf_exceptions import EDTFParseException

    if value != value.strip():
        raise EDTFError("has white space around it")
    try:
        parsed = edtf.parse_edtf(value)
    except (EDTFParseException, ValueError, TypeError) as exc:
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
