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

import datetime as dt
import json
import os
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, overload

from .archive import unsafe_archive
from .dates import EARLIEST, LATEST
from .errors import KurilDataError
from .package import DESCRIPTOR, Field, Package, PackageError, Resource, read_package
from .read import DEFAULT_LIMITS, Limits
from .report import Report
from .types import DATE_DTYPE, FIELD_TYPES
from .validate import check

if TYPE_CHECKING:  # pandas and pyarrow are imported when needed, so `import kuril_data` stays light
    import pandas as pd
    import pyarrow as pa

BUNDLED = "_package"  # the data package inside the installed wheel: kuril_data/_package/
SQLITE_MAGIC = b"SQLite format 3\x00"
METADATA_TABLE = "_metadata"
Source = str | os.PathLike[str] | None


class LoadError(KurilDataError):
    """The source cannot be loaded: not found, not a package, unsafe, or its data does not validate."""

    def __init__(self, message: str, report: Report | None = None) -> None:
        super().__init__(message, report=report)


@dataclass(frozen=True)
class Loaded:
    """What a source gives: its package (for the schemas) and one typed Arrow table per resource."""

    package: Package
    tables: dict[str, pa.Table]


@overload
def load(table: str, *, source: Source = None) -> pd.DataFrame: ...
@overload
def load(table: None = None, *, source: Source = None) -> dict[str, pd.DataFrame]: ...


def load(table: str | None = None, *, source: Source = None) -> pd.DataFrame | dict[str, pd.DataFrame]:
    """The DataFrame of one table, or a dict of every table by name (in the descriptor's order).

    `source` is None (the data shipped with the installed package, or the repository when run
    from a source checkout), a package or release folder (or its datapackage.json), a release
    zip, or the release's `kuril-data.sqlite`. Raises ValueError for an unknown table name and
    LoadError when the source cannot be loaded.
    """
    loaded = read_source(source)
    names = [r.name for r in loaded.package.resources]
    if table is not None and table not in names:
        raise ValueError(f"unknown table {table!r}; the tables are: {', '.join(names)}")
    frames = {name: to_pandas(loaded.tables[name], resource)
              for name in ([table] if table is not None else names)
              if (resource := loaded.package.resource(name)) is not None}
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
    fields = resource.schema.fields
    dtypes = {f.name: pandas_dtype(f) for f in fields}
    for f in fields:
        if f.edtf:
            dtypes[f.name + EARLIEST] = DATE_DTYPE
            dtypes[f.name + LATEST] = DATE_DTYPE
    return dtypes


def to_pandas(table: pa.Table, resource: Resource) -> pd.DataFrame:
    """A typed Arrow table (see `kuril_data.arrow`) as a DataFrame typed from the schema, sorted by key."""
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
    here = Path(__file__).resolve().parent
    bundled = here / BUNDLED
    if (bundled / DESCRIPTOR).is_file():
        return bundled
    repo = here.parent.parent
    if (repo / DESCRIPTOR).is_file() and (repo / "src" / here.name).is_dir():
        return repo
    raise LoadError(f"no data found: neither {bundled} nor a source checkout around it holds {DESCRIPTOR}; "
                    "pass source= a package folder, a release zip or a kuril-data.sqlite file")


def read_source(source: Source = None, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """Read any kind of source into typed Arrow tables; see `load`."""
    path = default_source() if source is None else Path(source)
    if path.is_dir() or path.name == DESCRIPTOR:
        return _from_package(path, limits)
    if not path.is_file():
        raise LoadError(f"no such file or folder: {path}")
    with open(path, "rb") as f:
        magic = f.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        return _from_sqlite(path)
    if zipfile.is_zipfile(path):
        return _from_zip(path, limits)
    raise LoadError(f"{path} is not a package folder, a datapackage.json, a release zip or a SQLite file")


def _from_package(path: Path, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    try:
        checked = check(path, limits=limits)
    except PackageError as exc:
        raise LoadError(str(exc)) from None
    if checked.package is None or not checked.report.valid:
        raise LoadError(f"the package at {path} does not validate:\n{checked.report.to_text()}", checked.report)
    from .arrow import to_arrow

    version = checked.package.version
    return Loaded(checked.package, {name: to_arrow(t, version) for name, t in checked.tables.items()})


def _from_zip(path: Path, limits: Limits = DEFAULT_LIMITS) -> Loaded:
    """A release zip: check every member name, then unpack the package's files into a temp folder."""
    try:
        with zipfile.ZipFile(path) as zf:
            why = unsafe_archive(zf)
            if why:
                raise LoadError(f"{path}: refusing the archive: {why}")
            infos = zf.infolist()
            files = {i.filename: i for i in infos if not i.is_dir()}
            descriptors = [n for n in files if PurePosixPath(n).name == DESCRIPTOR and len(PurePosixPath(n).parts) <= 2]
            if len(descriptors) != 1:
                raise LoadError(f"{path}: expected one {DESCRIPTOR} at the top of the archive or in its one "
                                f"folder, found {len(descriptors)}")
            prefix = descriptors[0][: -len(DESCRIPTOR)]
            descriptor = json.loads(_read_member(zf, files[descriptors[0]], limits))
            wanted = {DESCRIPTOR}
            for raw in descriptor.get("resources", []) if isinstance(descriptor, dict) else []:
                if isinstance(raw, dict):
                    wanted |= {v for v in (raw.get("path"), raw.get("schema")) if isinstance(v, str)}
            with tempfile.TemporaryDirectory(prefix="kuril-data-load-") as tmp:
                root = Path(tmp)
                for rel in sorted(wanted):
                    info = files.get(prefix + rel)
                    if info is None:
                        continue  # validation reports the missing file
                    target = root.joinpath(*PurePosixPath(rel).parts)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(_read_member(zf, info, limits))
                return _from_package(root, limits)
    except (zipfile.BadZipFile, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LoadError(f"{path}: not a readable release zip ({exc})") from None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bytes:
    if info.file_size > limits.max_file_bytes:
        raise LoadError(f"archive member {info.filename!r} is larger than {limits.max_file_bytes} bytes")
    with zf.open(info) as f:
        data = f.read(limits.max_file_bytes + 1)
    if len(data) > limits.max_file_bytes:
        raise LoadError(f"archive member {info.filename!r} is larger than {limits.max_file_bytes} bytes")
    return data


def _from_sqlite(path: Path) -> Loaded:
    """The release's SQLite file, typed by the schemas beside it (a release folder) or shipped with the package."""
    db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        try:
            row = db.execute(f'SELECT value FROM "{METADATA_TABLE}" WHERE key = ?', ("version",)).fetchone()
        except sqlite3.DatabaseError as exc:
            raise LoadError(f"{path} is not a kuril-data SQLite file ({exc})") from None
        version = row[0] if row else None
        schemas = path.parent if (path.parent / DESCRIPTOR).is_file() else default_source()
        try:
            package, problems = read_package(schemas)
        except PackageError as exc:
            raise LoadError(str(exc)) from None
        if package is None or problems:
            raise LoadError(f"the schemas at {schemas} cannot be read", Report.of(problems))
        if version != package.version:
            raise LoadError(f"{path} holds version {version} but the schemas at {schemas} are version "
                            f"{package.version}; keep the SQLite file beside its release's {DESCRIPTOR}")
        tables = {r.name: _sqlite_table(db, r, version) for r in package.resources}
    finally:
        db.close()
    return Loaded(package, tables)


def _sqlite_table(db: sqlite3.Connection, resource: Resource, version: str) -> pa.Table:
    import pyarrow as pa

    from .arrow import arrow_schema

    schema = arrow_schema(resource, version)
    have = {r[1] for r in db.execute("SELECT * FROM pragma_table_info(?)", (resource.name,))}
    missing = [n for n in schema.names if n not in have]
    if missing:
        raise LoadError(f"the SQLite table {resource.name!r} lacks column(s) {', '.join(missing)}")
    cols = ", ".join('"' + n.replace('"', '""') + '"' for n in schema.names)
    table = '"' + resource.name.replace('"', '""') + '"'
    rows = db.execute(f"SELECT {cols} FROM {table}").fetchall()
    arrays = []
    for i, field in enumerate(schema):
        values = [r[i] for r in rows]
        try:
            if field.type == pa.date32():
                values = [None if v is None else dt.date.fromisoformat(v) for v in values]
            elif field.type == pa.bool_():
                values = [None if v is None else bool(v) for v in values]
            arrays.append(pa.array(values, field.type))
        except (TypeError, ValueError, pa.ArrowException) as exc:
            raise LoadError(f"the SQLite column {resource.name}.{field.name} does not match the schema ({exc})") \
                from None
    return pa.Table.from_arrays(arrays, schema=schema)
