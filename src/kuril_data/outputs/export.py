"""Export a validated package to Parquet, a one-file JSON Data Package and SQLite (with Datasette
metadata): the orchestration only. Each format is one module (outputs/parquet.py, json.py,
sqlite.py, datasette.py), each written from the typed dataset (`kuril_data.dataset`). Output is
deterministic (same input and build date, same bytes) and written through the shared transaction
(`kuril_data.io.transaction`): built in a staging folder beside the destination and moved into
place only when every step succeeded.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from kuril_data.dataset import Dataset, open_dataset
from kuril_data.errors import ExportError, Refused
from kuril_data.io import git
from kuril_data.io.transaction import install, staging
from kuril_data.model.layout import DATASETTE_FILE, JSON_FILE, PARQUET_DIR, SQLITE_FILE
from kuril_data.model.package import Package
from kuril_data.outputs.datasette import write_datasette_metadata
from kuril_data.outputs.json import write_json
from kuril_data.outputs.parquet import write_parquet
from kuril_data.outputs.sqlite import write_sqlite
from kuril_data.report import Report

__all__ = ["FORMATS", "OUTPUTS", "ExportError", "ExportResult", "Refused", "build_timestamp", "choose_formats",
           "export", "write_exports"]

FORMATS = ("parquet", "json", "sqlite")
OUTPUTS = {"parquet": (PARQUET_DIR,), "json": (JSON_FILE,), "sqlite": (SQLITE_FILE, DATASETTE_FILE)}
MAX_STAMP = 253402300799  # 9999-12-31T23:59:59Z, the last second a build date can name


@dataclass(frozen=True)
class ExportResult:
    out: Path
    files: tuple[Path, ...]  # the files written, under `out`, sorted
    version: str
    report: Report  # the validation report (valid; warnings allowed)


def export(path: str | os.PathLike[str], out: str | os.PathLike[str], formats: Iterable[str] = FORMATS, *,
           version: str | None = None) -> ExportResult:
    """Validate the package at `path` and write the chosen formats into the folder `out`.

    Raises Refused when the package does not validate; nothing is written then, nor when any
    step fails. Files of other formats already in `out` are left alone.
    """
    chosen = choose_formats(formats)
    data = open_dataset(path)
    out = Path(out)
    stamp = build_timestamp(data.package)
    with staging(out.parent, out.name) as tmp:
        names = write_exports(data, tmp, chosen, stamp=stamp, version=version)
        install(tmp, out, names)
    files = sorted(p for name in names for p in _walk(out / name))
    return ExportResult(out, tuple(files), version or data.package.version, data.report)


def choose_formats(formats: Iterable[str]) -> tuple[str, ...]:
    chosen: set[str] = set()
    for f in formats:
        if f == "all":
            chosen.update(FORMATS)
        elif f in FORMATS:
            chosen.add(f)
        else:
            raise ValueError(f"unknown export format {f!r} (use {', '.join(FORMATS)} or all)")
    if not chosen:
        raise ValueError("choose at least one export format")
    return tuple(f for f in FORMATS if f in chosen)


def write_exports(data: Dataset, dest: Path, formats: Collection[str], *, stamp: int,
                  version: str | None = None) -> list[str]:
    """Write the chosen formats into the existing folder `dest`; return the top-level names written."""
    version = version or data.package.version
    try:
        if "parquet" in formats:
            write_parquet(data, dest / PARQUET_DIR, version)
        if "json" in formats:
            write_json(data, dest / JSON_FILE, version)
        if "sqlite" in formats:
            write_sqlite(data, dest / SQLITE_FILE, version, stamp)
            write_datasette_metadata(data.package, dest / DATASETTE_FILE, version)
    except sqlite3.Error as exc:  # e.g. "database or disk is full": an ordinary failure, not a bug
        raise ExportError(f"cannot write {SQLITE_FILE}: {exc}") from None
    except (OverflowError, pa.ArrowException) as exc:  # a value validation let through that a format cannot hold
        raise ExportError(f"cannot export a value: {type(exc).__name__}: {exc}") from None
    return [name for f in FORMATS if f in formats for name in OUTPUTS[f]]


def build_timestamp(package: Package) -> int:
    """SOURCE_DATE_EPOCH, else the last git commit's date, else the newest input file's mtime."""
    env = os.environ.get("SOURCE_DATE_EPOCH")
    if env:
        try:
            stamp = int(env)
        except ValueError:
            raise ExportError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {env!r}") from None
        if not 0 <= stamp <= MAX_STAMP:
            raise ExportError(f"SOURCE_DATE_EPOCH must be from 0 to {MAX_STAMP} (9999-12-31), not {env!r}")
        return stamp
    committed = git.last_commit_time(package.root)
    if committed is not None and 0 <= committed <= MAX_STAMP:
        return committed
    rels = {"datapackage.json"} | {r.path for r in package.resources} | {r.schema_path for r in package.resources}
    return max(int((package.root / rel).stat().st_mtime) for rel in rels)


def _walk(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
