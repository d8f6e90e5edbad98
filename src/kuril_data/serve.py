"""`kuril-data serve`: browse the SQLite export in Datasette (the `serve` extra), metadata included.

PATH may be the SQLite file, a folder holding it (an export or a release folder), or a package
folder, which is first exported into a temporary folder; without PATH, the data shipped in the
installed package (or the checkout it runs from). Datasette's metadata is always generated here,
never read from PATH: a metadata.json beside the database may come from whoever made the folder
and can add scripts (`extra_js_urls`) or HTML to every page a reader opens (SECURITY.md). With the
release's datapackage.json beside the database it is built from that package, else from the
schemas of the installed package. The temporary folder is removed on exit, Ctrl-C (SIGINT) or
SIGTERM.

Datasette 0.65 shows a foreign key's label on table pages but a bare id on row pages: `serve`
registers `labels_plugin`, which renders every foreign-key cell as a link with its label.
"""

from __future__ import annotations

import os
import signal
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
    if (path.is_file() and path.suffix in (".sqlite", ".db")) or (path / SQLITE_FILE).is_file():
        database = path if path.is_file() else path / SQLITE_FILE
        with tempfile.TemporaryDirectory(prefix="kuril-data-serve.") as tmp:
            yield Served(database, _own_metadata(database.parent, Path(tmp)))
    elif (path / DESCRIPTOR).is_file() or path.name == DESCRIPTOR:
        with tempfile.TemporaryDirectory(prefix="kuril-data-serve.") as tmp:
            export(path, tmp, ["sqlite"])
            yield Served(Path(tmp) / SQLITE_FILE, Path(tmp) / DATASETTE_FILE)
    else:
        raise ServeError(f"{path}: neither a SQLite file, nor a folder with {SQLITE_FILE}, nor a package folder")


def _own_metadata(folder: Path, tmp: Path) -> Path | None:
    """Datasette metadata generated from the package beside the database (an export folder has none:
    then from the installed package's schemas), never from the folder's metadata.json."""
    from kuril_data.io.versions import VersionError, installed_package
    from kuril_data.model.package import read_package

    if not (folder / DESCRIPTOR).is_file():
        try:
            folder = installed_package()
        except VersionError:
            return None
    from kuril_data.outputs.datasette import write_datasette_metadata

    package, problems = read_package(folder)
    if package is None or any(p.severity == "error" for p in problems):
        raise ServeError(f"{folder / DESCRIPTOR}: cannot be read, so no metadata can be built for the database "
                         "beside it; serve the SQLite file from a folder without it, or fix the descriptor")
    target = tmp / DATASETTE_FILE
    write_datasette_metadata(package, target, package.version)
    return target


@contextmanager
def _stopped_by_signals() -> Iterator[None]:
    """SIGTERM ends the server as Ctrl-C does, so `with` blocks (the temporary export) clean up."""
    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


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

    with _stopped_by_signals(), prepared(path) as served:
        args = ["serve", str(served.database), "--host", host, "--port", str(port)]
        if served.metadata is not None:
            args += ["--metadata", str(served.metadata)]
        datasette_cli.main(args, prog_name="datasette", standalone_mode=False)
