"""The one derivation of typed values: `columns_of` gives the columns every output of a table has,
`typed_table` their Python values (see `kuril_data.dataset`). No pyarrow here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kuril_data.io.read import Table
from kuril_data.model import dates
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.model.package import Field, Resource
from kuril_data.model.types import FIELD_TYPES, FieldType


@dataclass(frozen=True)
class Column:
    """One column of a table's outputs: a schema field, or a date bound derived from one."""

    name: str
    type: FieldType
    field: Field  # the schema field (for a derived bound, the EDTF field it is derived from)
    derived: str | None = None  # "earliest" or "latest" for a derived bound

    @property
    def description(self) -> str:
        if self.derived:
            return f"The {self.derived} day `{self.field.name}` can mean (derived from the EDTF string)."
        return self.field.description

    @property
    def nullable(self) -> bool:
        return self.derived is not None or not self.field.required


def columns_of(resource: Resource) -> list[Column]:
    """The columns every output of `resource` has, in order: its fields, then the EDTF date bounds."""
    fields = resource.schema.fields
    columns = [Column(f.name, FIELD_TYPES[f.type], f) for f in fields]
    for f in fields:
        if f.edtf:
            columns += [Column(f.name + EARLIEST, FIELD_TYPES["date"], f, "earliest"),
                        Column(f.name + LATEST, FIELD_TYPES["date"], f, "latest")]
    return columns


@dataclass(frozen=True)
class TypedTable:
    """One table typed: `values[i]` holds the Python values of `columns[i]`."""

    resource: Resource
    columns: list[Column]
    values: list[list[Any]]

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> list[Any]:
        return self.values[self.names.index(name)]

    def rows(self) -> list[dict[str, Any]]:
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in zip(*self.values, strict=True)]


def field_values(raw: list[str], field: Field) -> list[Any]:
    """One raw column as Python values of the field's type, None for an empty cell."""
    if field.type == "string":
        return [v or None for v in raw]
    convert = FIELD_TYPES[field.type].value
    return [convert(v) if v else None for v in raw]


def typed_table(table: Table) -> TypedTable:
    """Type a table that passed validation (call on nothing else: a bad cell raises)."""
    columns = columns_of(table.resource)
    values: list[list[Any]] = []
    ranges: dict[str, list[Any]] = {}
    for c in columns:
        if c.derived is None:
            values.append(field_values(table.column(c.name), c.field))
            continue
        spans = ranges.get(c.field.name)
        if spans is None:
            raw = table.column(c.field.name)
            parsed = {v: dates.date_range(v) for v in set(raw) if v}
            spans = ranges[c.field.name] = [parsed[v] if v else None for v in raw]
        values.append([getattr(s, c.derived) if s else None for s in spans])
    return TypedTable(table.resource, columns, values)


# Declared once: the first of these fields a table has labels its rows (site pages, Datasette links).
LABEL_FIELDS = ("title", "name", "subject", "text", "evidence")


def label_field(resource: Resource) -> str | None:
    names = resource.schema.names
    return next((n for n in LABEL_FIELDS if n in names), None)
