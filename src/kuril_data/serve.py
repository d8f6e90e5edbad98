"""`kuril-data serve`: browse the SQLite export in Datasette (the `serve` extra), metadata included.

PATH may be the SQLite file, a folder holding it (an export or a release folder), or a package
folder, which is first exported into a temporary folder. Datasette's metadata is always generated
here, never read from PATH: a metadata.json beside the database may come from whoever made the
folder and can add scripts (`extra_js_urls`) or HTML to every page a reader opens (SECURITY.md).
With the release's datapackage.json beside the database it is built from that package, else from
the schemas of the installed package. The temporary folder is removed on exit, Ctrl-C
(SIGINT) or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kuril_data.errors import KurilDataError
from kuril_data.extras import require
from kuril_data.model.layout import DATASETTE_FILE, SQLITE_FILE
from kuril_data.model.package import DESCRIPTOR
from kuril_data.outputs.export import export

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001


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


def serve(path: str | os.PathLike[str], host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run Datasette on the package's SQLite export until interrupted."""
    require_datasette()
    from datasette.cli import cli as datasette_cli

    with _stopped_by_signals(), prepared(path) as served:
        args = ["serve", str(served.database), "--host", host, "--port", str(port)]
        if served.metadata is not None:
            args += ["--metadata", str(served.metadata)]
        datasette_cli.main(args, prog_name="datasette", standalone_mode=False)
