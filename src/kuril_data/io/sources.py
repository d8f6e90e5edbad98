"""The source texts: fetching them from a mirror, finding them by default, and saying whether the
verbatim checks ran.

The texts are not published with the repository (their licences are not ours to grant), but
`data/sources.csv` pins each file's SHA-256. `fetch_sources` downloads every listed file from the
mirror named by $KURIL_DATA_SOURCES_URL (a base URL under which each file is found by its `path`),
verifies it and stores it in the user cache (or a folder given); `default_sources` is where
`kuril-data validate` looks when no `--sources` is given; `coverage` is the one-line statement of
which source files a validation checked verbatim against.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from kuril_data.errors import KurilDataError
from kuril_data.io.read import Table, read_table
from kuril_data.model.package import Package, PackageError, read_package
from kuril_data.report import Verbatim

# `validate` imports this module for `coverage` alone: what fetching needs (the downloader, the
# staging folder) is imported by the functions that fetch.

SOURCES_URL_ENV = "KURIL_DATA_SOURCES_URL"
SOURCES_ENV = "KURIL_DATA_SOURCES"
CACHE_SUBDIR = "sources"
RESOURCE = "sources"
_NAME = re.compile(r"[A-Za-z0-9_.-]+\.txt")  # as the sources schema's `path` pattern: a bare file name
_SHA256 = re.compile(r"[0-9a-f]{64}")


class SourcesError(KurilDataError):
    """The source texts could not be fetched or found (no mirror, network, checksum, bad list): exit 2."""


@dataclass(frozen=True)
class SourceFile:
    """One row of the sources table: which file, with which pinned SHA-256."""

    source_id: str
    path: str
    sha256: str


@dataclass(frozen=True)
class Fetched:
    """The outcome of `fetch_sources`: the folder, and which files were downloaded or already there."""

    folder: Path
    downloaded: tuple[str, ...]
    reused: tuple[str, ...]


def cached_sources() -> Path:
    """The folder `kuril-data sources fetch` fills by default."""
    from kuril_data.io.download import cache_dir

    return cache_dir() / CACHE_SUBDIR


def _sources_table(package_path: str | os.PathLike[str]) -> tuple[Package, Table]:
    try:
        package, problems = read_package(package_path)
    except PackageError as exc:
        raise SourcesError(str(exc)) from None
    if package is None:
        raise SourcesError(f"cannot read the package at {package_path}: "
                           + "; ".join(p.to_text() for p in problems[:3]))
    resource = package.resource(RESOURCE)
    if resource is None:
        raise SourcesError(f"the package at {package.root} has no '{RESOURCE}' table listing source files")
    table = read_table(package, resource)
    if not table.readable:
        raise SourcesError("; ".join(p.to_text() for p in table.problems[:3]))
    return package, table


def listed_sources(package_path: str | os.PathLike[str] = ".") -> list[SourceFile]:
    """Every source file the package's sources table lists, refusing a row with no usable name or hash."""
    _, table = _sources_table(package_path)
    files = []
    for i, line in enumerate(table.lines):
        sid, name, digest = (table.column(c)[i] for c in ("source_id", "path", "sha256"))
        if not _NAME.fullmatch(name or "") or name.startswith("."):
            raise SourcesError(f"{table.file}:{line}: path: {name!r} is not a plain .txt file name")
        if not _SHA256.fullmatch(digest or ""):
            raise SourcesError(f"{table.file}:{line}: sha256: {digest!r} is not a lowercase hex SHA-256")
        files.append(SourceFile(sid, name, digest))
    return files


def mirror_url() -> str:
    """The base URL of the source texts' mirror, from $KURIL_DATA_SOURCES_URL."""
    from kuril_data.io.download import DownloadError, check_url

    url = os.environ.get(SOURCES_URL_ENV, "").strip()
    if not url:
        raise SourcesError(f"no mirror configured: set {SOURCES_URL_ENV} to the base URL under which the "
                           "source texts are served (see CONTRIBUTING.md), or pass --sources DIR to validate")
    try:
        check_url(url)
    except DownloadError:
        raise SourcesError(f"{SOURCES_URL_ENV}={url!r} is not an http(s) URL") from None
    return url


def fetch_sources(package_path: str | os.PathLike[str] = ".", to: str | os.PathLike[str] | None = None,
                  base_url: str | None = None) -> Fetched:
    """Download every source file the package lists into `to` (default: the user cache), verified.

    A file already there with the pinned SHA-256 is kept without any network access. Files are
    downloaded into a staging folder and moved into place only when all of them verified, so a
    mismatch, a missing file or a network failure (SourcesError, exit 2) leaves the folder as it was.
    """
    from kuril_data.io.download import DownloadError, download, url_for, user_path, verified
    from kuril_data.io.transaction import install, staging

    files = listed_sources(package_path)
    try:
        dest = user_path(os.fspath(to), "--to") if to is not None else cached_sources()
    except DownloadError as exc:
        raise SourcesError(str(exc)) from None
    if any(p.exists() and not p.is_dir() for p in (dest, *dest.parents)):
        raise SourcesError(f"{dest} is not a folder (a file is in the way)")
    missing = [f for f in files if not verified(dest / f.path, f.sha256)]
    if missing:
        base = base_url or mirror_url()
        try:
            with staging(dest, "sources") as tmp:
                for f in missing:
                    try:
                        download(url_for(base, f.path), f.sha256, tmp / f.path)
                    except DownloadError as exc:
                        raise SourcesError(f"source {f.source_id!r}: {exc}") from None
                install(tmp, dest, [f.path for f in missing])
        except OSError as exc:
            raise SourcesError(f"cannot write {exc.filename or dest} ({exc.strerror or exc})") from None
    return Fetched(dest, tuple(f.path for f in missing), tuple(f.path for f in files if f not in missing))


def default_sources() -> Path | None:
    """Where validate finds the source texts without --sources: $KURIL_DATA_SOURCES, else the cache
    `sources fetch` filled (when it holds any file), else None."""
    from kuril_data.io.download import DownloadError, user_path

    env = os.environ.get(SOURCES_ENV, "").strip()
    if env:
        try:
            folder = user_path(env, SOURCES_ENV)
        except DownloadError as exc:
            raise SourcesError(str(exc)) from None
        if not folder.is_dir():
            raise SourcesError(f"{SOURCES_ENV}={env!r} is not a folder")
        return folder
    try:
        cached = cached_sources()
    except DownloadError as exc:
        raise SourcesError(str(exc)) from None
    if cached.is_dir() and any(p.is_file() for p in cached.iterdir()):
        return cached
    return None


def coverage(sources_table: Table | None, folder: Path | None) -> Verbatim:
    """Which listed source files `folder` holds, i.e. what the verbatim checks ran against."""
    if folder is None:
        return Verbatim(False, None)
    names = []
    if sources_table is not None:
        names = [n for n in sources_table.column("path") if n and _NAME.fullmatch(n) and not n.startswith(".")]
    checked = tuple(n for n in names if (folder / n).is_file() and not (folder / n).is_symlink())
    missing = tuple(n for n in names if n not in checked)
    return Verbatim(bool(checked), str(folder), checked, missing)
