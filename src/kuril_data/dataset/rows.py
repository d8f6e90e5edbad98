"""Typed rows of a validated table in plain Python, with the EDTF day ranges: what the site and the
timeline read. No pyarrow here, so those commands start fast (pyarrow.compute pulls in pandas)."""

from __future__ import annotations

from typing import Any

from kuril_data.io.read import Table
from kuril_data.model import dates
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.model.package import Field
from kuril_data.model.types import FIELD_TYPES


def python_values(values: list[str], field: Field) -> list[Any]:
    """One raw column as Python values of the field's type, None for an empty cell."""
    if field.type == "string":
        return [v or None for v in values]
    convert = FIELD_TYPES[field.type].value
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
            spans = [ranges[v] if v else None for v in raw]
            names += [f.name + EARLIEST, f.name + LATEST]
            columns.append([s.earliest if s else None for s in spans])
            columns.append([s.latest if s else None for s in spans])
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
