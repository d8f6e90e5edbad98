"""kuril_data.io.versions: one reader for every kind of version, with the same limits while reading."""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.diff import DiffError, diff_packages
from kuril_data.io.versions import VersionError, open_version, unpack_tree, unpack_zip
from kuril_data.load import LoadError, load
from kuril_data.model.limits import Limits
from kuril_data.release.build import build_release
from kuril_data.validate import check

from .conftest import build_package

CHANGELOG = "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n### Added\n- Everything.\n"
NAME = "kuril-data-0.1.0"


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The valid fixture package and its release: folder, zip, SQLite file, inline JSON."""
    root = tmp_path_factory.mktemp("versions")
    pkg = root / "pkg"
    pkg.mkdir()
    build_package(pkg)
    (pkg / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    folder = build_release(pkg, root / "dist")
    return {"package": pkg, "descriptor": pkg / "datapackage.json", "release-folder": folder,
            "release-zip": root / "dist" / f"{NAME}.zip", "sqlite": folder / "kuril-data.sqlite",
            "inline": folder / "kuril-data.json"}


KINDS = {"descriptor": "folder", "release-folder": "folder", "release-zip": "zip", "sqlite": "sqlite",
         "inline": "inline"}


@pytest.mark.parametrize("name", list(KINDS))
def test_validate_accepts_every_kind(release: dict[str, Path], name: str) -> None:
    """validate reads a descriptor, release folder, release zip, SQLite file and inline JSON; each is valid."""
    result = check(release[name])
    assert (result.kind, result.name, result.version) == (KINDS[name], "kuril-data", "0.1.0")
    assert result.report.valid, result.report.to_text()
    cli_result = CliRunner().invoke(cli, ["validate", str(release[name])])
    assert cli_result.exit_code == 0, cli_result.output
    assert cli_result.output.splitlines()[0] == f"checked kuril-data 0.1.0 from {release[name]} ({KINDS[name]})"


def test_validate_without_argument_names_the_current_folder(release: dict[str, Path],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """With no PATH, validate checks the current folder and says which package and version that was."""
    monkeypatch.chdir(release["release-folder"])
    result = CliRunner().invoke(cli, ["validate", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["package"] == {"name": "kuril-data", "version": "0.1.0", "source": ".",
                                                    "kind": "folder"}


def test_every_kind_loads_the_same_frames(release: dict[str, Path]) -> None:
    """load() gives equal frames from the inline JSON and the package folder (the other kinds: test_load)."""
    expected = load("events", source=release["package"])
    got = load("events", source=release["inline"])
    assert got.equals(expected)


def test_diff_of_every_kind_against_the_folder_is_empty(release: dict[str, Path]) -> None:
    """The same version read from any kind diffs as unchanged against its folder."""
    for name in KINDS:
        assert diff_packages(release[name], release["package"]).bump == "none", name


def test_temporary_folders_are_removed(release: dict[str, Path]) -> None:
    """A zip's temporary folder exists inside the block and is gone after it."""
    with open_version(release["release-zip"]) as version:
        root = version.root
        assert (root / "datapackage.json").is_file() and (root / "data" / "events.csv").is_file()
    assert not root.exists()


# --- zips: nothing outside a fresh folder, limits while unpacking ----------------------------------


def _open(spec: object, **kwargs: object) -> None:
    with open_version(spec, **kwargs):  # type: ignore[arg-type]
        pass


def _pkg(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    return build_package(pkg)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data, compresslevel=9)
    return path


def _package_members(pkg: Path, prefix: str = f"{NAME}/") -> dict[str, bytes]:
    return {prefix + p.relative_to(pkg).as_posix(): p.read_bytes() for p in sorted(pkg.rglob("*")) if p.is_file()}


def test_absolute_resource_path_and_double_slash_member_write_nothing_outside(tmp_path: Path) -> None:
    """A descriptor naming an absolute path and a member 'kuril-data-0.1.0//<that path>' write nothing there."""
    pkg = _pkg(tmp_path)
    victim = tmp_path / "victim" / "owned.csv"
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"][0]["path"] = str(victim)
    members = _package_members(pkg)
    members[f"{NAME}/datapackage.json"] = json.dumps(descriptor).encode()
    members[f"{NAME}/{victim}".replace(f"{NAME}/", f"{NAME}//", 1)] = b"place_id\nx\n"
    z = _zip(tmp_path / "evil.zip", members)
    with pytest.raises(LoadError, match="does not validate"):
        load(source=z)
    result = check(z)
    assert "unsafe-path" in result.report.codes()
    assert not victim.exists() and not victim.parent.exists()


@pytest.mark.parametrize("member", ["kuril-data-0.1.0/../x.csv", "C:/x.csv", "kuril-data-0.1.0/a\\..\\x.csv",
                                    "kuril-data-0.1.0/data/C:x.csv", "/x.csv", "kuril-data-0.1.0/\x1b[2J.csv"])
def test_unsafe_member_names_are_refused_after_normalising(tmp_path: Path, member: str) -> None:
    """'..', drive letters, backslashes, absolute names and control characters refuse the whole archive."""
    pkg = _pkg(tmp_path)
    z = _zip(tmp_path / "x.zip", {**_package_members(pkg), member: b"x"})
    with pytest.raises(VersionError, match="refusing the archive"):
        _open(z)


def test_a_member_twice_after_normalising_is_refused(tmp_path: Path) -> None:
    """'a//b' and 'a/b' are the same member: the archive is refused rather than one silently picked."""
    pkg = _pkg(tmp_path)
    members = _package_members(pkg)
    members[f"{NAME}//data/events.csv"] = b"event_id\n"
    with pytest.raises(VersionError, match="in the archive twice"):
        _open(_zip(tmp_path / "x.zip", members))


def test_inline_json_of_millions_of_empty_records_is_refused_before_parsing(tmp_path: Path) -> None:
    """kuril-data.json with 5.1 M empty records is refused by counting brackets, not by parsing; in a
    small zip it is refused even earlier, by its compression ratio."""
    body = b'{"name":"x","version":"1","resources":[{"name":"places","schema":{"fields":[{"name":"a"}]},"data":['
    body += b",".join([b"{}"] * 5_100_000) + b"]}]}"
    (tmp_path / "kuril-data.json").write_bytes(body)
    with pytest.raises(DiffError, match=r"holds more than 5\d+ JSON objects and lists; at most 5000000 rows"):
        diff_packages(tmp_path / "kuril-data.json", tmp_path / "kuril-data.json")
    z = _zip(tmp_path / "bomb.zip", {"kuril-data.json": body})
    assert z.stat().st_size < 100_000
    with pytest.raises(DiffError, match="refusing a zip bomb"):
        diff_packages(z, z)


def test_zip_bomb_member_is_refused_by_its_ratio(tmp_path: Path) -> None:
    """A member that unpacks to more than max_compression_ratio times its size is refused unread."""
    pkg = _pkg(tmp_path)
    members = _package_members(pkg)
    members[f"{NAME}/data/events.csv"] = b"x" * 50_000_000
    with pytest.raises(LoadError, match="refusing a zip bomb"):
        load(source=_zip(tmp_path / "bomb.zip", members))


def test_oversized_descriptor_in_a_zip_is_refused_before_parsing(tmp_path: Path) -> None:
    """The descriptor member is read within max_descriptor_bytes, never whole."""
    pkg = _pkg(tmp_path)
    members = _package_members(pkg)
    members[f"{NAME}/datapackage.json"] = b"[" * 2_000_000
    with pytest.raises(VersionError, match=r"datapackage\.json' is 2000000 bytes; the limit is 1000000"):
        _open(_zip(tmp_path / "x.zip", members))


def _never_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("zipfile parsed the central directory")
    monkeypatch.setattr(zipfile, "ZipFile", parse)


def test_a_zip_declaring_too_many_members_is_refused_before_its_directory_is_parsed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The end record's member count is judged before zipfile reads one ZipInfo per member (the
    issue: a 48 MB zip of a million members took 6-9 s and 479 MB before it was refused)."""
    z = tmp_path / "many.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(10_001):
            zf.writestr(f"{NAME}/m{i}", b"")
    _never_parsed(monkeypatch)
    with pytest.raises(VersionError, match="refusing the archive: it declares 10001 members; the limit is 10000"):
        _open(z)
    with pytest.raises(VersionError, match="declares 10001 members"):
        unpack_tree(z, tmp_path / "out", NAME)


def test_a_zip_whose_count_lies_is_refused_by_its_directory_size(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """zipfile parses as many bytes as the directory size says, whatever the count: both are judged."""
    z = tmp_path / "lying.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(9_000):
            zf.writestr(f"{NAME}/{'x' * 500}{i}", b"")
    raw = bytearray(z.read_bytes())
    assert raw[-22:-18] == b"PK\x05\x06"
    raw[-14:-10] = struct.pack("<2H", 3, 3)  # entries on this disk and in all: 3
    z.write_bytes(bytes(raw))
    _never_parsed(monkeypatch)
    with pytest.raises(VersionError, match=r"its central directory is \d+ bytes; the limit is 4194304"):
        _open(z)


def test_a_zip64_end_record_is_judged_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip64 end record (which zipfile prefers to the classic one) declaring a million members."""
    pkg = _pkg(tmp_path)
    small = _zip(tmp_path / "small.zip", _package_members(pkg)).read_bytes()
    eocd = small[-22:]
    size, offset = struct.unpack("<LL", eocd[12:20])  # the central directory's size and offset
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 1_000_000, 1_000_000, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(small) - 22, 1)
    z = tmp_path / "zip64.zip"
    z.write_bytes(small[:-22] + record + locator + eocd)
    _never_parsed(monkeypatch)
    with pytest.raises(VersionError, match="it declares 1000000 members"):
        _open(z)


def test_unpack_zip_is_the_seam_for_downloads(release: dict[str, Path], tmp_path: Path) -> None:
    """unpack_zip puts a release's package into a folder the caller owns; it refuses a non-empty one."""
    dest = tmp_path / "cache"
    dest.mkdir()
    assert unpack_zip(release["release-zip"], dest) == "zip"
    assert sorted(p.name for p in (dest / "data").iterdir()) == sorted(
        p.name for p in (release["package"] / "data").iterdir())
    assert check(dest).report.valid
    with pytest.raises(VersionError, match="must be an empty folder"):
        unpack_zip(release["release-zip"], dest)


# --- SQLite: real tables only, shape first, time limit ----------------------------------------------


def _sqlite_copy(release: dict[str, Path], tmp_path: Path) -> Path:
    folder = tmp_path / "rel"
    shutil.copytree(release["release-folder"], folder)
    return folder / "kuril-data.sqlite"


def _edit(db_path: Path, *sql: str) -> None:
    db = sqlite3.connect(db_path)
    try:
        for statement in sql:
            db.execute(statement)
        db.commit()
    finally:
        db.close()


def test_sqlite_view_is_never_run(release: dict[str, Path], tmp_path: Path) -> None:
    """A _metadata or data table replaced by an endless recursive view is refused without running it."""
    db = _sqlite_copy(release, tmp_path)
    endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT 'version' AS key, i AS value FROM n")
    _edit(db, "DROP TABLE _metadata", f"CREATE VIEW _metadata AS {endless}")
    with pytest.raises(LoadError, match="not a kuril-data SQLite file"):
        load(source=db)
    db = _sqlite_copy(release, tmp_path / "b")
    _edit(db, "PRAGMA foreign_keys = OFF", "DROP VIEW IF EXISTS quotations_with_speakers",
          "DROP VIEW IF EXISTS events_with_actors_and_places", "DROP TABLE places",
          "CREATE VIEW places AS SELECT zeroblob(100000000) AS place_id, 1 AS name, 1 AS kind, 1 AS part_of, "
          "1 AS description")
    with pytest.raises(LoadError, match="'places' is a view, not a table; only tables are read"):
        load(source=db)


def test_sqlite_with_invalid_text_or_a_blob_is_a_load_error(release: dict[str, Path], tmp_path: Path) -> None:
    """Non-UTF-8 text and a blob cell are LoadErrors naming the table, not raw sqlite3 errors."""
    db = _sqlite_copy(release, tmp_path)
    _edit(db, "PRAGMA ignore_check_constraints = ON", "UPDATE places SET name = CAST(X'C328' AS TEXT)")
    with pytest.raises(LoadError, match="cannot read the SQLite file"):
        load(source=db)
    db2 = _sqlite_copy(release, tmp_path / "b")
    _edit(db2, "ALTER TABLE places RENAME TO places_old",
          "CREATE TABLE places AS SELECT * FROM places_old",  # the same columns, none of their checks
          "UPDATE places SET name = X'00'")
    with pytest.raises(LoadError, match="table 'places' row 1 column 'name' holds a bytes value"):
        load(source=db2)


def test_sqlite_data_is_validated_like_any_source(release: dict[str, Path], tmp_path: Path) -> None:
    """A SQLite file whose data breaks a rule (a dangling link) is refused with the validation report."""
    db = _sqlite_copy(release, tmp_path)
    _edit(db, "PRAGMA foreign_keys = OFF", "UPDATE places SET part_of = 'atlantis' WHERE part_of IS NOT NULL")
    with pytest.raises(LoadError, match="does not validate") as info:
        load(source=db)
    assert info.value.report is not None and "foreign-key" in info.value.report.codes()


def test_not_a_sqlite_export_is_a_load_error(tmp_path: Path) -> None:
    """A SQLite file of another shape is refused."""
    db = tmp_path / "other.sqlite"
    _edit(db, "CREATE TABLE x (a)")
    with pytest.raises(LoadError, match="no _metadata table"):
        load(source=db)


# --- git revisions --------------------------------------------------------------------------------


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    build_package(repo)
    _git(repo, "init", "-q")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "add", "-A")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "one")
    return repo


def test_git_prefix_names_a_revision_even_beside_a_folder_of_that_name(repo: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """git:HEAD reads the revision; a bare HEAD beside a folder named HEAD is refused as ambiguous."""
    events = repo / "data" / "events.csv"
    events.write_text(events.read_text(encoding="utf-8").replace("Moscow", "Tokyo"), encoding="utf-8")
    shutil.copytree(repo, repo / "HEAD", ignore=shutil.ignore_patterns(".git", "HEAD"))
    assert diff_packages("git:HEAD", repo, repo=repo).bump == "patch"
    monkeypatch.chdir(repo)
    with pytest.raises(DiffError, match="ambiguous: both a path and a git revision; write git:HEAD"):
        diff_packages("HEAD", repo)
    result = CliRunner().invoke(cli, ["diff", "HEAD", "."])
    assert result.exit_code == 2 and "ambiguous" in result.output
    assert check("git:HEAD", repo=repo).kind == "git"


def test_git_blob_over_the_limit_is_refused_unread(repo: Path) -> None:
    """File sizes are listed first: a data file above max_file_bytes at a revision is refused before reading."""
    with pytest.raises(VersionError, match=r"git:HEAD: data/\w+\.csv is \d+ bytes; the limit is 100"):
        _open("git:HEAD", repo=repo, limits=Limits(max_file_bytes=100))


def test_unknown_git_revision(repo: Path) -> None:
    """An explicit git: revision that does not exist says so."""
    with pytest.raises(VersionError, match="git:nope: not a git revision of the repository"):
        _open("git:nope", repo=repo)


@pytest.mark.parametrize("quoted", [False, True])
def test_too_many_rows_is_found_before_rows_are_built(tmp_path: Path, quoted: bool) -> None:
    """A file with more lines than max_rows is counted first (quoted cells may span lines): refused at
    the first row past the limit, with or without quotes, before any row is kept."""
    pkg = _pkg(tmp_path)
    cell = '"a\nb"' if quoted else "b"
    rows = "".join(f"p{i},{cell},city,,\n" for i in range(3000))
    (pkg / "data" / "places.csv").write_text("place_id,name,kind,part_of,description\n" + rows, encoding="utf-8")
    report = check(pkg, limits=Limits(max_rows=1000)).report
    [problem] = [p for p in report.problems if p.code == "too-many-rows"]
    assert problem.line == (2002 if quoted else 1002)  # where the first row past the limit starts


def test_descriptor_paths_in_each_others_way_are_reported_not_crashed(tmp_path: Path) -> None:
    """A schema path 'data' beside data paths 'data/x.csv' in a zip: validation reports it, diff and
    load refuse it cleanly."""
    pkg = _pkg(tmp_path)
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    desc["resources"][0]["schema"] = "data"
    (pkg / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    z = _zip(tmp_path / "x.zip", _package_members(pkg))
    assert not check(z).report.valid
    with pytest.raises(LoadError):
        load(source=z)
    result = CliRunner().invoke(cli, ["diff", str(z), str(z)])
    assert result.exit_code == 2 and "internal error" not in result.output
