"""The Arrow rules' "certainly valid EDTF" mask is sound: every value it lets through is one
`dates.parse` accepts without a reversed interval (so `cell_problem` has nothing to say about it)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kuril_data.model import dates
from kuril_data.validate.checks.vector import sure_dates as _sure_dates


def _exact_ok(value: str) -> bool:
    try:
        return not dates.parse(value).interval_reversed
    except dates.EDTFError:
        return False


def _check(values: list[str]) -> list[bool]:
    sure = _sure_dates(pa.array(values, pa.string())).to_pylist()
    for value, ok in zip(values, sure, strict=True):
        assert not ok or _exact_ok(value), value
    return sure


def _days(year: int) -> list[str]:
    out = []
    for month in range(1, 13):
        for day in range(27, 33):
            out.append(f"{year:04d}-{month:02d}-{day:02d}")
    return out


def test_month_ends_and_leap_days() -> None:
    """Days 27-32 of every month in leap, common and century years (and year 0) are judged soundly,
    and every real date among them is recognised."""
    values = [v for year in (0, 4, 100, 400, 1900, 1956, 1960, 2000, 2023, 2100, 9996) for v in _days(year)]
    for value, sure in zip(values, _check(values), strict=True):
        real = value[:4] != "0000" and _is_date(value)
        assert sure == real, value


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def test_intervals_in_every_precision() -> None:
    """Intervals of years, months and days, in order, equal, overlapping and reversed."""
    points = ["1955", "1956", "1956-01", "1956-10", "1956-12", "1957-01", "1956-10-01", "1956-10-19",
              "1956-10-31", "1956-12-31", "1957-01-01", "1955-12-31", "0000", "0001", "1956-02-29", "1956-02-30"]
    values = [f"{a}/{b}" for a in points for b in points]
    sure = _check(values)
    for value, ok in zip(values, sure, strict=True):
        if "0000" not in value and "02-30" not in value:
            assert ok == _exact_ok(value), value  # every plain interval is decided by the mask


DATE = st.builds(lambda y, m, d, n: f"{y:04d}-{m:02d}-{d:02d}"[:n], st.integers(0, 9999), st.integers(0, 13),
                 st.integers(0, 32), st.sampled_from([4, 7, 10]))
VALUE = st.one_of(
    DATE,
    st.builds(lambda a, s: a + s, DATE, st.sampled_from(["?", "~", "%", "??", "/", ".."])),
    st.builds(lambda a, b: f"{a}/{b}", DATE, DATE),
    st.builds(lambda a, b: f"{a}/{b}", st.one_of(DATE, st.just("..")), st.one_of(DATE, st.just(".."))),
    st.text(alphabet="0123456789-/?~%. X", max_size=23),
)


@settings(max_examples=300, deadline=None)
@given(values=st.lists(VALUE, min_size=1, max_size=40))
def test_random_values_are_judged_soundly(values: list[str]) -> None:
    """No random date-like value is let through unless dates.parse accepts it in order."""
    _check(values)


def test_last_month_of_year_9999() -> None:
    """December 9999 is a valid EDTF month (it used to overflow and crash validation)."""
    assert dates.parse("9999-12") == dates.DateRange(dt.date(9999, 12, 1), dt.date(9999, 12, 31))
    assert _check(["9999-12", "9999-12-31", "9999"]) == [True, True, True]
