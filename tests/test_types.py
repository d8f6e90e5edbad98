"""One field-type table: each type's cell check, Python value, and Arrow, pandas and SQLite types,
which validation, the Arrow conversion, export and load all take from it."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from kuril_data.dataset import field_values
from kuril_data.load import pandas_dtype
from kuril_data.model.package import SUPPORTED_TYPES, Field
from kuril_data.model.types import FIELD_TYPES

# type: (a valid cell, its value, an invalid cell)
SAMPLES = {
    "string": ("Shikotan", "Shikotan", None),
    "integer": ("-12", -12, "1.5"),
    "number": ("2.5e3", 2500.0, "inf"),
    "boolean": ("TRUE", True, "yes"),
    "date": ("1956-10-19", dt.date(1956, 10, 19), "1956-02-30"),
    "year": ("1956", 1956, "56"),
}


def test_every_supported_type_is_in_the_table_and_sampled() -> None:
    assert set(SUPPORTED_TYPES) == set(FIELD_TYPES) == set(SAMPLES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_type_checks_converts_and_maps_consistently(name: str) -> None:
    """The check accepts the valid cell and refuses the invalid one; the Python value fits the
    Arrow type; Arrow, pandas and SQLite types are those the consumers use."""
    ftype = FIELD_TYPES[name]
    good, value, bad = SAMPLES[name]
    assert ftype.problem(good) is None
    if bad is not None:
        assert ftype.problem(bad)
    field = Field("x", name, "", {})
    assert field_values([good, ""], field) == [value, None]
    assert pa.array([value, None], ftype.arrow_type()).to_pylist() == [value, None]
    dtype = pandas_dtype(field)
    series = pd.Series([value, None]).astype(dtype)
    assert series.isna().tolist() == [False, True]


@pytest.mark.parametrize("value", ["9223372036854775808", "-9223372036854775809", "1" * 20, "9" * 5_000])
def test_integers_beyond_64_bits_are_type_errors(value: str) -> None:
    """Arrow, pandas and SQLite hold 64-bit integers: a larger one is refused by validation rather
    than failing export or load (5,000 digits would make int() raise)."""
    assert FIELD_TYPES["integer"].problem(value) == "is outside the range of a 64-bit integer"
    assert FIELD_TYPES["integer"].problem("9223372036854775807") is None
    assert FIELD_TYPES["integer"].problem("-9223372036854775808") is None


@pytest.mark.parametrize("bound", ["abc", "inf", True, None, [1], "9" * 5_000])
def test_a_numeric_bound_that_is_no_number_is_a_schema_error(bound: object) -> None:
    """A minimum the range check could not compare is refused with the schema, not met mid-validation."""
    from kuril_data.model.package import parse_schema

    raw = {"fields": [{"name": "n", "type": "integer", "constraints": {"minimum": bound}}]}
    schema, problems = parse_schema(raw, "schemas/x.json")
    assert schema is None
    assert [(p.code, p.file, p.field) for p in problems][-1] == ("schema-error", "schemas/x.json", "n")
