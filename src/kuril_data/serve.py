"""`kuril-data serve`: browse the SQLite export in Datasette (the `serve` extra), metadata included.

PATH may be the SQLite file, a folder holding it (an export or a release folder: its
metadata.json is used), or a package folder, which is first exported into a temporary folder;
without PATH, the data shipped in the installed package (or the checkout it runs from).

Datasette 0.65 shows a foreign key's label on table pages but a bare id on row pages: `serve`
registers `labels_plugin`, which renders every foreign-key cell as a link with its label.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kuril_data.errors import KurilDataError
from kuril_data.extras import require
from kuril_data.model.layout import DATASETTE_FILE, SQLITE_FILE
from kuril_data.model.package import DESCRIPTOR
from kuril_data.outputs.export import export

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
LABELS_PLUGIN = "kuril-data-labels"


class ServeError(KurilDataError):
    """Datasette is missing or PATH holds nothing to serve (exit 2)."""


@dataclass(frozen=True)
class Served:
    database: Path
    metadata: Path | None


def require_datasette() -> None:
    require("datasette", "serving")


@contextmanager
def prepared(path: str | os.PathLike[str]) -> Iterator[Served]:
    """The database and metadata to serve for `path`; a package is exported to a temporary folder
    (removed afterwards). Raises `kuril_data.errors.Refused` when that package does not validate."""
    path = Path(path)
    if path.is_file() and path.suffix in (".sqlite", ".db"):
        meta = path.parent / DATASETTE_FILE
        yield Served(path, meta if meta.is_file() else None)
    elif (path / SQLITE_FILE).is_file():
        meta = path / DATASETTE_FILE
        yield Served(path / SQLITE_FILE, meta if meta.is_file() else None)
    elif (path / DESCRIPTOR).is_file() or path.name == DESCRIPTOR:
        with tempfile.TemporaryDirectory(prefix="kuril-data-serve.") as tmp:
            export(path, tmp, ["sqlite"])
            yield Served(Path(tmp) / SQLITE_FILE, Path(tmp) / DATASETTE_FILE)
    else:
        raise ServeError(f"{path}: neither a SQLite file, nor a folder with {SQLITE_FILE}, nor a package folder")


def default_path() -> Path:
    """What `serve` serves without PATH: the current folder when it holds a package or an export,
    else the data shipped in the installed package (or the checkout it runs from). Raises
    VersionError when there is none."""
    from kuril_data.io.versions import installed_package

    here = Path(".")
    if (here / DESCRIPTOR).is_file() or (here / SQLITE_FILE).is_file():
        return here
    return installed_package()


def labels_plugin() -> Any:
    """A Datasette plugin (render_cell) showing a foreign key's value as a link to its row, followed
    by the row's label (the table's label_column): row pages show labels as table pages do."""
    from datasette import hookimpl
    from datasette.utils import escape_sqlite, tilde_encode
    from markupsafe import Markup, escape

    class Labels:
        @staticmethod
        @hookimpl
        def render_cell(value: Any, column: str, table: str, database: str, datasette: Any) -> Any:
            if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "" or not table:
                return None

            async def render() -> Markup | None:
                db = datasette.get_database(database)
                if table not in await db.table_names():
                    return None  # a view or a query: no foreign keys to follow
                fk = next((f for f in await db.foreign_keys_for_table(table) if f["column"] == column), None)
                if fk is None:
                    return None
                other, key = fk["other_table"], fk["other_column"]
                label = await db.label_column_for_table(other)
                if not label or label == key:
                    return None
                found = (await db.execute(f"SELECT {escape_sqlite(label)} FROM {escape_sqlite(other)} "
                                          f"WHERE {escape_sqlite(key)} = ?", [value])).first()
                href = datasette.urls.row(database, other, tilde_encode(str(value)))
                text = f" <span class=\"fk-label\">{escape(found[0])}</span>" if found and found[0] else ""
                return Markup(f'<a href="{escape(href)}">{escape(value)}</a>{text}')

            return render

    return Labels


def serve(path: str | os.PathLike[str] | None = None, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run Datasette on the package's SQLite export until interrupted (without `path`, on the data
    shipped in the package)."""
    require_datasette()
    from datasette.cli import cli as datasette_cli
    from datasette.plugins import pm

    if path is None:
        path = default_path()
    registered = pm.get_plugin(LABELS_PLUGIN) is None
    if registered:
        pm.register(labels_plugin(), name=LABELS_PLUGIN)
    try:
        _run(datasette_cli, path, host, port)
    finally:
        if registered:
            pm.unregister(name=LABELS_PLUGIN)


def _run(datasette_cli: Any, path: str | os.PathLike[str], host: str, port: int) -> None:

    with prepared(path) as served:
        args = ["serve", str(served.database), "--host", host, "--port", str(port)]
        if served.metadata is not None:
            args += ["--metadata", str(served.metadata)]
        datasette_cli.main(args, prog_name="datasette", standalone_mode=False)
