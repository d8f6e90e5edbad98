"""Typed Arrow tables from the Table Schemas: one mapping for every consumer (export, load, diff).

Types are derived from the schema, never inferred from the data. EDTF date fields stay text and
gain two date columns, `<field>_earliest` and `<field>_latest`, the day range the date can mean.
"""

from __future__ import annotations

import json

import pyarrow as pa

from . import dates
from .dates import EARLIEST, LATEST
from .package import Field, Resource, Schema
from .read import Table

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "year": pa.int32(),
}


def arrow_field(field: Field) -> pa.Field:
    meta = {"description": field.description}
    if field.constraints:
        meta["constraints"] = json.dumps(field.constraints, ensure_ascii=False, sort_keys=True)
    return pa.field(field.name, ARROW_TYPES[field.type], nullable=not field.required, metadata=meta)


def arrow_schema(resource: Resource, version: str | None = None) -> pa.Schema:
    """The Arrow schema of a resource: its fields in order, then the derived date-range columns."""
    schema: Schema = resource.schema
    fields = [arrow_field(f) for f in schema.fields]
    for f in schema.fields:
        if f.edtf:
            for suffix, word in ((EARLIEST, "earliest"), (LATEST, "latest")):
                fields.append(pa.field(f.name + suffix, pa.date32(), metadata={
                    "description": f"The {word} day `{f.name}` can mean (derived from the EDTF string)."}))
    meta = {"name": resource.name, "description": resource.description or schema.description,
            "primary_key": json.dumps(list(schema.primary_key))}
    if version:
        meta["version"] = version
    return pa.schema(fields, metadata=meta)


def _typed(values: list[str], field: Field) -> pa.Array:
    t = field.type
    if t == "string":
        return pa.array([v or None for v in values], pa.string())
    if t == "boolean":
        return pa.array([None if not v else v in ("true", "True", "TRUE", "1") for v in values], pa.bool_())
    import datetime as dt

    convert = {"integer": int, "number": float, "year": int, "date": dt.date.fromisoformat}[t]
    return pa.array([convert(v) if v else None for v in values], ARROW_TYPES[t])


def to_arrow(table: Table, version: str | None = None) -> pa.Table:
    """Convert a validated table to typed Arrow. Call only on data that passed validation."""
    schema = arrow_schema(table.resource, version)
    columns: list[pa.Array] = [_typed(table.column(f.name), f) for f in table.resource.schema.fields]
    for f in table.resource.schema.fields:
        if f.edtf:
            ranges = [dates.date_range(v) for v in table.column(f.name)]
            columns.append(pa.array([r.earliest if r else None for r in ranges], pa.date32()))
            columns.append(pa.array([r.latest if r else None for r in ranges], pa.date32()))
    return pa.Table.from_arrays(columns, schema=schema)
