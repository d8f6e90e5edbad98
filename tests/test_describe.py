"""The project's identity lives in pyproject.toml only, and a release explains itself from it:
README, licences, CITATION.cff, schema.org JSON-LD and an enriched datapackage.json."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import frictionless
import pytest
import yaml

from kuril_data import load
from kuril_data.model.package import read_package
from kuril_data.project import from_metadata, from_pyproject, project
from kuril_data.release import describe
from kuril_data.release.build import build_release

from .conftest import ROOT

EPOCH = 1700000000  # 2023-11-14T22:13:20Z
CREATED = "2023-11-14T22:13:20Z"
# What a release is built from: the repository's package and the files it publishes with it.
RELEASE_INPUTS = ("datapackage.json", "schemas", "data", "CHANGELOG.md", "LICENSE", "LICENSE-DATA.md")


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release of the repository's own data, built once with a fixed SOURCE_DATE_EPOCH."""
    root = tmp_path_factory.mktemp("describe")
    pkg = root / "pkg"
    pkg.mkdir()
    for name in RELEASE_INPUTS:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile)(ROOT / name, pkg / name)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
        return build_release(pkg, root / "dist")


# --- one place for the identity ------------------------------------------------------------------

def test_identity_comes_from_pyproject() -> None:
    """project() reads [project] and [project.urls]; the installed metadata says the same."""
    proj = project()
    assert proj == from_pyproject(ROOT / "pyproject.toml")
    installed = from_metadata()
    assert (installed.name, installed.version, installed.urls) == (proj.name, proj.version, proj.urls)
    assert {"Homepage", "Repository", "Releases", "Download", "Changelog", "Issues"} <= set(proj.urls)
    assert proj.download_url("1.2.3", "kuril-data-1.2.3.zip") == \
        f"{proj.urls['Download']}/v1.2.3/kuril-data-1.2.3.zip"


def test_versions_agree() -> None:
    """pyproject.toml, datapackage.json, CITATION.cff and kuril_data.__version__ give the same version."""
    import kuril_data

    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert project().version == descriptor["version"] == cff["version"] == kuril_data.__version__


def _tracked_text_files() -> list[Path]:
    done = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"not a git checkout: {done.stderr.decode(errors='replace').strip()}")
    paths = [ROOT / p for p in done.stdout.decode().split("\0") if p]
    return [p for p in paths if p.is_file() and p.suffix in {".md", ".json", ".cff", ".yml", ".yaml", ".toml",
                                                              ".py", ".txt", ".csv", ".cfg", ""}]


def test_no_project_url_is_written_by_hand_elsewhere() -> None:
    """The project's URLs appear only in pyproject.toml, in files generated from it (CITATION.cff,
    checked below) and in README.md as exact [project.urls] values (checked here)."""
    proj = project()
    host = re.sub(r"^https?://", "", proj.repository)
    allowed = {ROOT / "pyproject.toml", ROOT / "CITATION.cff", ROOT / "README.md"}
    offenders = [p.relative_to(ROOT).as_posix() for p in _tracked_text_files()
                 if p not in allowed and host in p.read_text(encoding="utf-8", errors="replace")]
    assert offenders == []
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for url in re.findall(rf"https?://{re.escape(host)}[^\s)>\]`\"',;]*", readme):
        url = url.rstrip(".:")  # the end of a sentence, not of the URL
        assert url in proj.urls.values(), f"README.md writes {url}, which is not a [project.urls] value"


STALE = "stale: regenerate with `.venv/bin/python -m kuril_data.release.describe update`"


def test_root_citation_is_generated_and_current() -> None:
    """CITATION.cff is exactly what `python -m kuril_data.release.describe update` writes."""
    package, problems = read_package(ROOT)
    assert package is not None and not problems
    assert (ROOT / "CITATION.cff").read_text(encoding="utf-8") == describe.citation_cff(package), \
        f"CITATION.cff is {STALE}"


def test_descriptor_sources_come_from_the_sources_table() -> None:
    """datapackage.json's `sources` are the `sources` table's titles and URLs (no URL guessed for the articles)."""
    package, _ = read_package(ROOT)
    assert package is not None
    assert package.descriptor["sources"] == describe.descriptor_sources(package), f"datapackage.json is {STALE}"


def test_update_rewrites_stale_files_only(tmp_path: Path) -> None:
    """`describe update` rewrites a stale CITATION.cff and sources list, and nothing when both are current."""
    for name in ("datapackage.json", "schemas", "data", "CITATION.cff"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile)(ROOT / name, tmp_path / name)
    descriptor = json.loads((tmp_path / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["sources"] = [{"title": "stale"}]
    (tmp_path / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n",
                                              encoding="utf-8")
    (tmp_path / "CITATION.cff").write_text("stale\n", encoding="utf-8")
    assert describe.update_repository(tmp_path) == [tmp_path / "CITATION.cff", tmp_path / "datapackage.json"]
    assert (tmp_path / "datapackage.json").read_bytes() == (ROOT / "datapackage.json").read_bytes()
    assert (tmp_path / "CITATION.cff").read_bytes() == (ROOT / "CITATION.cff").read_bytes()
    assert describe.update_repository(tmp_path) == []


# --- the release explains itself -----------------------------------------------------------------

def test_release_carries_readme_licences_citation_and_jsonld(release: Path) -> None:
    """The files for whoever has only the zip are in the folder and the zip."""
    names = {"README.md", "LICENSE", "LICENSE-DATA.md", "CITATION.cff", "kuril-data.jsonld"}
    assert names <= {p.name for p in release.iterdir()}
    for name in ("LICENSE", "LICENSE-DATA.md"):
        assert (release / name).read_bytes() == (ROOT / name).read_bytes()
    with zipfile.ZipFile(release.parent / f"{release.name}.zip") as zf:
        assert {f"{release.name}/{n}" for n in names} <= set(zf.namelist())


def test_release_citation_has_the_version_and_date(release: Path) -> None:
    """The release's CITATION.cff is valid YAML with this version, the build date and the project's URLs."""
    cff = yaml.safe_load((release / "CITATION.cff").read_text(encoding="utf-8"))
    proj = project()
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "dataset"
    assert cff["version"] == proj.version
    assert cff["date-released"] == "2023-11-14"
    assert cff["repository-code"] == proj.repository and cff["url"] == proj.homepage
    assert cff["license"] == "CC-BY-4.0"


def test_release_descriptor_is_enriched_and_valid(release: Path) -> None:
    """$schema (Data Package v2), id, created from SOURCE_DATE_EPOCH, homepage, contributors, version,
    and each file's bytes and SHA-256; frictionless validates it, data included."""
    d = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    proj = project()
    assert next(iter(d)) == "$schema"
    assert d["$schema"] == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert d["id"] == proj.release_page(proj.version)
    assert d["created"] == CREATED
    assert d["homepage"] == proj.homepage
    assert d["version"] == proj.version
    assert d["contributors"] == [{"title": "kuril-data contributors", "roles": ["author"]}]
    for resource in d["resources"]:
        data = (release / resource["path"]).read_bytes()
        assert resource["bytes"] == len(data)
        assert resource["hash"] == f"sha256:{hashlib.sha256(data).hexdigest()}"
    report = frictionless.validate(str(release / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])


def test_frictionless_checks_the_recorded_hash(release: Path, tmp_path: Path) -> None:
    """The recorded bytes and hash are not decoration: a changed data file fails frictionless."""
    copy = tmp_path / "copy"
    shutil.copytree(release, copy)
    events = copy / "data" / "events.csv"
    events.write_bytes(events.read_bytes().replace(b"British Embassy", b"British Embassx", 1))
    report = frictionless.validate(str(copy / "datapackage.json"))
    assert not report.valid
    assert {"hash-count"} <= {e[0] for e in report.flatten(["type"])}


def test_release_sources_carry_their_urls(release: Path) -> None:
    """The compendium's URL is in the data and the release descriptor; the article copies have none, and say so."""
    d = json.loads((release / "datapackage.json").read_text(encoding="utf-8"))
    with_url = [s for s in d["sources"] if "path" in s]
    assert [s["path"] for s in with_url] == [
        "https://www.mofa.go.jp/region/europe/russia/territory/edition92/period5.html"]
    rows = {r["source_id"]: r for r in describe.source_rows(read_package(ROOT)[0])}  # type: ignore[arg-type]
    for sid in ("article-en", "article-pl", "article-th"):
        assert rows[sid]["url"] == ""
        assert "No URL is known" in rows[sid]["note"]
    assert len(d["sources"]) == len(rows)


def test_release_compares_equal_to_its_package(release: Path) -> None:
    """`kuril-data diff` of the release zip against the package it was built from finds nothing:
    the properties a build adds ($schema, id, created, homepage) are not changes of the data."""
    from kuril_data import diff_packages

    d = diff_packages(str(release.parent / f"{release.name}.zip"), str(release.parent.parent / "pkg"))
    assert d.bump == "none", d.to_dict()


def test_release_jsonld_is_a_schema_org_dataset(release: Path) -> None:
    """kuril-data.jsonld describes the release as a schema.org Dataset downloadable as the zip."""
    doc = json.loads((release / "kuril-data.jsonld").read_text(encoding="utf-8"))
    proj = project()
    assert doc["@context"] == "https://schema.org" and doc["@type"] == "Dataset"
    assert doc["version"] == proj.version and doc["dateCreated"] == "2023-11-14"
    assert doc["url"] == proj.homepage
    assert doc["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert doc["inLanguage"] == ["en", "pl", "th"]
    [download] = doc["distribution"]
    assert download["contentUrl"] == proj.download_url(proj.version, f"{release.name}.zip")
    assert "https://www.mofa.go.jp/region/europe/russia/territory/edition92/period5.html" in \
        [w.get("url") for w in doc["isBasedOn"]]


def test_datasette_metadata_links_the_homepage(release: Path) -> None:
    """The Datasette metadata's source_url is the project's homepage."""
    meta = json.loads((release / "metadata.json").read_text(encoding="utf-8"))
    assert meta["source_url"] == project().homepage


def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, re.DOTALL)


def test_release_readme_says_what_it_is_and_its_examples_run(release: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README names the version, every table with its row count, how to cite; its Python,
    DuckDB and SQLite examples run against the release."""
    text = (release / "README.md").read_text(encoding="utf-8")
    proj = project()
    assert f"release {proj.version}" in text.splitlines()[0]
    package, _ = read_package(release)
    assert package is not None
    for resource in package.resources:
        with open(release / resource.path, encoding="utf-8") as f:
            rows = sum(1 for _ in csv.reader(f)) - 1
        assert f"| `{resource.name}` | {rows} |" in text
    assert proj.release_page(proj.version) in text and "CITATION.cff" in text
    assert "LICENSE-DATA.md" in text and "CC-BY-4.0" in text
    assert "arrow::read_parquet" in text  # R
    assert "| `timeline.svg` |" in text and "| `site/` |" in text  # each listed as it is in the release
    [python] = _blocks(text, "python")
    done = subprocess.run([sys.executable, "-c", python + "\nprint(len(events))"], cwd=release.parent,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(load("events", source=release))
    duckdb_sql, sqlite_sql = _blocks(text, "sql")
    monkeypatch.chdir(release.parent)  # the examples name files relative to where the zip was unpacked
    con = duckdb.connect()
    try:
        assert len(con.execute(duckdb_sql).fetchall()) == int(done.stdout)
    finally:
        con.close()
    db = sqlite3.connect(release / "kuril-data.sqlite")
    try:
        assert len(db.execute(sqlite_sql).fetchall()) == int(done.stdout)
    finally:
        db.close()


# --- tag check and release notes -----------------------------------------------------------------

def test_check_tag(tmp_path: Path) -> None:
    """check-tag accepts v<version> and refuses another tag or a descriptor at a different version."""
    version = project().version
    assert describe.tag_problem(f"v{version}", ROOT) is None
    assert describe.tag_problem("v99.0.0", ROOT) == \
        f"the tag 'v99.0.0' does not name version {version} (expected 'v{version}')"
    (tmp_path / "datapackage.json").write_text(json.dumps({"version": "99.0.0"}), encoding="utf-8")
    assert describe.tag_problem(f"v{version}", tmp_path) == \
        f"datapackage.json says version '99.0.0' but pyproject.toml says '{version}': make them equal"
    done = subprocess.run([sys.executable, "-m", "kuril_data.release.describe", "check-tag", "v99.0.0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and done.stderr.startswith("Error: the tag 'v99.0.0'")


def test_release_notes_are_the_changelog_section() -> None:
    """The notes are the version's CHANGELOG section, without its heading or link definitions."""
    changelog = ("# Changelog\n\n## [Unreleased]\n\n- next\n\n## [1.1.0] - 2026-02-01\n\n### Added\n- b\n\n"
                 "## [1.0.0] - 2026-01-01\n\n- a\n\n[1.0.0]: https://example.org/v1.0.0\n")
    notes = describe.release_notes(changelog, "1.1.0")
    assert notes.startswith("### Added\n- b\n\n---\n")
    assert "pip install kuril-data==1.1.0" in notes and project().urls["Changelog"] in notes
    assert describe.changelog_section(changelog, "1.0.0") == "- a\n"
    with pytest.raises(ValueError, match=r"no '## \[2\.0\.0\]' section"):
        describe.changelog_section(changelog, "2.0.0")
    assert describe.changelog_section((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), project().version)



def test_describe_usage_and_notes_from_the_command_line() -> None:
    """`python -m kuril_data.release.describe`: usage and exit 2 for an unknown action or a missing argument;
    `notes VERSION` prints the section of this repository's CHANGELOG."""
    for argv in ([], ["nope"], ["notes"], ["update", "x"]):
        done = subprocess.run([sys.executable, "-m", "kuril_data.release.describe", *argv], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 2 and done.stderr == (
            "usage: python -m kuril_data.release.describe update | check-tag TAG | notes VERSION\n"), argv
    version = project().version
    done = subprocess.run([sys.executable, "-m", "kuril_data.release.describe", "notes", version], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout == describe.release_notes((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), version)
