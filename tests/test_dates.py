"""EDTF dates: the library's verdict, and the fast path for plain calendar dates agreeing with it."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kuril_data.model import dates


def _library(value: str) -> dates.DateRange | None:
    dates.parse.cache_clear()
    real = dates._simple
    try:
        dates._simple = lambda value: None  # type: ignore[assignment]
        return dates.parse(value)
    except dates.EDTFError:
        return None
    finally:
        dates._simple = real  # type: ignore[assignment]
        dates.parse.cache_clear()


@settings(max_examples=150, deadline=None)
@given(day=st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(2999, 12, 31)),
       precision=st.sampled_from([4, 7, 10]))
def test_fast_path_agrees_with_the_edtf_library(day: dt.date, precision: int) -> None:
    """For YYYY, YYYY-MM and YYYY-MM-DD the fast path gives exactly the library's day range."""
    value = day.isoformat()[:precision]
    assert dates._calendar(value) == _library(value)


@settings(max_examples=150, deadline=None)
@given(a=st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(2999, 12, 31)),
       b=st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(2999, 12, 31)),
       pa=st.sampled_from([4, 7, 10]), pb=st.sampled_from([4, 7, 10]), mark=st.sampled_from(["", "?", "~", "%"]))
def test_fast_intervals_and_qualifiers_agree_with_the_library(a: dt.date, b: dt.date, pa: int, pb: int,
                                                              mark: str) -> None:
    """Intervals of calendar dates and qualified calendar dates give the library's day range."""
    interval = f"{a.isoformat()[:pa]}/{b.isoformat()[:pb]}"
    assert dates._simple(interval) == _library(interval)
    for open_interval in (f"../{b.isoformat()[:pb]}", f"{a.isoformat()[:pa]}/.."):
        assert dates._simple(open_interval) == _library(open_interval)
    qualified = a.isoformat()[:pa] + mark
    assert dates._simple(qualified) == _library(qualified)


@pytest.mark.parametrize("value", ["1956-02-30", "1956-13", "1956-00", "1956-1-9", "0000", "19566", "1956-10-1x"])
def test_fast_path_leaves_non_dates_to_the_library(value: str) -> None:
    """Impossible or malformed calendar dates are not accepted by the fast path."""
    assert dates._calendar(value) is None


@pytest.mark.parametrize(("value", "earliest", "latest"), [
    ("1956", "1956-01-01", "1956-12-31"),
    ("1956-02", "1956-02-01", "1956-02-29"),
    ("1956-10-19", "1956-10-19", "1956-10-19"),
    ("1955-06-03/1955-09", "1955-06-03", "1955-09-30"),
    ("1956-08?", "1956-08-01", "1956-08-31"),
    ("[1956-12-07,1956-12-08]", "1956-12-07", "1956-12-08"),
])
def test_day_ranges(value: str, earliest: str, latest: str) -> None:
    """Each EDTF form maps to the earliest and latest day it can mean."""
    r = dates.parse(value)
    assert (r.earliest, r.latest) == (dt.date.fromisoformat(earliest), dt.date.fromisoformat(latest))


@pytest.mark.parametrize("value", ["1956-02-30", "10/19/1956", "19.10.1956", "2021-2-3", "1950s", " 1956"])
def test_not_edtf(value: str) -> None:
    """Spreadsheet and impossible dates are refused."""
    with pytest.raises(dates.EDTFError):
        dates.parse(value)


def test_reversed_interval_is_flagged() -> None:
    """An interval that ends before it starts is marked."""
    assert dates.parse("1956-10/1956-09").interval_reversed
    assert not dates.parse("1956-09/1956-10").interval_reversed


@settings(max_examples=25, deadline=None)
@given(members=st.lists(st.tuples(st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(2999, 12, 31)),
                                  st.sampled_from([4, 7, 10])), min_size=2, max_size=4),
       brackets=st.sampled_from(["[]", "{}"]))
def test_fast_sets_agree_with_the_library(members: list[tuple[dt.date, int]], brackets: str) -> None:
    """A set of calendar dates, [A,B] or {A,B}, gets exactly the library's day range."""
    value = brackets[0] + ",".join(day.isoformat()[:p] for day, p in members) + brackets[1]
    assert dates._simple(value) == _library(value)


def test_long_values_never_reach_the_edtf_grammar() -> None:
    """Over MAX_LENGTH characters a value is refused before the (slow) grammar sees it; a set of
    1,500 members is refused at once, not after a minute."""
    dates.parse.cache_clear()
    huge = "{" + ",".join(["1956-10-1X"] * 1_500) + "}"
    with pytest.raises(dates.EDTFError, match="longer than 64"):
        dates.parse(huge)
    assert dates.date_range(huge) is None
    with pytest.raises(dates.EDTFError, match="not a valid EDTF"):
        dates.parse("1956-1X")  # the library raised AttributeError on this one
