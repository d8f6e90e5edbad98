"""Typed Arrow tables, built from the dataset's typed columns (`kuril_data.dataset`): the Arrow type
of each column comes from `kuril_data.model.types`, its metadata from the schema field."""

from __future__ import annotations

import json

import pyarrow as pa

from kuril_data.dataset.typed import Column, TypedTable, columns_of
from kuril_data.model.arrow_lit import array
from kuril_data.model.package import Resource


def arrow_field(column: Column) -> pa.Field:
    meta = {"description": column.description}
    if column.derived is None and column.field.constraints:
        meta["constraints"] = json.dumps(column.field.constraints, ensure_ascii=False, sort_keys=True)
    return pa.field(column.name, column.type.arrow_type(), nullable=column.nullable, metadata=meta)


def arrow_schema(resource: Resource, version: str | None = None) -> pa.Schema:
    """The Arrow schema of a resource: its fields in order, then the derived date-range columns."""
    meta = {"name": resource.name, "description": resource.description or resource.schema.description,
            "primary_key": json.dumps(list(resource.schema.primary_key))}
    if version:
        meta["version"] = version
    return pa.schema([arrow_field(c) for c in columns_of(resource)], metadata=meta)


def to_arrow(table: TypedTable, version: str | None = None) -> pa.Table:
    """The typed table as Arrow (built from buffers: `pa.array` would import pandas, ~0.2 s)."""
    schema = arrow_schema(table.resource, version)
    arrays = [array(values, f.type) for values, f in zip(table.values, schema, strict=True)]
    return pa.Table.from_arrays(arrays, schema=schema)
