"""Cut a release: validate, export everything, add the package, changelog and checksums, zip.

`build_release` writes `<out>/kuril-data-<version>/` and `<out>/kuril-data-<version>.zip`.
Two builds of the same commit give byte-identical files, the zip included: the build date comes
from SOURCE_DATE_EPOCH or the last commit, files are ordered by name, permissions are fixed and
no absolute path or host name goes inside. A build that fails leaves the previous release as it
was and nothing new behind.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from kuril_data.dataset import open_dataset
from kuril_data.errors import Refused
from kuril_data.io import git
from kuril_data.io.transaction import install, staging
from kuril_data.io.versions import GIT_PREFIX
from kuril_data.model.layout import ARTIFACT, CHANGELOG, CHECKSUMS, DICTIONARY, PARQUET_DIR, SITE, TIMELINE
from kuril_data.model.package import DESCRIPTOR, Package, safe_member
from kuril_data.outputs import timeline
from kuril_data.outputs.dictionary import render as render_dictionary
from kuril_data.outputs.export import FORMATS, build_timestamp, write_exports
from kuril_data.outputs.names import confined
from kuril_data.outputs.site import write_site
from kuril_data.outputs.sqlite import iso_timestamp
from kuril_data.release import describe
from kuril_data.report import Report

VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+-]*")
ZIP_EPOCH = 315532800  # 1980-01-01, the earliest date a zip file can hold


def build_release(path: str | os.PathLike[str], out: str | os.PathLike[str] = "dist", *,
                  tell: Callable[[str], None] | None = None) -> Path:
    """Build the release of the package at `path` into `out`; return the release folder.

    Building records nothing: only publishing pins a release in the registry of published
    releases (`kuril_data.release.registry`), so a pull request never touches it.

    Cells that start like a spreadsheet formula (validate's `formula-like` warnings) are shipped as
    written, counted and located in the release's README.md and, through `tell`, to the caller.

    Raises `kuril_data.errors.Refused` when the package does not validate, its version is not
    usable in a file name, or CHANGELOG.md has no `## [<version>]` entry.
    """
    data = open_dataset(path)
    package = data.package
    version = package.version
    changelog = changelog_for(package)
    check_version_against_last_tag(package)
    name = f"{ARTIFACT}-{version}"
    stamp = build_timestamp(package)
    formulas = formula_cells(data.report)
    out = Path(out)
    with staging(out, name) as tmp:
        folder = tmp / name
        folder.mkdir()
        write_exports(data, folder, FORMATS, stamp=stamp)
        copy_package(package, folder)
        shutil.copyfile(changelog, folder / CHANGELOG)
        (folder / DICTIONARY).write_text(render_dictionary(package), encoding="utf-8", newline="\n")
        timeline.draw(data, folder / TIMELINE, link=f"{SITE}/")
        write_site(data, folder / SITE, stamp=stamp, downloads=site_downloads(folder))
        sources = [{k: "" if v is None else str(v) for k, v in row.items()} for row in data.rows("sources")] \
            if package.resource("sources") is not None else []
        describe_release(package, folder, iso_timestamp(stamp), sources, formulas)
        write_checksums(folder)
        fix_permissions(folder, stamp)
        write_zip(folder, tmp / f"{name}.zip", stamp)
        install(tmp, out, [name, f"{name}.zip"])
    if tell is not None and formulas:
        tell(describe.formula_notice(formulas))
    return out / name


def formula_cells(report: Report) -> list[str]:
    """`file:line:field` of every cell that starts like a spreadsheet formula (`=`, `+`, `-`, `@`):
    the `formula-like` warnings of the package's validation, which release ships as written."""
    return [f"{p.file}:{p.line}:{p.field}" for p in report.warnings if p.code == "formula-like"]


def site_downloads(folder: Path) -> list[tuple[str, str]]:
    """The release's files for the site's home page, as links relative to `site/`."""
    names = [rel for rel in files_of(folder) if "/" not in rel or rel.startswith(f"{PARQUET_DIR}/")]
    return [(name, f"../{name}") for name in [*names, CHECKSUMS]]


def last_release_tag(root: Path) -> str | None:
    """The highest `v*` tag of the git repository holding `root`, or None (no git, no tag)."""
    return git.highest_tag(root, "v*")


def check_version_against_last_tag(package: Package) -> None:
    """Refuse a version lower than the bump the changes since the last release tag call for."""
    from kuril_data.diff import DiffError, check_version_bump, required_bump

    tag = last_release_tag(package.root)
    if tag is None:
        return  # the first release, or not a git checkout: nothing to compare with
    try:
        # git: says it is the revision, even when a folder of the same name exists.
        bump = required_bump(f"{GIT_PREFIX}{tag}", package.root, repo=package.root)
    except DiffError as exc:
        raise Refused(f"cannot compare with the last release {tag}: {exc}") from None
    previous = tag.removeprefix("v")
    if previous == package.version:
        if bump != "none":
            raise Refused(f"version {package.version} was already released as {tag}, and the package has "
                          f"changed since ({bump} bump): raise the version in {DESCRIPTOR}")
        return
    problem = check_version_bump(previous, package.version, bump)
    if problem:
        raise Refused(f"{problem} (last release: {tag})")


def changelog_for(package: Package) -> Path:
    """The package's CHANGELOG.md, refusing a version without an entry `## [<version>]`."""
    version = package.version
    if not VERSION.fullmatch(version):
        raise Refused(f"version {version!r} in {DESCRIPTOR} cannot name a release "
                      "(use letters, digits, '.', '+', '-')")
    path, why = safe_member(package.root, CHANGELOG)
    if path is None or not path.is_file():
        raise Refused(f"{CHANGELOG} is missing{f' ({why})' if why else ''}; "
                      f"add it with a '## [{version}]' entry before releasing")
    text = path.read_text(encoding="utf-8")
    if not re.search(rf"^## \[{re.escape(version)}\]", text, re.MULTILINE):
        raise Refused(f"{CHANGELOG} has no entry for version {version}: add a '## [{version}]' section "
                      f"(the version comes from {DESCRIPTOR})")
    return path


def copy_package(package: Package, folder: Path) -> None:
    """Copy the descriptor and every data and schema file it names, so the folder is a Data Package."""
    rels = {DESCRIPTOR} | {r.path for r in package.resources} | {r.schema_path for r in package.resources}
    for rel in sorted(rels):
        source, why = safe_member(package.root, rel)
        if source is None:
            raise ValueError(f"{rel}: {why}")  # read_package refused it already; never reached
        target = confined(folder, rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def describe_release(package: Package, folder: Path, created: str, sources: list[dict[str, str]],
                     formulas: list[str] | None = None) -> None:
    """The files that tell a stranger what the release is: the enriched datapackage.json, README,
    CITATION.cff with this version and date, schema.org JSON-LD, and the licences of the package
    folder (LICENSE, LICENSE-DATA.md, copied when present). All derive from `kuril_data.project`."""
    def write(rel: str, text: str) -> None:
        (folder / rel).write_text(text, encoding="utf-8", newline="\n")

    def dump(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2) + "\n"

    for rel in describe.LICENSES:
        source, _ = safe_member(package.root, rel)
        if source is not None and source.is_file():
            shutil.copyfile(source, folder / rel)
    write(DESCRIPTOR, dump(describe.release_descriptor(package, folder, created)))
    write(describe.CITATION, describe.citation_cff(package, date=describe.iso_date(created)))
    write(describe.JSONLD, dump(describe.jsonld(package, created, f"{folder.name}.zip", sources=sources)))
    write(describe.README, describe.release_readme(package, folder, created, formulas=formulas))


def files_of(folder: Path) -> list[str]:
    """Every file under `folder` as a POSIX path relative to it, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def write_checksums(folder: Path) -> None:
    """SHA256SUMS in the `sha256sum -c` format, over every other file of the release."""
    lines = [f"{hashlib.sha256((folder / rel).read_bytes()).hexdigest()}  {rel}\n"
             for rel in files_of(folder) if rel != CHECKSUMS]
    (folder / CHECKSUMS).write_text("".join(lines), encoding="utf-8", newline="\n")


def fix_permissions(folder: Path, stamp: int) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        path.chmod(0o755 if path.is_dir() else 0o644)
        os.utime(path, (stamp, stamp))
    folder.chmod(0o755)
    os.utime(folder, (stamp, stamp))


def write_zip(folder: Path, target: Path, stamp: int) -> None:
    """Zip `folder` under its own name, with fixed timestamps, permissions and order."""
    date_time = time.gmtime(max(stamp, ZIP_EPOCH))[:6]
    with zipfile.ZipFile(target, "w") as zf:
        for rel in files_of(folder):
            info = zipfile.ZipInfo(f"{folder.name}/{rel}", date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so the permissions below are read
            info.external_attr = 0o100644 << 16
            # level 6: within 0.3 % of level 9's size on the real release, in two thirds of the time
            zf.writestr(info, (folder / rel).read_bytes(), compresslevel=6)
