"""Typed Arrow tables from the Table Schemas: one mapping for every consumer (export, load, diff).

Types are derived from the schema, never inferred from the data. EDTF date fields stay text and
gain two date columns, `<field>_earliest` and `<field>_latest`, the day range the date can mean.
"""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.compute as pc

from kuril_data.dataset.rows import python_values
from kuril_data.io.read import Table
from kuril_data.model import dates
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.model.package import Field, Resource, Schema
from kuril_data.model.types import FIELD_TYPES

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
