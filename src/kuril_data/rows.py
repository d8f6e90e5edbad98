"""Typed rows of a validated table in plain Python, with the EDTF day ranges: what the site and the
timeline read. No pyarrow here, so those commands start fast (pyarrow.compute pulls in pandas)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import dates
from .dates import EARLIEST, LATEST
from .package import Field
from .read import Table

TRUE_VALUES = ("true", "True", "TRUE", "1")


def python_values(values: list[str], field: Field) -> list[Any]:
    """One raw column as Python values of the field's type, None for an empty cell."""
    t = field.type
    if t == "string":
        return [v or None for v in values]
    if t == "boolean":
        return [None if not v else v in TRUE_VALUES for v in values]
    convert = {"integer": int, "number": float, "year": int, "date": dt.date.fromisoformat}[t]
    return [convert(v) if v else None for v in values]


def typed_rows(table: Table) -> list[dict[str, Any]]:
    """Every row as a dict: the schema's fields typed, then `<field>_earliest`/`_latest` for each EDTF
    date (each distinct date parsed once) — the same values as `arrow.to_arrow(table).to_pylist()`."""
    fields = table.resource.schema.fields
    names = [f.name for f in fields]
    columns = [python_values(table.column(f.name), f) for f in fields]
    for f in fields:
        if f.edtf:
            raw = table.column(f.name)
            ranges = {v: dates.date_range(v) for v in set(raw) if v}
            names += [f.name + EARLIEST, f.name + LATEST]
            columns.append([ranges[v].earliest if v else None for v in raw])
            columns.append([ranges[v].latest if v else None for v in raw])
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
