"""`kuril-data serve`: browse the SQLite export in Datasette (the `serve` extra), metadata included.

PATH may be the SQLite file, a folder holding it (an export or a release folder: its
metadata.json is used), or a package folder, which is first exported into a temporary folder.
"""

from __future__ import annotations

import os
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


def serve(path: str | os.PathLike[str], host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Run Datasette on the package's SQLite export until interrupted."""
    require_datasette()
    from datasette.cli import cli as datasette_cli

    with prepared(path) as served:
        args = ["serve", str(served.database), "--host", host, "--port", str(port)]
        if served.metadata is not None:
            args += ["--metadata", str(served.metadata)]
        datasette_cli.main(args, prog_name="datasette", standalone_mode=False)
