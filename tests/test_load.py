"""load(): typed DataFrames from a package folder, a release folder or zip, and the SQLite file — all equal."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import kuril_data
from kuril_data.load import DATE_DTYPE, LoadError, default_source, load, pandas_dtypes
from kuril_data.model import dates
from kuril_data.model.package import read_package
from kuril_data.release.build import build_release

from .conftest import INVALID, ROOT, build_package
from .test_export import typed_package

CHANGELOG = "# Changelog\n\n## [0.1.0] - 2026-01-01\n\n### Added\n- Everything.\n"
NAME = "kuril-data-0.1.0"


def released(root: Path, make: object) -> dict[str, Path]:
    """Every kind of source for one package: its folder, descriptor, release folder, zip and SQLite file."""
    pkg = root / "pkg"
    pkg.mkdir(parents=True)
    make(pkg)  # type: ignore[operator]
    (pkg / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    folder = build_release(pkg, root / "dist")
    return {"package-folder": pkg, "descriptor": pkg / "datapackage.json", "release-folder": folder,
            "release-zip": root / "dist" / f"{NAME}.zip", "sqlite": folder / "kuril-data.sqlite"}


@pytest.fixture(scope="module")
def fixture_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The valid fixture package and its release, as every kind of source."""
    return released(tmp_path_factory.mktemp("load-valid"), build_package)


@pytest.fixture(scope="module")
def typed_sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The valid fixture plus a table with every field type, and its release, as every kind of source."""
    return released(tmp_path_factory.mktemp("load-typed"), typed_package)


KINDS = ["descriptor", "release-folder", "release-zip", "sqlite"]


@pytest.mark.parametrize("kind", KINDS)
def test_every_source_gives_equal_frames(fixture_sources: dict[str, Path], kind: str) -> None:
    """The release folder, zip and SQLite file give frames equal to the package folder's, table by table."""
    expected = load(source=fixture_sources["package-folder"])
    got = load(source=fixture_sources[kind])
    assert list(got) == list(expected)
    for name in expected:
        assert_frame_equal(got[name], expected[name], check_exact=True)
        assert got[name].attrs == expected[name].attrs


@pytest.mark.parametrize("kind", KINDS)
def test_every_field_type_survives_every_source(typed_sources: dict[str, Path], kind: str) -> None:
    """Integers, numbers, booleans, dates, years and EDTF ranges come back equal from every source."""
    expected = load("measures", source=typed_sources["package-folder"])
    assert_frame_equal(load("measures", source=typed_sources[kind]), expected, check_exact=True)


def test_sqlite_alone_uses_the_installed_schemas(fixture_sources: dict[str, Path], tmp_path: Path) -> None:
    """A kuril-data.sqlite with no datapackage.json beside it is typed by the schemas shipped with the package."""
    lone = tmp_path / "kuril-data.sqlite"
    shutil.copyfile(fixture_sources["sqlite"], lone)
    expected = load(source=fixture_sources["package-folder"])
    got = load(source=lone)
    for name in expected:
        assert_frame_equal(got[name], expected[name], check_exact=True)


def test_sqlite_of_another_version_is_refused(fixture_sources: dict[str, Path], tmp_path: Path) -> None:
    """A SQLite file whose version differs from the schemas at hand is refused, naming both versions."""
    lone = tmp_path / "kuril-data.sqlite"
    shutil.copyfile(fixture_sources["sqlite"], lone)
    with sqlite3.connect(lone) as db:
        db.execute("UPDATE _metadata SET value = '9.9.9' WHERE key = 'version'")
    db.close()
    with pytest.raises(LoadError, match=r"holds version 9\.9\.9 but the schemas .* are version 0\.1\.0"):
        load(source=lone)


def test_dtypes_come_from_the_schema(typed_sources: dict[str, Path]) -> None:
    """string, category (enum values in schema order), Int64, Float64, boolean, datetime64 for dates and EDTF ranges."""
    frames = load(source=typed_sources["package-folder"])
    package, _ = read_package(typed_sources["package-folder"])
    assert package is not None
    for resource in package.resources:
        frame = frames[resource.name]
        assert list(frame.columns) == list(pandas_dtypes(resource))
        for f in resource.schema.fields:
            dtype = frame[f.name].dtype
            if f.constraints.get("enum"):
                assert isinstance(dtype, pd.CategoricalDtype)
                assert list(dtype.categories) == f.constraints["enum"]
            else:
                want = {"string": "string", "integer": "Int64", "year": "Int64", "number": "Float64",
                        "boolean": "boolean", "date": DATE_DTYPE}[f.type]
                assert dtype == want, (resource.name, f.name)
            if f.edtf:
                assert frame[f.name + "_earliest"].dtype == DATE_DTYPE
                assert frame[f.name + "_latest"].dtype == DATE_DTYPE


def test_values_of_every_type(typed_sources: dict[str, Path]) -> None:
    """The measures rows come back with the exact typed values, missing cells as NA, sorted by key."""
    m = load("measures", source=typed_sources["release-zip"])
    assert m["measure_id"].tolist() == ["a-child", "b-parent"]
    assert m["count"].tolist() == [-3, 9007199254740993]
    assert m["share"].tolist() == [0.25, 1e-7]
    assert m["flag"].tolist() == [True, False]
    assert m["day"].tolist() == [pd.Timestamp("1956-10-19"), pd.Timestamp("2000-02-29")]
    assert m["year"].tolist() == [1956, 1855]
    assert m["when_earliest"].tolist() == [pd.Timestamp("1956-10-01"), pd.Timestamp("1955-06-03")]
    assert m["when_latest"].tolist() == [pd.Timestamp("1956-10-31"), pd.Timestamp("1955-09-30")]
    assert m["parent"].isna().tolist() == [False, True]
    assert m["title"].tolist() == ["Zażółć gęślą jaźń", "ราชอาณาจักรไทย"]


def test_edtf_columns_match_the_date_parser(fixture_sources: dict[str, Path]) -> None:
    """Every event's <date>_earliest/_latest is the day range kuril_data.model.dates gives for its EDTF string."""
    events = load("events", source=fixture_sources["release-folder"])
    assert len(events) > 0
    for value, earliest, latest in zip(events["date"], events["date_earliest"], events["date_latest"], strict=True):
        r = dates.parse(value)
        assert (earliest.date() if pd.notna(earliest) else None) == r.earliest
        assert (latest.date() if pd.notna(latest) else None) == r.latest


def test_rows_are_sorted_by_primary_key(fixture_sources: dict[str, Path]) -> None:
    """Each frame is sorted by its primary key, whatever the order in the source."""
    for name, frame in load(source=fixture_sources["sqlite"]).items():
        key = frame.attrs["primary_key"]
        assert_frame_equal(frame, frame.sort_values(key, kind="stable", ignore_index=True), obj=name)


def test_unknown_table_lists_the_tables(fixture_sources: dict[str, Path]) -> None:
    """An unknown table name is a ValueError that names every table."""
    with pytest.raises(ValueError, match=r"unknown table 'event'; the tables are: sources, actors, .*events"):
        load("event", source=fixture_sources["package-folder"])


def test_default_source_is_the_repository_in_a_checkout() -> None:
    """From a source checkout (no bundled data), load() reads the repository's own package."""
    here = Path(kuril_data.__file__).resolve().parent
    if (here / "_package" / "datapackage.json").is_file():
        pytest.skip("kuril_data is installed from a wheel here; test_wheel covers the bundled data")
    assert default_source() == ROOT
    assert_frame_equal(load("documents"), load("documents", source=ROOT))


def test_invalid_package_is_refused_with_its_report(tmp_path: Path) -> None:
    """A package that does not validate is refused; the error carries the report."""
    build_package(tmp_path, INVALID / "primary-key")
    with pytest.raises(LoadError, match="does not validate") as info:
        load(source=tmp_path)
    assert info.value.report is not None and "primary-key" in info.value.report.codes()


def test_missing_and_unknown_sources(tmp_path: Path) -> None:
    """A path that does not exist, or a file that is no package, zip or SQLite, is a clear LoadError."""
    with pytest.raises(LoadError, match="no such file or folder"):
        load(source=tmp_path / "nothing")
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(LoadError, match=r"not a package folder, a datapackage\.json, a release zip, an inline "
                                   r"kuril-data\.json or a SQLite"):
        load(source=tmp_path / "notes.txt")


@pytest.mark.parametrize("member", ["../evil.csv", "/etc/evil.csv", "kuril-data-0.1.0/../../evil.csv",
                                    "kuril-data-0.1.0\\..\\evil.csv"])
def test_zip_with_unsafe_member_is_refused(fixture_sources: dict[str, Path], tmp_path: Path, member: str) -> None:
    """A zip holding a member with an absolute or '..' path is refused whole, and nothing is written anywhere."""
    bad = tmp_path / "inner" / "bad.zip"
    bad.parent.mkdir()
    shutil.copyfile(fixture_sources["release-zip"], bad)
    with zipfile.ZipFile(bad, "a") as zf:
        zf.writestr(member, "x\n")
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(LoadError, match="refusing the archive: member"):
        load(source=bad)
    assert sorted(tmp_path.rglob("*")) == before
    assert not Path("/etc/evil.csv").exists()


def test_zip_without_a_package_is_refused(tmp_path: Path) -> None:
    """A zip with no datapackage.json is refused with a clear message."""
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(LoadError, match=r"no datapackage\.json or kuril-data\.json at the top of the archive"):
        load(source=z)


def test_zip_load_leaves_no_temp_files(fixture_sources: dict[str, Path], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Loading a zip unpacks into a private temporary folder that is removed afterwards."""
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    frames = load(source=fixture_sources["release-zip"])
    assert frames["events"]["event_id"].dtype == "string"
    assert list(tmp_path.iterdir()) == []


def test_frames_are_independent_of_the_load_date(fixture_sources: dict[str, Path]) -> None:
    """Derived date columns are plain days (midnight, no time zone)."""
    events = load("events", source=fixture_sources["release-zip"])
    days = events["date_earliest"].dropna()
    assert (days == days.dt.normalize()).all()
    assert days.dt.tz is None
    assert days.min().date() >= dt.date(1800, 1, 1)
