"""Typed Arrow tables from the Table Schemas: one mapping for every consumer (export, load, diff).

Types are derived from the schema, never inferred from the data. EDTF date fields stay text and
gain two date columns, `<field>_earliest` and `<field>_latest`, the day range the date can mean.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from . import dates
from .dates import EARLIEST, LATEST
from .package import Field, Resource, Schema
from .read import Table
from .types import FIELD_TYPES

ARROW_TYPES: dict[str, pa.DataType] = {name: t.arrow_type() for name, t in FIELD_TYPES.items()}


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


def python_values(values: list[str], field: Field) -> list[Any]:
    """One raw column as Python values of the field's type, None for an empty cell."""
    if field.type == "string":
        return [v or None for v in values]
    convert = FIELD_TYPES[field.type].value
    return [convert(v) if v else None for v in values]


def string_array(table: Table, name: str) -> pa.Array:
    """Column `name` as an Arrow string array with empty cells as nulls."""
    values = table.array(name)
    if values.type != pa.string():
        values = values.cast(pa.string())
    empty = pc.equal(values, "")
    return pc.if_else(empty, pa.scalar(None, pa.string()), values) if pc.any(empty).as_py() else values


def to_arrow(table: Table, version: str | None = None) -> pa.Table:
    """Convert a validated table to typed Arrow. Call only on data that passed validation.

    Text columns go to Arrow as they are; each EDTF date is parsed once per distinct value and its
    day range spread over the rows with `take`.
    """
    schema = arrow_schema(table.resource, version)
    fields = table.resource.schema.fields
    columns: list[pa.Array] = [
        string_array(table, f.name) if f.type == "string"
        else pa.array(python_values(table.column(f.name), f), ARROW_TYPES[f.type])
        for f in fields
    ]
    for f in fields:
        if f.edtf:
            encoded = pc.dictionary_encode(string_array(table, f.name))
            ranges = [dates.date_range(v) if v else None for v in encoded.dictionary.to_pylist()]
            for side in ("earliest", "latest"):
                days = pa.array([getattr(r, side) if r else None for r in ranges], pa.date32())
                columns.append(days.take(encoded.indices))
    return pa.Table.from_arrays(columns, schema=schema)
