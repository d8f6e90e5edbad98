"""Published releases: the registry shipped in the package, and pinned, verified, cached downloads.

`kuril_data/releases.json` (in the wheel too) maps every *published* version to the SHA-256 of its
zip and the build date it was built with (SOURCE_DATE_EPOCH). Only publishing writes it, and only
by adding: the release job pins the zip it has just built and checked (`pin`) before it builds the
wheel, so the wheel of version X verifies X's zip offline; afterwards the maintainer merges the
published registry (attached to the GitHub Release) into the repository (`record`). A pin is never
rewritten or dropped (`append_only_problems`), so pull requests never touch the file.

    python -m kuril_data.release.registry pin VERSION ZIP     # the release job, from the repository root
    python -m kuril_data.release.registry record RELEASES_JSON  # the maintainer, after publishing

`fetch_release` downloads `v{X}/kuril-data-{X}.zip` under the releases base URL (the project's
"Releases" URL from the package metadata, or $KURIL_DATA_RELEASES_URL), refuses it unless its
SHA-256 is the registered one, unpacks it safely into the user cache and reuses it offline.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
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
         "it was built with. Append-only, written only by publishing (python -m kuril_data.release.registry); "
         "do not edit by hand.")


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


def entry_for(zip_path: Path, stamp: int) -> dict[str, Any]:
    """A registry entry: the zip's SHA-256, and the build date it was built with."""
    import datetime as dt

    return {"sha256": sha256_of(zip_path), "source_date_epoch": stamp,
            "created": dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}


def append_only_problems(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[str]:
    """Why `new` is not `old` with entries added: a published pin removed or rewritten."""
    problems = []
    for version, entry in sorted(old.items()):
        if version not in new:
            problems.append(f"version {version} was published but its pin was removed")
        elif new[version] != entry:
            problems.append(f"version {version} was published with sha256 {entry.get('sha256')}; its pin may "
                            f"never change (now {new[version].get('sha256')}): publish a new version instead")
    return problems


def write_registry(path: Path, releases: dict[str, dict[str, Any]]) -> None:
    write_atomic(path, json.dumps({"about": ABOUT, "releases": releases}, indent=2, sort_keys=True) + "\n")


def add_pins(path: Path, pins: dict[str, dict[str, Any]]) -> None:
    """Add `pins` to the registry file at `path`; refuse (ReleaseError, file untouched) to rewrite or
    drop a pin already there. Adding the same pin again changes nothing."""
    releases = registry(path)
    merged = {**releases, **pins}
    problems = append_only_problems(releases, merged)
    if problems:
        raise ReleaseError(f"{path}: {'; '.join(problems)}")
    if merged != releases or not path.is_file():
        write_registry(path, merged)


def pin(root: Path, version: str, zip_path: Path) -> dict[str, Any]:
    """The release job's step: pin the zip of `version` just built (and checked) into the registry of
    the checkout at `root`, so that the wheel built next ships the pin. The build date is the one
    the zip's datapackage.json records (`created`), so the tag's commit rebuilds the same bytes."""
    import datetime as dt
    import zipfile

    version = normalize_version(version)
    with zipfile.ZipFile(zip_path) as zf:
        descriptor = json.loads(zf.read(f"{ARTIFACT}-{version}/datapackage.json"))
    if descriptor.get("version") != version:
        raise ReleaseError(f"{zip_path}: holds version {descriptor.get('version')!r}, not {version}")
    created = dt.datetime.strptime(descriptor["created"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    entry = entry_for(zip_path, int(created.timestamp()))
    add_pins(root / REGISTRY_IN_REPO, {version: entry})
    return entry


def normalize_version(version: str) -> str:
    """A version as the registry names it: `v0.1.0` (a tag, as people copy it) is `0.1.0`."""
    version = version.strip()
    return version[1:] if version[:1] in ("v", "V") and version[1:2].isdigit() else version


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

    version = normalize_version(version)
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


def main(argv: list[str]) -> int:
    """`pin VERSION ZIP` (the release job) or `record RELEASES_JSON` (after publishing), run from the
    repository root; exit 1 when a published pin would change, 2 on bad usage."""
    root = Path.cwd()
    try:
        if len(argv) == 3 and argv[0] == "pin":
            entry = pin(root, argv[1], Path(argv[2]))
            print(f"pinned {normalize_version(argv[1])}: sha256 {entry['sha256']} in {REGISTRY_IN_REPO}")
            return 0
        if len(argv) == 2 and argv[0] == "record":
            published = registry(Path(argv[1]))
            if not published:
                print(f"Error: {argv[1]} holds no published release", file=sys.stderr)
                return 1
            add_pins(root / REGISTRY_IN_REPO, published)
            print(f"{REGISTRY_IN_REPO} pins {', '.join(sorted(registry(root / REGISTRY_IN_REPO)))}")
            return 0
    except (ReleaseError, OSError, KeyError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    print("usage: python -m kuril_data.release.registry pin VERSION ZIP | record RELEASES_JSON", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
