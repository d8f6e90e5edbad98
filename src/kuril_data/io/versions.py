"""Every kind of "a version of the package" read into one local package folder, limits applied while reading.

`open_version(spec)` gives a `Version`: a folder holding `datapackage.json`, its schemas and its CSV
files, which `validate`, `diff` and `load` then read the same way. What `spec` may be:

- a package or release folder, or its `datapackage.json`: read in place;
- a release zip (`kuril-data-<v>.zip`): every member name is judged (after normalising it); the
  descriptor is read within its size limit and every path it names is judged before anything is
  written; then only those files are unpacked, each by member name to a path built from the
  checked descriptor path inside a fresh temporary folder, streamed within the size limits;
- a one-file Data Package with inline data (`kuril-data.json`), alone or in a zip: its size and
  the number of JSON objects and lists it holds are bounded before it is parsed, then each table
  is written as a CSV file;
- the release's SQLite file (`kuril-data.sqlite`): only real tables (never views) whose columns
  are checked first, under a time limit, written as CSV files beside the schemas of the same
  release folder (or those shipped with the installed package);
- `git:REV` (or, where the caller allows it, a bare revision when no path of that name exists;
  a name that is both is refused as ambiguous): file sizes are listed first, then only the files
  the descriptor names are written, straight from git.

Temporary folders are removed when the `with` block ends. `unpack_zip` is the seam for downloaded
releases: it unpacks a local zip into a folder the caller owns.
"""

from __future__ import annotations

import csv
import json
import os
import re
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, TYPE_CHECKING, Any, Literal

from kuril_data.errors import KurilDataError
from kuril_data.model.layout import JSON_FILE, METADATA_TABLE
from kuril_data.model.limits import DEFAULT_LIMITS, Limits
from kuril_data.model.package import DESCRIPTOR, normal_rel, read_package, unsafe_rel

if TYPE_CHECKING:
    import sqlite3
    import zipfile

# A folder, what `validate .` reads, needs none of zipfile, sqlite3, tempfile, shutil or git (a
# subprocess): each is imported by the functions that read the other kinds (~10 ms of a cold start).

Kind = Literal["folder", "zip", "inline", "sqlite", "git"]
SQLITE_MAGIC = b"SQLite format 3\x00"
GIT_PREFIX = "git:"
BUNDLED = "_package"  # the data package inside the installed wheel: kuril_data/_package/
CHUNK = 1 << 20
RATIO_FROM_BYTES = 1_000_000  # the compression ratio is judged for members larger than this
_NAME = re.compile(r"[a-z0-9_][a-z0-9_.-]*")
TRUE = "true"
FALSE = "false"
Spec = str | os.PathLike[str]

__all__ = ["GIT_PREFIX", "Kind", "Version", "VersionError", "installed_package", "open_version", "unpack_zip"]


class VersionError(KurilDataError):
    """A version cannot be read: nothing there, an unsafe or oversized archive, an unknown revision (exit 2)."""


@dataclass(frozen=True)
class Version:
    """A version read into a local folder: what was asked for, what kind it was, where it now is."""

    label: str  # the spec as the user gave it
    kind: Kind
    root: Path  # a folder holding datapackage.json (a temporary one unless kind is "folder")
    stamp: str | None = None  # the version a SQLite file says it holds (its _metadata table)


# --- the one entry point -------------------------------------------------------------------------

@contextmanager
def open_version(spec: Spec, *, repo: Spec | None = None, limits: Limits = DEFAULT_LIMITS,
                 bare_git: bool = False) -> Iterator[Version]:
    """Read `spec` (see the module docstring) into a package folder for the duration of the block.

    `repo` is the folder whose git repository a revision is looked up in (default: the current
    folder); the package is taken from the same sub-folder of the revision as `repo` is of the
    work tree. With `bare_git`, a spec that is not a path is tried as a revision. Raises
    VersionError when the version cannot be read.
    """
    label = os.fspath(spec)
    where = Path(repo) if repo is not None else Path.cwd()
    if label.startswith(GIT_PREFIX):
        with _temp() as tmp:
            yield _from_git(label, label[len(GIT_PREFIX):], where, tmp, limits)
        return
    path = Path(label)
    exists = path.exists() or path.is_symlink()
    if exists and bare_git and _is_revision(label, where):
        raise VersionError(f"{label}: ambiguous: both a path and a git revision; write git:{label} for the "
                           f"revision or ./{label} for the path")
    if not exists:
        if bare_git:
            with _temp() as tmp:
                yield _from_git(label, label, where, tmp, limits, bare=True)
            return
        raise VersionError(f"no such file or folder: {label}")
    if path.is_dir() or path.name == DESCRIPTOR:
        root = path if path.is_dir() else path.parent
        if not (root / DESCRIPTOR).is_file():
            raise VersionError(f"no {DESCRIPTOR} at {label}")
        yield Version(label, "folder", root)
        return
    if not path.is_file():
        raise VersionError(f"{label}: not a regular file or folder")
    import zipfile

    with open(path, "rb") as f:
        magic = f.read(len(SQLITE_MAGIC))
    with _temp() as tmp:
        if magic == SQLITE_MAGIC:
            yield _from_sqlite(label, path, tmp, limits)
        elif zipfile.is_zipfile(path):
            yield _from_zip(label, path, tmp, limits)
        elif path.suffix == ".json":
            _check_size(label, path.stat().st_size, limits.max_file_bytes)
            yield Version(label, "inline", _inline_to_folder(label, path, tmp, limits))
        else:
            raise VersionError(f"{label}: not a package folder, a {DESCRIPTOR}, a release zip, an inline "
                               f"{JSON_FILE} or a SQLite file")


@contextmanager
def _temp() -> Iterator[Path]:
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix="kuril-data-version-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def installed_package() -> Path:
    """The data shipped inside the installed package, else the repository of a source checkout."""
    here = Path(__file__).resolve().parent.parent  # the kuril_data package folder
    bundled = here / BUNDLED
    if (bundled / DESCRIPTOR).is_file():
        return bundled
    repo = here.parent.parent
    if (repo / DESCRIPTOR).is_file() and (repo / "src" / here.name).is_dir():
        return repo
    raise VersionError(f"no data found: neither {bundled} nor a source checkout around it holds {DESCRIPTOR}; "
                       "pass a package folder, a release zip or a kuril-data.sqlite file")


def _check_size(label: str, size: int, limit: int, what: str = "") -> None:
    if size > limit:
        raise VersionError(f"{label}: {what + ' ' if what else ''}is {size} bytes; the limit is {limit}")


# --- what a descriptor names ---------------------------------------------------------------------

def _parse_json(label: str, what: str, raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise VersionError(f"{label}: {what} is not valid UTF-8 (byte {exc.start})") from None
    except RecursionError:
        raise VersionError(f"{label}: {what} is not valid JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, or an integer of thousands of digits
        raise VersionError(f"{label}: {what} is not valid JSON: {exc}") from None


def named_files(descriptor: Any, limits: Limits) -> list[str]:
    """The data and schema paths a descriptor names that are safe to create, each once, normalised.

    Judged on the text alone, before anything is written; what is left out (an unsafe or repeated
    path, resources beyond the limit) is reported by `read_package` when the folder is read.
    """
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        return []
    wanted: dict[str, None] = {}
    for raw in resources[: limits.max_resources]:
        if isinstance(raw, dict):
            for rel in (raw.get("path"), raw.get("schema")):
                if isinstance(rel, str) and unsafe_rel(rel) is None and normal_rel(rel) != DESCRIPTOR:
                    wanted[normal_rel(rel)] = None
    return list(wanted)


def _target(root: Path, rel: str) -> Path:
    """Where a checked descriptor path goes inside a fresh folder (its parents created)."""
    target = root.joinpath(*PurePosixPath(rel).parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _free_target(root: Path, rel: str) -> Path | None:
    """As `_target`, or None when another named path is in the way (one names 'data', another
    'data/x.csv'): that file is then not written, and validation reports it missing."""
    try:
        target = _target(root, rel)
    except (FileExistsError, NotADirectoryError):
        return None
    return None if target.exists() else target


def _copy_limited(src: IO[bytes], dest: Path, limit: int, what: str, label: str) -> int:
    """Stream `src` into the new file `dest`, refusing (and removing) it beyond `limit` bytes."""
    total = 0
    with open(dest, "xb") as out:
        while chunk := src.read(CHUNK):
            total += len(chunk)
            if total > limit:
                out.close()
                dest.unlink()
                raise VersionError(f"{label}: {what} is larger than {limit} bytes")
            out.write(chunk)
    return total


# --- zips ----------------------------------------------------------------------------------------

@contextmanager
def _open_zip(label: str, path: Path) -> Iterator[zipfile.ZipFile]:
    """The zip at `path`, parsed only once its end records declare no more members and no larger
    central directory than the limits (zipfile reads the whole directory into a ZipInfo per member)."""
    import zipfile

    from kuril_data.io.archive import oversized_directory

    with open(path, "rb") as f:
        why = oversized_directory(f)
        if why:
            raise VersionError(f"{label}: refusing the archive: {why}")
        f.seek(0)
        with zipfile.ZipFile(f) as zf:
            yield zf


def unpack_zip(path: Path, dest: Path, limits: Limits = DEFAULT_LIMITS, *, label: str | None = None) -> Kind:
    """Unpack the package of a release zip into the empty folder `dest` (see the module docstring).

    The seam for downloaded releases: a caller that verified a zip's checksum unpacks it into its
    cache with this. Returns "zip" for a package with CSV files, "inline" for one read from
    kuril-data.json. Raises VersionError for an unsafe, oversized or package-less archive; `dest`
    may then hold part of the package and is the caller's to remove.
    """
    import tempfile
    import zipfile

    from kuril_data.io.archive import member_name, unsafe_archive

    label = label or str(path)
    if any(dest.iterdir()):
        raise VersionError(f"{dest} must be an empty folder to unpack {label} into")
    try:
        with _open_zip(label, path) as zf:
            why = unsafe_archive(zf)
            if why:
                raise VersionError(f"{label}: refusing the archive: {why}")
            members = {member_name(i): i for i in zf.infolist() if not i.is_dir()}
            prefix = _package_prefix(label, members)
            budget = _Budget(label, limits)
            descriptor_info = members.get(prefix + DESCRIPTOR)
            inline_info = members.get(prefix + JSON_FILE)
            if descriptor_info is not None:
                raw = budget.read(zf, descriptor_info, limits.max_descriptor_bytes)
                try:
                    descriptor = json.loads(raw.decode("utf-8"))
                except (ValueError, RecursionError):
                    descriptor = None  # read_package reports where and why
                named = named_files(descriptor, limits)
                if inline_info is None or (named and all(prefix + rel in members for rel in named)):
                    (dest / DESCRIPTOR).write_bytes(raw)  # only paths judged safe above are created
                    for rel in named:
                        info = members.get(prefix + rel)
                        target = _free_target(dest, rel)
                        if info is not None and target is not None:  # else validation reports it missing
                            limit = limits.max_descriptor_bytes if rel.endswith(".json") else limits.max_file_bytes
                            budget.extract(zf, info, target, limit)
                    return "zip"
            assert inline_info is not None
            with tempfile.TemporaryDirectory(prefix="kuril-data-inline-") as tmp:
                inline = Path(tmp) / JSON_FILE
                budget.extract(zf, inline_info, inline, limits.max_file_bytes)
                _inline_to_folder(label, inline, dest, limits)
            return "inline"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error, RuntimeError,
            ValueError) as exc:  # RuntimeError: an encrypted member
        raise VersionError(f"{label}: cannot read the zip archive: {exc}") from None


def unpack_tree(path: Path, dest: Path, top: str, limits: Limits = DEFAULT_LIMITS, *, label: str | None = None) -> None:
    """Unpack every member of a release zip (the whole folder `top/`, not only what its descriptor
    names) into `dest`: what `kuril-data fetch --out` delivers. The same judgement as `unpack_zip`:
    every member name is judged and normalised first (`archive`), files are written only under
    `dest` at paths built from the normalised name, streamed within the size and ratio limits.
    Raises VersionError; `dest` may then hold part of the folder and is the caller's to remove.
    """
    import zipfile

    from kuril_data.io.archive import member_name, unsafe_archive

    label = label or path.name
    try:
        with _open_zip(label, path) as zf:
            why = unsafe_archive(zf)
            if why:
                raise VersionError(f"{label}: refusing the archive: {why}")
            budget = _Budget(label, limits)
            for info in zf.infolist():
                parts = member_name(info).split("/")
                if parts[0] != top:
                    raise VersionError(f"{label}: member {info.filename!r} is outside the folder {top}/")
                if info.is_dir():
                    continue
                target = dest.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                budget.extract(zf, info, target, limits.max_file_bytes)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, zlib.error, RuntimeError,
            ValueError) as exc:  # RuntimeError: an encrypted member
        raise VersionError(f"{label}: corrupt zip ({exc})") from None
    except OSError as exc:
        raise VersionError(f"{label}: cannot unpack ({exc.strerror or exc})") from None


@dataclass
class _Budget:
    """The bytes unpacked from one archive so far, against the limits, counted while streaming."""

    label: str
    limits: Limits
    total: int = 0

    def _check(self, info: zipfile.ZipInfo, limit: int) -> None:
        what = f"archive member {info.filename!r}"
        _check_size(self.label, info.file_size, limit, what)  # the header can lie: counted again below
        ratio = self.limits.max_compression_ratio
        if info.file_size > RATIO_FROM_BYTES and info.file_size > ratio * max(info.compress_size, 1):
            raise VersionError(f"{self.label}: {what} unpacks {info.compress_size} bytes to {info.file_size}, "
                               f"more than {ratio} times; refusing a zip bomb")
        if self.total + info.file_size > self.limits.max_total_bytes:
            raise VersionError(f"{self.label}: the archive unpacks to more than {self.limits.max_total_bytes} bytes")

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
        self._check(info, limit)
        with zf.open(info) as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise VersionError(f"{self.label}: archive member {info.filename!r} is larger than {limit} bytes")
        self.total += len(data)
        return data

    def extract(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, limit: int) -> None:
        self._check(info, limit)
        limit = min(limit, self.limits.max_total_bytes - self.total)
        with zf.open(info) as f:
            self.total += _copy_limited(f, target, limit, f"archive member {info.filename!r}", self.label)


def _package_prefix(label: str, members: dict[str, zipfile.ZipInfo]) -> str:
    """'' or 'kuril-data-<v>/': the one place a descriptor or inline JSON sits in the archive."""
    tops = sorted({name.rpartition("/")[0] for name in members
                   if name.rpartition("/")[2] in (DESCRIPTOR, JSON_FILE) and name.count("/") <= 1})
    if len(tops) != 1:
        found = "no" if not tops else "more than one"
        raise VersionError(f"{label}: {found} {DESCRIPTOR} or {JSON_FILE} at the top of the archive or in "
                           "one folder (kuril-data-<version>/)")
    return tops[0] + "/" if tops[0] else ""


def _from_zip(label: str, path: Path, tmp: Path, limits: Limits) -> Version:
    root = tmp / "package"
    root.mkdir()
    kind = unpack_zip(path, root, limits, label=label)
    return Version(label, kind, root)


# --- inline JSON ---------------------------------------------------------------------------------

def _inline_to_folder(label: str, path: Path, root: Path, limits: Limits) -> Path:
    """Write a Data Package with inline data as descriptor, schema files and CSV files under `root`.

    Its objects and lists are counted in the raw bytes (an upper bound: brackets inside strings
    count too) before it is parsed, so a small file of millions of empty records costs nothing.
    """
    what = path.name
    _check_size(label, path.stat().st_size, limits.max_file_bytes, what)
    raw = path.read_bytes()
    containers = raw.count(b"{") + raw.count(b"[")
    most = limits.max_rows + limits.max_resources * 4 + 16
    if containers > most:
        raise VersionError(f"{label}: {what} holds more than {most} JSON objects and lists; at most "
                           f"{limits.max_rows} rows are read")
    descriptor = _parse_json(label, what, raw)
    del raw
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        raise VersionError(f"{label}: {what} is not a Data Package (no list of resources)")
    if len(resources) > limits.max_resources:
        raise VersionError(f"{label}: {what} has {len(resources)} resources; the limit is {limits.max_resources}")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, res in enumerate(resources):
        name = res.get("name") if isinstance(res, dict) else None
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in seen:
            raise VersionError(f"{label}: {what}: resource {i} has no usable name (lowercase letters, digits, "
                               "'_', '.', '-'), or a name used twice")
        seen.add(name)
        assert isinstance(res, dict)
        schema = res.get("schema")
        if not isinstance(schema, dict):
            raise VersionError(f"{label}: {what}: resource {name!r} has no inline schema")
        fields = schema.get("fields")
        names = [f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)] \
            if isinstance(fields, list) else []
        data_rel, schema_rel = f"data/{name}.csv", f"schemas/{name}.json"
        _target(root, schema_rel).write_text(json.dumps(schema, ensure_ascii=False, indent=2), encoding="utf-8")
        with open(_target(root, data_rel), "w", encoding="utf-8", newline="") as f:
            _write_csv(f, names, _inline_rows(label, what, name, res.get("data"), names, limits))
        out.append({**{k: v for k, v in res.items() if k in ("name", "title", "description")},
                    "path": data_rel, "schema": schema_rel})
    descriptor["resources"] = out
    (root / DESCRIPTOR).write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return root


def _inline_rows(label: str, what: str, name: str, data: Any, names: list[str],
                 limits: Limits) -> Iterator[list[str]]:
    where = f"{label}: {what}: {name}"
    if not isinstance(data, list):
        raise VersionError(f"{where}: no inline data (a list of rows)")
    if len(data) > limits.max_rows + 1:
        raise VersionError(f"{where}: more than {limits.max_rows} rows")
    if data and all(isinstance(r, list) for r in data):  # the first row is the header
        header = [_cell(h) for h in data[0]]
        records: Iterable[dict[str, Any]] = (dict(zip(header, r, strict=False)) for r in data[1:])
    elif all(isinstance(r, dict) for r in data):
        records = data
    else:
        raise VersionError(f"{where}: inline data must be a list of objects or a header row and rows")
    for record in records:
        row = [_cell(record.get(n)) for n in names]
        if any(len(c) > limits.max_cell_bytes for c in row):
            raise VersionError(f"{where}: a cell is larger than {limits.max_cell_bytes} characters")
        yield row


def _cell(value: Any) -> str:
    """A JSON value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _write_csv(f: IO[str], names: list[str], rows: Iterable[list[str]]) -> None:
    # Every cell quoted: a bare CR inside a value survives the round trip on every Python.
    writer = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(names)
    writer.writerows(rows)


# --- SQLite --------------------------------------------------------------------------------------

def _from_sqlite(label: str, path: Path, tmp: Path, limits: Limits) -> Version:
    """The release's SQLite file as a package folder: the schemas beside it (or shipped with the
    package), and a CSV file per resource read from its real table."""
    import shutil
    import sqlite3

    _check_size(label, path.stat().st_size, limits.max_file_bytes)
    schemas = path.parent if (path.parent / DESCRIPTOR).is_file() else installed_package()
    package, problems = read_package(schemas, limits)
    if package is None or problems:
        from kuril_data.report import Report

        raise VersionError(f"{label}: the schemas at {schemas} cannot be read:\n{Report.of(problems).to_text()}")
    root = tmp / "package"
    root.mkdir()
    for rel in [DESCRIPTOR, *(r.schema_path for r in package.resources)]:
        shutil.copyfile(schemas / rel, _target(root, normal_rel(rel)))
    try:
        db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
    except sqlite3.Error as exc:
        raise VersionError(f"{label}: cannot open the SQLite file ({exc})") from None
    deadline = time.monotonic() + limits.max_seconds
    db.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    db.text_factory = _text
    try:
        db.execute("PRAGMA trusted_schema = OFF")
        kinds = dict(db.execute("SELECT name, type FROM sqlite_master"))
        if kinds.get(METADATA_TABLE) != "table":
            raise VersionError(f"{label} is not a kuril-data SQLite file (no {METADATA_TABLE} table)")
        row = db.execute(f'SELECT value FROM "{METADATA_TABLE}" WHERE key = ?', ("version",)).fetchone()
        stamp = row[0] if row and isinstance(row[0], str) else None
        for resource in package.resources:
            if kinds.get(resource.name) != "table":
                what = "missing" if resource.name not in kinds else f"a {kinds[resource.name]}, not a table"
                raise VersionError(f"{label}: {resource.name!r} is {what}; only tables are read")
            have = {r[1] for r in db.execute("SELECT * FROM pragma_table_info(?)", (resource.name,))}
            names = resource.schema.names
            missing = [n for n in names if n not in have]
            if missing:
                raise VersionError(f"{label}: the SQLite table {resource.name!r} lacks column(s) {', '.join(missing)}")
            types = [f.type for f in resource.schema.fields]
            cols = ", ".join('"' + n.replace('"', '""') + '"' for n in names)
            cursor = db.execute(f'SELECT {cols} FROM "{resource.name}"')
            with open(_target(root, normal_rel(resource.path)), "w", encoding="utf-8", newline="") as f:
                _write_csv(f, names, _sqlite_rows(label, resource.name, names, types, cursor, limits))
    except sqlite3.OperationalError as exc:
        why = f"took longer than {limits.max_seconds} s" if "interrupt" in str(exc) else str(exc)
        raise VersionError(f"{label}: cannot read the SQLite file ({why})") from None
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        raise VersionError(f"{label}: cannot read the SQLite file ({exc})") from None
    finally:
        db.close()
    return Version(label, "sqlite", root, stamp)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8")  # strict: invalid text is refused, never replaced


def _sqlite_rows(label: str, table: str, names: list[str], types: list[str], cursor: sqlite3.Cursor,
                 limits: Limits) -> Iterator[list[str]]:
    count = 0
    while batch := cursor.fetchmany(1000):
        for values in batch:
            count += 1
            if count > limits.max_rows:
                raise VersionError(f"{label}: table {table!r} has more than {limits.max_rows} rows")
            row = []
            for name, ftype, value in zip(names, types, values, strict=True):
                cell = _sqlite_cell(value, ftype)
                if cell is None or len(cell) > limits.max_cell_bytes:
                    what = f"a {type(value).__name__} value" if cell is None else "a cell too large"
                    raise VersionError(f"{label}: table {table!r} row {count} column {name!r} holds {what} "
                                       f"that is not what the export writes for a {ftype} field")
                row.append(cell)
            yield row


def _sqlite_cell(value: Any, ftype: str) -> str | None:
    """A value of the export as CSV text, or None when the export never writes it for `ftype`."""
    if value is None:
        return ""
    if ftype in ("string", "date"):
        return value if isinstance(value, str) else None
    if ftype in ("integer", "year"):
        return str(value) if isinstance(value, int) else None
    if ftype == "number":
        return repr(float(value)) if isinstance(value, int | float) else None
    if ftype == "boolean":
        return {0: FALSE, 1: TRUE}.get(value) if isinstance(value, int) else None
    return None


# --- git revisions -------------------------------------------------------------------------------

def _is_revision(rev: str, repo: Path) -> bool:
    from kuril_data.io import git

    try:
        loc = git.locate(repo)
        return loc is not None and git.commit_of(loc[0], rev) is not None
    except git.GitError:
        return False


def _from_git(label: str, rev: str, repo: Path, tmp: Path, limits: Limits, *, bare: bool = False) -> Version:
    """A revision of the repository holding `repo`, from the same sub-folder as `repo`."""
    from kuril_data.io import git

    head = f"{rev}: no such package folder, release zip or file, and" if bare else f"{label}:"
    if not git.safe_revision(rev):
        raise VersionError(f"{head} not a git revision")
    loc = git.locate(repo) if repo.is_dir() else None
    if loc is None:
        raise VersionError(f"{head} {repo} is not inside a git repository")
    top, sub = loc
    commit = git.commit_of(top, rev)
    if commit is None:
        raise VersionError(f"{head} not a git revision of the repository at {repo}")
    files = git.tree_files(top, commit, sub)
    if files is None:
        raise VersionError(f"{label}: the revision has no folder {sub}")
    info = files.get(DESCRIPTOR)
    if info is None:
        raise VersionError(f"{label}: the revision has no {f'{sub}/' if sub else ''}{DESCRIPTOR}")
    root = tmp / "package"
    root.mkdir()
    _check_size(label, info.size, limits.max_descriptor_bytes, DESCRIPTOR)
    git.write_blob(top, info.blob, root / DESCRIPTOR)
    descriptor = _parse_json(label, DESCRIPTOR, (root / DESCRIPTOR).read_bytes())
    total = info.size
    for rel in named_files(descriptor, limits):
        f = files.get(rel)
        target = _free_target(root, rel)
        if f is None or target is None:
            continue  # reported as missing when the folder is read
        limit = limits.max_descriptor_bytes if rel.endswith(".json") else limits.max_file_bytes
        _check_size(label, f.size, limit, rel)
        total += f.size
        _check_size(label, total, limits.max_total_bytes, "the package at that revision")
        git.write_blob(top, f.blob, target)
    return Version(label, "git", root)

