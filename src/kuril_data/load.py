"""pandas DataFrames typed from the Table Schemas, from wherever the data is.

`load()` reads the data shipped inside the installed package (or, from a source checkout, the
repository), a package or release folder, a release zip, or the release's SQLite file, and gives
the same frames from each. Types come from the schemas, never from the data: `string` for text,
`category` (the enum's values, in schema order) for enumerated text, `Int64`, `Float64`,
`boolean`, and for every EDTF date field two `datetime64[s]` columns `<field>_earliest` and
`<field>_latest`. Rows are sorted by primary key. CSV sources are read and validated by the one
reader every other command uses; a package that does not validate is refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from kuril_data.dataset import Dataset, columns_of
from kuril_data.errors import KurilDataError
from kuril_data.io.versions import BUNDLED, SQLITE_MAGIC, VersionError, installed_package
from kuril_data.model.layout import METADATA_TABLE
from kuril_data.model.limits import DEFAULT_LIMITS, Limits
from kuril_data.model.package import DESCRIPTOR, Field, Package, Resource
from kuril_data.model.types import DATE_DTYPE, FIELD_TYPES
from kuril_data.report import Report
from kuril_data.validate import check

if TYPE_CHECKING:  # pandas and pyarrow are imported when needed, so `import kuril_data` stays light
    import pandas as pd
    import pyarrow as pa

__all__ = ["BUNDLED", "DATE_DTYPE", "METADATA_TABLE", "SQLITE_MAGIC", "LoadError", "Loaded", "default_source",
           "load", "pandas_dtypes", "read_source", "to_pandas"]
Source = str | os.PathLike[str] | None


class LoadError(KurilDataError):
    """The source cannot be loaded: not found, not a package, unsafe, or its data does not validate.
    The only exception `load` raises for a source (ValueError only for an unknown table name)."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message, report=report)


@dataclass(frozen=True)
class Loaded:
    """What a source gives: its package (for the schemas) and one typed Arrow table per resource."""

    package: Package
    tables: dict[str, pa.Table]


@overload
def load(table: str, *, source: Source = None, version: str | None = None) -> pd.DataFrame: ...
@overload
def load(table: None = None, *, source: Source = None, version: str | None = None) -> dict[str, pd.DataFrame]: ...


def load(table: str | None = None, *, source: Source = None,
         version: str | None = None) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """The DataFrame of one table, or a dict of every table by name (in the descriptor's order).

    `source` is None (the data shipped with the installed package, or the repository when run
    from a source checkout), a package or release folder (or its datapackage.json), a release
    zip, an inline `kuril-data.json`, the release's `kuril-data.sqlite`, or `git:REV`; every kind
    is read by `kuril_data.io.versions` and validated. `version` (instead of `source`) is a published
    release, such as "0.1.0": downloaded once, verified against the checksum shipped with
    kuril-data, and read from the user cache afterwards, offline (see `kuril_data.release.registry`).
    Raises ValueError for an unknown table name and LoadError when the source cannot be loaded or
    the version cannot be fetched (unknown, network, checksum, a cache folder that cannot be written).
    """
    if version is not None:
        if source is not None:
            raise ValueError("give either source= or version=, not both")
        from kuril_data.release.registry import fetch_release

        try:
            source = fetch_release(version).zip
        except KurilDataError as exc:  # ReleaseError, DownloadError: one exception from load
            raise LoadError(str(exc)) from None
        except OSError as exc:
            raise LoadError(f"release {version}: {exc.filename or ''} {exc.strerror or exc}".strip()) from None
    loaded = read_source(source)
    names = [r.name for r in loaded.package.resources]
    if table is not None and table not in names:
        raise ValueError(f"unknown table {table!r}; the tables are: {', '.join(names)}")
    try:
        frames = {name: to_pandas(loaded.tables[name], resource)
                  for name in ([table] if table is not None else names)
                  if (resource := loaded.package.resource(name)) is not None}
    except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:  # a value pandas cannot hold
        raise LoadError(f"cannot build the frames: {type(exc).__name__}: {exc}") from None
    return frames[table] if table is not None else frames


# --- pandas types from the schema ----------------------------------------------------------------

def pandas_dtype(field: Field) -> Any:
    """The pandas dtype of a schema field (EDTF fields stay text; their date columns are DATE_DTYPE)."""
    import pandas as pd

    enum = field.constraints.get("enum")
    if field.type == "string" and enum:
        return pd.CategoricalDtype([str(v) for v in enum], ordered=False)
    name = FIELD_TYPES[field.type].pandas
    return name if name == DATE_DTYPE else pd.api.types.pandas_dtype(name)


def pandas_dtypes(resource: Resource) -> dict[str, Any]:
    """Every column of a resource's frame with its dtype, in column order (the derived date columns last)."""
    return {c.name: DATE_DTYPE if c.derived else pandas_dtype(c.field) for c in columns_of(resource)}


def to_pandas(table: pa.Table, resource: Resource) -> pd.DataFrame:
    """A typed Arrow table (`kuril_data.dataset.Dataset.arrow`) as a DataFrame typed from the schema, sorted by key."""
    import pandas as pd
    import pyarrow as pa

    columns: dict[str, pd.Series] = {}
    for name, dtype in pandas_dtypes(resource).items():
        column = table.column(name)
        if dtype == DATE_DTYPE:
            series = column.cast(pa.timestamp("s")).to_pandas().astype(DATE_DTYPE)
        elif isinstance(dtype, pd.CategoricalDtype):
            values = column.to_pylist()
            unknown = sorted({v for v in values if v is not None} - set(dtype.categories))
            if unknown:
                raise LoadError(f"{resource.name}.{name}: value(s) {unknown} are not among {list(dtype.categories)}")
            series = pd.Series(pd.Categorical(values, dtype=dtype))
        else:
            series = pd.Series(column.to_pylist(), dtype=dtype)
        columns[name] = series.rename(name)
    frame = pd.DataFrame(columns)
    key = list(resource.schema.primary_key)
    if key:
        frame = frame.sort_values(key, kind="stable", ignore_index=True)
    frame.attrs = {"table": resource.name, "description": resource.description or resource.schema.description,
                   "primary_key": key}
    return frame


# --- sources -------------------------------------------------------------------------------------

def default_source() -> Path:
    """The data shipped inside the installed package, else the repository of a source checkout."""
    try:
        return installed_package()
    except VersionError as exc:
        raise LoadError(str(exc)) from None


def read_source(source: Source = None, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """Read and validate any kind of source into typed Arrow tables; see `load`."""
    label = default_source() if source is None else source
    try:
        checked = check(label, limits=limits)
    except KurilDataError as exc:
        raise LoadError(str(exc), exc.report) from None
    except (OSError, RecursionError, MemoryError) as exc:
        raise LoadError(f"{os.fspath(label)}: cannot be read ({type(exc).__name__}: {exc})") from None
    if checked.package is None or not checked.report.valid:
        raise LoadError(f"the package at {os.fspath(label)} does not validate:\n{checked.report.to_text()}",
                        checked.report)
    data = Dataset(checked)
    package = data.package
    if checked.kind == "sqlite" and checked.stamp != package.version:
        schemas = Path(label).parent if (Path(label).parent / DESCRIPTOR).is_file() else default_source()
        raise LoadError(f"{os.fspath(label)} holds version {checked.stamp} but the schemas at {schemas} are "
                        f"version {package.version}; keep the SQLite file beside its release's {DESCRIPTOR}")
    try:
        tables = {r.name: data.arrow(r.name, package.version) for r in package.resources}
    except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:  # pyarrow's errors derive from these
        raise LoadError(f"cannot type the tables of {os.fspath(label)}: {type(exc).__name__}: {exc}") from None
    return Loaded(package, tables)
