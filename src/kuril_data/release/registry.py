"""Published releases: the registry shipped in the package, and pinned, verified, cached downloads.

`kuril_data/releases.json` (in the wheel too) maps every published version to the
SHA-256 of its zip and the build date it was built with (SOURCE_DATE_EPOCH), so the zip can be
rebuilt byte for byte and checked. `kuril-data release` records the version it builds there.
`fetch_release` downloads `v{X}/kuril-data-{X}.zip` under the releases base URL (the project's
"Releases" URL from the package metadata, or $KURIL_DATA_RELEASES_URL), refuses it unless its
SHA-256 is the registered one, unpacks it safely into the user cache and reuses it offline.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kuril_data.errors import KurilDataError
from kuril_data.io.atomic import write_atomic
from kuril_data.io.download import DownloadError, cache_dir, download, sha256_of, url_for, verified
from kuril_data.io.transaction import install, staging
from kuril_data.model.layout import ARTIFACT

RELEASES_URL_ENV = "KURIL_DATA_RELEASES_URL"
REGISTRY_NAME = "releases.json"
REGISTRY = Path(__file__).resolve().parent.parent / REGISTRY_NAME  # kuril_data/releases.json
REGISTRY_IN_REPO = Path("src") / "kuril_data" / REGISTRY_NAME  # where `release` records, from the repo root
URL_LABELS = ("releases", "release downloads", "download")  # Project-URL labels read as the base URL
CACHE_SUBDIR = "releases"
ABOUT = ("Published kuril-data releases: SHA-256 of each version's zip, and the build date (SOURCE_DATE_EPOCH) "
         "it was built with, to rebuild it byte for byte. Written by `kuril-data release`; do not edit by hand.")


class ReleaseError(KurilDataError):
    """A published release could not be fetched or was refused (unknown version, network, checksum,
    corrupt zip): exit 2."""


@dataclass(frozen=True)
class FetchedRelease:
    """A verified release: the zip, the folder it unpacked to, and the SHA-256 it matched."""

    version: str
    zip: Path
    folder: Path
    sha256: str


def zip_name(version: str) -> str:
    return f"{ARTIFACT}-{version}.zip"


def registry(path: Path = REGISTRY) -> dict[str, dict[str, Any]]:
    """Every published version with its zip's SHA-256 and build date, as shipped in the package."""
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data.get("releases", {}) if isinstance(data, dict) else {}


def recorded_epoch(root: Path, version: str) -> int | None:
    """The build date recorded for `version` in the registry of the repository at `root`, if any.

    A recorded version keeps that date, so that building it again (on the release tag, whose commit
    date is later than the one recorded) gives the very zip whose SHA-256 the registry ships.
    """
    epoch = registry(root / REGISTRY_IN_REPO).get(version, {}).get("source_date_epoch")
    return epoch if isinstance(epoch, int) else None


def record_release(root: Path, version: str, zip_path: Path, stamp: int) -> Path | None:
    """Record `version` built into `zip_path` with build date `stamp` in the registry of the repository
    at `root`; None (nothing recorded) when `root` is not the toolkit's repository."""
    import datetime as dt

    path = root / REGISTRY_IN_REPO
    if not path.is_file():
        return None
    releases = registry(path)
    releases[version] = {
        "sha256": sha256_of(zip_path),
        "source_date_epoch": stamp,
        "created": dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    text = json.dumps({"about": ABOUT, "releases": releases}, indent=2, sort_keys=True) + "\n"
    write_atomic(path, text)
    return path


def releases_url() -> str:
    """The base URL releases are downloaded from: $KURIL_DATA_RELEASES_URL, else the "Releases"
    Project-URL of the installed package ([project.urls] in pyproject.toml)."""
    env = os.environ.get(RELEASES_URL_ENV, "").strip()
    if env:
        return env
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata(ARTIFACT).get_all("Project-URL") or []
    except PackageNotFoundError:
        entries = []
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() in URL_LABELS and url.strip():
            url = url.strip().rstrip("/")
            # A GitHub Releases page holds its files under releases/download/v{X}/.
            return url + "/download" if url.endswith("/releases") else url
    raise ReleaseError(f"no releases URL: the installed {ARTIFACT} names no 'Releases' Project-URL "
                       f"([project.urls] in pyproject.toml); set {RELEASES_URL_ENV} to a base URL under which "
                       f"v{{X}}/{ARTIFACT}-{{X}}.zip is found")


def fetch_release(version: str, out: str | os.PathLike[str] | None = None) -> FetchedRelease:
    """The verified release `version`, from the user cache or downloaded into it; with `out`, copied
    there too. Raises ReleaseError; a failure leaves nothing in the cache (or in `out`)."""

    known = registry()
    entry = known.get(version)
    if entry is None:
        listed = ", ".join(sorted(known)) or "none"
        raise ReleaseError(f"unknown version {version!r}: this kuril-data knows the published versions: {listed} "
                           "(a newer kuril-data may know more)")
    sha256 = str(entry["sha256"])
    top = f"{ARTIFACT}-{version}"
    try:
        return _fetch_verified(version, sha256, top, out)
    except OSError as exc:  # the cache or --out folder cannot be made or written (a file in the way, no access)
        where = f" {exc.filename}" if exc.filename else ""
        raise ReleaseError(f"release {version}: cannot write{where} ({exc.strerror or exc})") from None


def _fetch_verified(version: str, sha256: str, top: str, out: str | os.PathLike[str] | None) -> FetchedRelease:
    # Only the zip is trusted from the cache, and only once its SHA-256 matched again on this use;
    # the folder is unpacked fresh from it every time, so a cache edited after download is never
    # copied or reported as verified (SECURITY.md: release folders).
    root = cache_dir() / CACHE_SUBDIR
    cached = root / version
    zip_path = cached / zip_name(version)
    for folder in (root, cached):
        if folder.exists() and not folder.is_dir():
            raise ReleaseError(f"release {version}: the cache path {folder} is not a folder")
    if not verified(zip_path, sha256):
        with staging(root, version) as tmp:
            folder = tmp / version
            try:
                download(url_for(releases_url(), f"v{version}/{zip_name(version)}"), sha256,
                         folder / zip_name(version))
            except DownloadError as exc:
                raise ReleaseError(f"release {version}: {exc}") from None
            unpack(folder / zip_name(version), folder, top)
            install(tmp, root, [version])
    dest = cached if out is None else Path(out)
    with staging(dest, top) as tmp:
        shutil.copyfile(zip_path, tmp / zip_name(version))
        if sha256_of(tmp / zip_name(version)) != sha256:  # changed between the check and the copy
            raise ReleaseError(f"release {version}: the cached {zip_path} changed while it was read; try again")
        unpack(tmp / zip_name(version), tmp, top)
        install(tmp, dest, [top] if out is None else [top, zip_name(version)])
    return FetchedRelease(version, dest / zip_name(version), dest / top, sha256)


def unpack(zip_path: Path, dest: Path, top: str) -> None:
    """Unpack the whole release folder `top/` of the zip into `dest`, with the member judgement and
    limits every zip reader shares (`versions.unpack_tree`); the zip must hold `top/datapackage.json`."""
    from kuril_data.io.versions import VersionError, unpack_tree

    try:
        unpack_tree(zip_path, dest, top)
    except VersionError as exc:
        raise ReleaseError(str(exc)) from None
    if not (dest / top / "datapackage.json").is_file():
        raise ReleaseError(f"{zip_path.name}: not a kuril-data release (no {top}/datapackage.json)")
