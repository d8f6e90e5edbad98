"""The checked package typed once: what every writer (parquet, json, sqlite, datasette, site,
timeline, dictionary) and `load()` is handed. No writer re-reads or re-parses a CSV or a schema.

One derivation, built on the Field/Resource definitions and `kuril_data.model.types`:
`columns_of(resource)` is the column layout of every output (the schema's fields in order, then
`<field>_earliest`/`<field>_latest` for each EDTF date, typed `date`), and `typed_table` gives each
column's Python values (None for an empty cell; each distinct EDTF date parsed once). Arrow tables
(`Dataset.arrow`, pyarrow imported only then) and row dicts (`Dataset.rows`, for the site and the
timeline, which so start without pyarrow) are both built from these same typed columns.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kuril_data.dataset.typed import (
    LABEL_FIELDS,
    Column,
    TypedTable,
    columns_of,
    field_values,
    label_field,
    typed_table,
)
from kuril_data.io.versions import Spec
from kuril_data.model.package import Package, Resource
from kuril_data.report import Report
from kuril_data.validate import Checked, check

if TYPE_CHECKING:
    import pyarrow as pa

__all__ = ["LABEL_FIELDS", "Column", "Dataset", "TypedTable", "columns_of", "field_values", "label_field",
           "open_dataset", "typed_table"]


class Dataset:
    """A package that validated, typed once, table by table, on first use."""

    def __init__(self, checked: Checked) -> None:
        self.package: Package = checked.require()  # Refused (exit 1) when it does not validate
        self.checked = checked
        self.report: Report = checked.report
        self._typed: dict[str, TypedTable] = {}
        self._arrow: dict[tuple[str, str | None], pa.Table] = {}

    @property
    def resources(self) -> tuple[Resource, ...]:
        return self.package.resources

    def table(self, name: str) -> TypedTable:
        typed = self._typed.get(name)
        if typed is None:
            typed = self._typed[name] = typed_table(self.checked.tables[name])
        return typed

    def rows(self, name: str) -> list[dict[str, Any]]:
        """Every row of table `name` as a dict of typed values, the derived bounds included."""
        return self.table(name).rows()

    def arrow(self, name: str, version: str | None = None) -> pa.Table:
        """Table `name` as typed Arrow (version in its schema metadata); imports pyarrow."""
        key = (name, version)
        if key not in self._arrow:
            from kuril_data.dataset.arrow import to_arrow

            self._arrow[key] = to_arrow(self.table(name), version)
        return self._arrow[key]

    def each(self, convert: Callable[[TypedTable], Any]) -> dict[str, Any]:
        return {r.name: convert(self.table(r.name)) for r in self.resources}


def open_dataset(path: Spec = ".", **kwargs: Any) -> Dataset:
    """Through the door (`kuril_data.validate.check`): the package at `path`, checked and typed."""
    return Dataset(check(path, **kwargs))
