"""The field types of the Table Schemas this toolkit supports, in one table: for each type, the
check of a cell's text, its Python value, and its Arrow, pandas and SQLite types. Validation,
export, load and the Arrow conversion all read it here; a new type is one entry.

Arrow and pandas types are named, not built, so that importing this module imports neither.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_YEAR = re.compile(r"^[0-9]{4}$")
TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")
DATE_DTYPE = "datetime64[s]"  # pandas: calendar dates and the `_earliest`/`_latest` day of EDTF dates


@dataclass(frozen=True)
class FieldType:
    name: str
    problem: Callable[[str], str | None]  # why a non-empty cell is not of this type, or None
    value: Callable[[str], Any]  # the Python value of a valid non-empty cell
    arrow: str  # pyarrow type factory: pa.<arrow>()
    pandas: str  # pandas dtype name
    sqlite: str  # SQLite column type (STRICT tables)

    def arrow_type(self) -> Any:
        import pyarrow as pa

        return getattr(pa, self.arrow)()


def _integer(value: str) -> str | None:
    if not _INTEGER.match(value):
        return "is not an integer"
    # Arrow, pandas and SQLite hold 64 bits; checked on the digits' count first, as int() of
    # more than 4,300 digits raises.
    if len(value.lstrip("+-")) > 19 or not -(2**63) <= int(value) < 2**63:
        return "is outside the range of a 64-bit integer"
    return None


def _number(value: str) -> str | None:
    return None if _NUMBER.match(value) and math.isfinite(float(value)) else "is not a number"


def _boolean(value: str) -> str | None:
    return None if value in TRUE_VALUES or value in FALSE_VALUES else "is not true or false"


def _year(value: str) -> str | None:
    return None if _YEAR.match(value) else "is not a four-digit year"


def _date(value: str) -> str | None:
    if not _DATE.match(value):
        return "is not a date in the form YYYY-MM-DD"
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return "is not a real calendar date"
    return None


FIELD_TYPES: dict[str, FieldType] = {t.name: t for t in (
    FieldType("string", lambda v: None, str, "string", "string", "TEXT"),
    FieldType("integer", _integer, int, "int64", "Int64", "INTEGER"),
    FieldType("number", _number, float, "float64", "Float64", "REAL"),
    FieldType("boolean", _boolean, lambda v: v in TRUE_VALUES, "bool_", "boolean", "INTEGER"),
    FieldType("date", _date, dt.date.fromisoformat, "date32", DATE_DTYPE, "TEXT"),
    FieldType("year", _year, int, "int32", "Int64", "INTEGER"),
)}
SUPPORTED_TYPES = tuple(FIELD_TYPES)
