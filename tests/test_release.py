"""Release: the bundle's contents, byte-for-byte reproducibility, refusals, atomicity and the CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import zipfile
from pathlib import Path

import frictionless
import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.errors import Refused
from kuril_data.outputs import export as export_module
from kuril_data.release import build as release_module
from kuril_data.release.build import build_release
from kuril_data.validate import validate

from .conftest import INVALID, build_package
from .test_export import typed_package

NAME = "kuril-data-0.1.0"
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n### Added\n- Everything.\n"


def releasable(dest: Path, changelog: str = CHANGELOG) -> Path:
    """A valid package folder with a CHANGELOG.md that has an entry for its version."""
    typed_package(dest)
    (dest / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    return dest


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def epoch(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return 1700000000


def test_release_layout(tmp_path: Path, epoch: int) -> None:
    """The release folder holds the package, every export, the changelog and checksums; the zip sits beside it."""
    pkg = releasable(tmp_path / "pkg")
    folder = build_release(pkg, tmp_path / "dist")
    assert folder == tmp_path / "dist" / NAME
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [NAME, f"{NAME}.zip"]
    files = set(tree(folder))
    assert {"datapackage.json", "CHANGELOG.md", "SHA256SUMS", "kuril-data.json", "kuril-data.sqlite",
            "metadata.json", "parquet/events.parquet", "data/events.csv", "schemas/events.json",
            "data/measures.csv", "parquet/measures.parquet"} <= files
    assert (folder / "CHANGELOG.md").read_text(encoding="utf-8") == CHANGELOG
    assert (folder / "data" / "quotations.csv").read_bytes() == (pkg / "data" / "quotations.csv").read_bytes()


def test_release_folder_is_a_valid_data_package(tmp_path: Path, epoch: int) -> None:
    """The release's datapackage.json and kuril-data.json pass frictionless and our own validator."""
    folder = build_release(releasable(tmp_path / "pkg"), tmp_path / "dist")
    assert validate(folder).valid
    for path in (folder / "datapackage.json", folder / "kuril-data.json"):
        report = frictionless.validate(str(path))
        assert report.valid, report.flatten(["type", "note"])


def test_checksums_cover_every_file(tmp_path: Path, epoch: int) -> None:
    """SHA256SUMS lists every other file of the release with its SHA-256, in sha256sum format."""
    folder = build_release(releasable(tmp_path / "pkg"), tmp_path / "dist")
    files = tree(folder)
    lines = files.pop("SHA256SUMS").decode().splitlines()
    assert lines == [f"{hashlib.sha256(data).hexdigest()}  {rel}" for rel, data in sorted(files.items())]


def test_zip_matches_folder_with_fixed_metadata(tmp_path: Path, epoch: int) -> None:
    """The zip holds the folder's files under its name, sorted, with fixed dates and permissions."""
    folder = build_release(releasable(tmp_path / "pkg"), tmp_path / "dist")
    with zipfile.ZipFile(tmp_path / "dist" / f"{NAME}.zip") as zf:
        infos = zf.infolist()
        assert [i.filename for i in infos] == [f"{NAME}/{rel}" for rel in sorted(tree(folder))]
        for info in infos:
            assert info.date_time == (2023, 11, 14, 22, 13, 20)
            assert stat.S_IMODE(info.external_attr >> 16) == 0o644
            assert zf.read(info) == (folder / info.filename.split("/", 1)[1]).read_bytes()
    assert all(stat.S_IMODE(p.stat().st_mode) == (0o755 if p.is_dir() else 0o644)
               for p in [folder, *folder.rglob("*")])


def test_nothing_host_specific_inside(tmp_path: Path, epoch: int) -> None:
    """No absolute path of the build machine appears in any released file."""
    pkg = releasable(tmp_path / "pkg")
    folder = build_release(pkg, tmp_path / "dist")
    for rel, data in tree(folder).items():
        assert str(tmp_path).encode() not in data, rel
    assert str(tmp_path).encode() not in (tmp_path / "dist" / f"{NAME}.zip").read_bytes()


@pytest.mark.parametrize("fixed_epoch", [True, False], ids=["SOURCE_DATE_EPOCH", "fallback-date"])
def test_two_builds_are_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fixed_epoch: bool) -> None:
    """Two builds into different folders give identical bytes for every file and for the zip."""
    if fixed_epoch:
        monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    else:
        monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    pkg = releasable(tmp_path / "pkg")
    a = build_release(pkg, tmp_path / "a")
    b = build_release(pkg, tmp_path / "b")
    assert tree(a) == tree(b)
    assert (tmp_path / "a" / f"{NAME}.zip").read_bytes() == (tmp_path / "b" / f"{NAME}.zip").read_bytes()


def test_copies_in_different_places_build_identically(tmp_path: Path, epoch: int) -> None:
    """The same package checked out in two places builds to the same bytes (nothing depends on the path)."""
    a = build_release(releasable(tmp_path / "one" / "pkg"), tmp_path / "one" / "dist")
    b = build_release(releasable(tmp_path / "two" / "elsewhere"), tmp_path / "two" / "out")
    assert tree(a) == tree(b)
    assert (a.parent / f"{NAME}.zip").read_bytes() == (b.parent / f"{NAME}.zip").read_bytes()


def test_build_date_comes_from_source_date_epoch(tmp_path: Path, epoch: int) -> None:
    """The SQLite metadata's build date is SOURCE_DATE_EPOCH."""
    folder = build_release(releasable(tmp_path / "pkg"), tmp_path / "dist")
    meta = dict(sqlite3.connect(folder / "kuril-data.sqlite").execute("SELECT key, value FROM _metadata"))
    assert meta["build_date"] == "2023-11-14T22:13:20Z"
    assert meta["version"] == "0.1.0"


def test_missing_changelog_entry_is_refused(tmp_path: Path, epoch: int) -> None:
    """A CHANGELOG.md without a '## [<version>]' entry is refused and nothing is written."""
    pkg = releasable(tmp_path / "pkg", changelog="# Changelog\n\n## [Unreleased]\n\n## [0.0.9]\n")
    with pytest.raises(Refused, match=r"no entry for version 0\.1\.0: add a '## \[0\.1\.0\]' section"):
        build_release(pkg, tmp_path / "dist")
    assert not (tmp_path / "dist").exists()


def test_missing_changelog_is_refused(tmp_path: Path, epoch: int) -> None:
    """A package without CHANGELOG.md is refused."""
    pkg = releasable(tmp_path / "pkg")
    (pkg / "CHANGELOG.md").unlink()
    with pytest.raises(Refused, match=r"CHANGELOG\.md is missing"):
        build_release(pkg, tmp_path / "dist")


def test_unsafe_version_is_refused(tmp_path: Path, epoch: int) -> None:
    """A version that could not name a file safely (e.g. '../x') is refused."""
    pkg = releasable(tmp_path / "pkg", changelog="## [../x]\n")
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["version"] = "../x"
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with pytest.raises(Refused, match="cannot name a release"):
        build_release(pkg, tmp_path / "dist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_invalid_package_is_refused(tmp_path: Path, epoch: int) -> None:
    """A package that does not validate is refused with its report."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg, INVALID / "primary-key")
    (pkg / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    with pytest.raises(Refused) as info:
        build_release(pkg, tmp_path / "dist")
    assert info.value.report is not None and "primary-key" in info.value.report.codes()
    assert not (tmp_path / "dist").exists()


RELEASE_STEPS = [(release_module, name) for name in
                 ("write_exports", "copy_package", "write_checksums", "fix_permissions", "write_zip", "install")]
EXPORT_STEPS = [(export_module, name) for name in ("write_parquet", "write_json", "write_sqlite",
                                                   "write_datasette_metadata")]


@pytest.mark.parametrize(("module", "step"), RELEASE_STEPS + EXPORT_STEPS, ids=lambda x: getattr(x, "__name__", x))
def test_failure_at_any_step_keeps_previous_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: int,
                                                    module: object, step: str) -> None:
    """A failure at any step leaves the previous release intact and nothing new behind."""
    pkg = releasable(tmp_path / "pkg")
    dist = tmp_path / "dist"
    build_release(pkg, dist)
    (pkg / "data" / "measures.csv").write_text(
        (pkg / "data" / "measures.csv").read_text(encoding="utf-8").replace("Zażółć", "Zażółć!"), encoding="utf-8")
    before = tree(dist)

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"injected failure in {step}")

    monkeypatch.setattr(module, step, boom)
    with pytest.raises(RuntimeError, match="injected"):
        build_release(pkg, dist)
    assert tree(dist) == before
    assert sorted(p.name for p in dist.iterdir()) == [NAME, f"{NAME}.zip"]


@pytest.mark.parametrize("step", ["write_exports", "write_zip"])
def test_failed_first_release_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: int,
                                             step: str) -> None:
    """A failed first release creates no dist folder at all."""
    pkg = releasable(tmp_path / "pkg")
    monkeypatch.setattr(release_module, step, lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        build_release(pkg, tmp_path / "dist")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_failure_while_swapping_in_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epoch: int) -> None:
    """If the zip cannot be moved into place after the folder was, the old folder and zip come back."""
    pkg = releasable(tmp_path / "pkg")
    dist = tmp_path / "dist"
    build_release(pkg, dist)
    before = tree(dist)
    real = export_module.os.replace
    failed = []

    def flaky(src: object, dst: object) -> None:
        if str(dst).endswith(".zip") and ".partial" in str(src) and not failed:
            failed.append(dst)
            raise OSError("disk full")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(export_module.os, "replace", flaky)
    with pytest.raises(OSError, match="disk full"):
        build_release(pkg, dist)
    monkeypatch.undo()
    assert tree(dist) == before
    assert sorted(p.name for p in dist.iterdir()) == [NAME, f"{NAME}.zip"]


def test_new_release_replaces_previous(tmp_path: Path, epoch: int) -> None:
    """Building again replaces the previous release of the same version completely."""
    pkg = releasable(tmp_path / "pkg")
    dist = tmp_path / "dist"
    folder = build_release(pkg, dist)
    (folder / "stray.txt").write_text("left over")
    build_release(pkg, dist)
    assert not (folder / "stray.txt").exists()
    assert sorted(p.name for p in dist.iterdir()) == [NAME, f"{NAME}.zip"]


# --- CLI -----------------------------------------------------------------------------------------

def test_cli_release(tmp_path: Path, epoch: int) -> None:
    """`kuril-data release --out DIR PATH` builds the folder and zip and exits 0."""
    pkg = releasable(tmp_path / "pkg")
    result = CliRunner().invoke(cli, ["release", "--out", str(tmp_path / "dist"), str(pkg)])
    assert result.exit_code == 0, result.output
    assert result.output == f"built {tmp_path / 'dist' / NAME}/\nbuilt {tmp_path / 'dist' / NAME}.zip\n"


def test_cli_release_default_out_is_dist(tmp_path: Path, epoch: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --out the release goes to ./dist."""
    pkg = releasable(tmp_path / "pkg")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["release", str(pkg)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dist" / f"{NAME}.zip").is_file()


def test_cli_release_refuses_without_changelog_entry(tmp_path: Path, epoch: int) -> None:
    """No changelog entry for the version: a clear message and exit 1."""
    pkg = releasable(tmp_path / "pkg", changelog="## [Unreleased]\n")
    result = CliRunner().invoke(cli, ["release", "--out", str(tmp_path / "dist"), str(pkg)])
    assert result.exit_code == 1
    assert "Error: CHANGELOG.md has no entry for version 0.1.0" in result.output
    assert not (tmp_path / "dist").exists()


def test_cli_release_refuses_invalid_package(tmp_path: Path, epoch: int) -> None:
    """An invalid package: its report is printed, exit 1."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg, INVALID / "edtf")
    shutil.copy(Path(__file__).resolve().parent.parent / "CHANGELOG.md", pkg / "CHANGELOG.md")
    result = CliRunner().invoke(cli, ["release", "--out", str(tmp_path / "dist"), str(pkg)])
    assert result.exit_code == 1
    assert "[edtf]" in result.output
    assert not (tmp_path / "dist").exists()


def test_cli_release_no_package_exit_2(tmp_path: Path) -> None:
    """No package at PATH: a one-line error and exit 2."""
    result = CliRunner().invoke(cli, ["release", "--out", str(tmp_path / "dist"), str(tmp_path)])
    assert result.exit_code == 2
    assert "no datapackage.json" in result.output


def _git(repo: Path, *args: str) -> None:
    import subprocess

    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                   check=True, capture_output=True)


def _set_version(pkg: Path, version: str) -> None:
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    desc["version"] = version
    (pkg / "datapackage.json").write_text(json.dumps(desc, indent=2), encoding="utf-8")
    (pkg / "CHANGELOG.md").write_text(f"# Changelog\n\n## [{version}]\n\n- changes\n", encoding="utf-8")


@pytest.mark.parametrize(("version", "refused"), [("0.1.0", "already released as v0.1.0"),
                                                  ("0.1.1", "call for a minor bump, so at least 0.2.0"),
                                                  ("0.2.0", None)])
def test_release_refuses_a_version_below_the_bump_since_the_last_tag(tmp_path: Path, epoch: int, version: str,
                                                                     refused: str | None) -> None:
    """Adding a record after tag v0.1.0 needs at least 0.2.0; an unchanged rebuild of 0.1.0 is fine."""
    pkg = tmp_path / "repo"
    pkg.mkdir()
    build_package(pkg)
    _set_version(pkg, "0.1.0")
    _git(pkg, "init", "-q")
    _git(pkg, "add", "-A")
    _git(pkg, "commit", "-qm", "first")
    _git(pkg, "tag", "v0.1.0")
    build_release(pkg, tmp_path / "same")  # rebuilding the tagged release itself is allowed
    with (pkg / "data" / "places.csv").open("a", encoding="utf-8") as f:
        f.write("tokyo,Tokyo,city,,,\n")
    with (pkg / "data" / "citations.csv").open("a", encoding="utf-8") as f:
        f.write("p-tokyo,,,,tokyo,src-en,line 3,Moscow\n")
    _set_version(pkg, version)
    if refused is None:
        assert build_release(pkg, tmp_path / "dist").is_dir()
    else:
        with pytest.raises(Refused, match=refused):
            build_release(pkg, tmp_path / "dist")
        assert not (tmp_path / "dist").exists()


def test_a_folder_named_like_the_last_tag_does_not_switch_off_the_bump_check(tmp_path: Path, epoch: int) -> None:
    """A folder v0.1.0 holding the new package is not taken for the tag v0.1.0 (release reads git:v0.1.0)."""
    pkg = tmp_path / "repo"
    pkg.mkdir()
    build_package(pkg)
    _set_version(pkg, "0.1.0")
    _git(pkg, "init", "-q")
    _git(pkg, "add", "-A")
    _git(pkg, "commit", "-qm", "first")
    _git(pkg, "tag", "v0.1.0")
    with (pkg / "data" / "places.csv").open("a", encoding="utf-8") as f:
        f.write("tokyo,Tokyo,city,,,\n")
    with (pkg / "data" / "citations.csv").open("a", encoding="utf-8") as f:
        f.write("p-tokyo,,,,tokyo,src-en,line 3,Moscow\n")
    _set_version(pkg, "0.1.1")
    shutil.copytree(pkg, pkg / "v0.1.0", ignore=shutil.ignore_patterns(".git"))
    with pytest.raises(Refused, match=r"call for a minor bump, so at least 0\.2\.0"):
        build_release(pkg, tmp_path / "dist")


def test_a_release_killed_between_folder_and_zip_is_completed_by_the_next_run(tmp_path: Path, epoch: int) -> None:
    """SIGKILL after the new folder is moved in but before its zip: the next run installs the zip of
    the same build, so folder and zip agree again, and the half-done staging folder is gone."""
    import subprocess
    import sys

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    (pkg / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    dist = tmp_path / "dist"
    build_release(pkg, dist)  # the old release
    old_zip = (dist / f"{NAME}.zip").read_bytes()
    with (pkg / "data" / "places.csv").open("a", encoding="utf-8") as f:
        f.write("tokyo,Tokyo,city,,,\n")
    with (pkg / "data" / "citations.csv").open("a", encoding="utf-8") as f:
        f.write("p-tokyo,,,,tokyo,src-en,line 3,Moscow\n")
    killer = (
        "import os, sys\n"
        "from kuril_data.io import transaction\n"
        "real, calls = os.replace, []\n"
        "def replace(a, b):\n"
        "    calls.append(b)\n"
        "    if str(b).endswith('.zip') and '.replaced' not in str(b):\n"
        "        os._exit(9)  # as SIGKILL: no cleanup runs\n"
        "    return real(a, b)\n"
        "transaction.os.replace = replace\n"
        "from kuril_data.release.build import build_release\n"
        "build_release(sys.argv[1], sys.argv[2])\n"
    )
    done = subprocess.run([sys.executable, "-c", killer, str(pkg), str(dist)], capture_output=True, check=False,
                          env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)})
    assert done.returncode == 9, done.stderr
    assert (dist / ".kuril-data-install.json").is_file()
    assert "tokyo" in (dist / NAME / "data" / "places.csv").read_text(encoding="utf-8")
    assert not (dist / f"{NAME}.zip").exists()  # the old zip moved aside, the new one not yet in
    assert old_zip
    from kuril_data.io.transaction import recover

    recover(dist)
    with zipfile.ZipFile(dist / f"{NAME}.zip") as zf:
        assert zf.read(f"{NAME}/data/places.csv") == (dist / NAME / "data" / "places.csv").read_bytes()
    assert sorted(p.name for p in dist.iterdir()) == [NAME, f"{NAME}.zip"]


def test_two_releases_into_one_folder_run_one_after_the_other(tmp_path: Path, epoch: int) -> None:
    """While --out is locked (as by a running release), a second release waits; then it completes."""
    import fcntl
    import threading

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    releasable(pkg)
    dist = tmp_path / "dist"
    dist.mkdir()
    fd = os.open(dist, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    done: list[Path] = []
    worker = threading.Thread(target=lambda: done.append(build_release(pkg, dist)))
    worker.start()
    worker.join(timeout=3)
    assert worker.is_alive() and not done and not (dist / NAME).exists()  # waiting for the lock
    os.close(fd)
    worker.join(timeout=300)
    assert done == [dist / NAME] and (dist / f"{NAME}.zip").is_file()


# --- cells that start like a formula (issue #23) ---------------------------------------------------


def _with_formulas(pkg: Path, count: int) -> list[str]:
    """`count` rows of the test table whose title starts like a formula; returns where (file:line:field)."""
    measures = pkg / "data" / "measures.csv"
    titles = ['"=HYPERLINK(""http://x.invalid/"",""click"")"', "+{i} plus", "@{i} at", "-{i} minus"]
    with measures.open("a", encoding="utf-8") as f:
        f.writelines(f"m-{i:04d},,,,,,,,,,,{titles[i % 4].format(i=i)}\n" for i in range(count))
    return [f"data/measures.csv:{4 + i}:title" for i in range(count)]


def test_release_says_how_many_formula_like_cells_it_ships_and_where(tmp_path: Path, epoch: int) -> None:
    """The issue: `=` cells were a validate warning and release shipped them without saying so."""
    pkg = releasable(tmp_path / "pkg")
    places = _with_formulas(pkg, 3)
    result = CliRunner().invoke(cli, ["release", str(pkg), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0] == "shipped 3 cell(s) that start like a spreadsheet formula (=, +, -, @), as written:"
    assert out[1:4] == places
    readme = (tmp_path / "dist" / NAME / "README.md").read_text(encoding="utf-8")
    assert "## Cells that start like a formula\n\n3 cell(s) start with `=`, `+`, `-` or `@`" in readme
    assert "```text\n" + "\n".join(places) + "\n```\n" in readme
    shipped = (tmp_path / "dist" / NAME / "data" / "measures.csv").read_text(encoding="utf-8")
    assert '"=HYPERLINK(""http://x.invalid/"",""click"")"' in shipped  # as written


def test_many_formula_like_cells_are_counted_past_the_listed_ones(tmp_path: Path, epoch: int) -> None:
    pkg = releasable(tmp_path / "pkg")
    places = _with_formulas(pkg, 105)
    result = CliRunner().invoke(cli, ["release", str(pkg), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0].startswith("shipped 105 cell(s)") and out[1:101] == places[:100]
    assert out[101] == "… and 5 more (`kuril-data validate` lists them all)"
    readme = (tmp_path / "dist" / NAME / "README.md").read_text(encoding="utf-8")
    assert "105 cell(s) start with" in readme and places[99] in readme and places[100] not in readme


def test_a_release_without_formula_like_cells_says_nothing_of_them(tmp_path: Path, epoch: int) -> None:
    pkg = releasable(tmp_path / "pkg")
    result = CliRunner().invoke(cli, ["release", str(pkg), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0 and [line.split()[0] for line in result.output.splitlines()] == ["built", "built"]
    assert "formula" not in (tmp_path / "dist" / NAME / "README.md").read_text(encoding="utf-8")
