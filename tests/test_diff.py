"""kuril-data diff: record-level changes and the semver bump, for folders, zips and git revisions; the CI workflow."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import stat
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.diff import (
    DiffError,
    FieldChange,
    RecordChange,
    check_version_bump,
    diff_packages,
    load_version,
    required_bump,
)

from .conftest import FIXTURE_SOURCES, INVALID, ROOT, build_package

SETUP = "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e '.[test]'"
WORKFLOW = ROOT / ".github" / "workflows" / "validate.yml"
# A problem names its file (and line); the verbatim-checks statement is a notice or warning without one.
ANNOTATION = re.compile(r"^::(error|warning|notice) (file=[^,]+(,line=\d+)?,)?title=[^:]+::.+$")


# --- helpers -----------------------------------------------------------------------------------


def _pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    return build_package(old), build_package(new)


def _rows(pkg: Path, table: str) -> list[dict[str, str]]:
    with (pkg / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _write_rows(pkg: Path, table: str, rows: list[dict[str, str]], header: list[str] | None = None) -> None:
    header = header or list(rows[0])
    with (pkg / "data" / f"{table}.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _edit_rows(pkg: Path, table: str, edit: Callable[[list[dict[str, str]]], None]) -> None:
    rows = _rows(pkg, table)
    edit(rows)
    _write_rows(pkg, table, rows)


def _edit_json(path: Path, edit: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def _zip(pkg: Path, dest: Path, top: str = "kuril-data-0.1.0", only: tuple[str, ...] = ()) -> Path:
    assert not dest.resolve().is_relative_to(pkg.resolve()), "a zip inside the folder it zips would grow forever"
    files = sorted(p for p in pkg.rglob("*") if p.is_file())
    with zipfile.ZipFile(dest, "w") as zf:
        for path in files:
            rel = path.relative_to(pkg).as_posix()
            if not only or rel in only:
                zf.write(path, f"{top}/{rel}")
    return dest


def _inline_json(pkg: Path) -> dict[str, Any]:
    """The package as one Data Package with inline schemas and data, as the release's kuril-data.json."""
    descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    for res in descriptor["resources"]:
        res["schema"] = json.loads((pkg / res["schema"]).read_text(encoding="utf-8"))
        res["data"] = _rows(pkg, res["name"])
        del res["path"]
    return descriptor


def _git(repo: Path, *args: str) -> str:
    out = subprocess.run(["git", "-c", "user.name=Test", "-c", "user.email=test@example.org",
                          "-c", "commit.gpgsign=false", "-C", str(repo), *args],
                         capture_output=True, text=True, check=True)
    return out.stdout


def _repo_with_two_commits(tmp_path: Path, sub: str = "") -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    pkg = repo / sub if sub else repo
    pkg.mkdir(exist_ok=True)
    build_package(pkg)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    _edit_rows(pkg, "events", lambda rows: rows[1].update(summary="Signed in Moscow."))
    _git(repo, "commit", "-q", "-am", "second")
    _git(repo, "tag", "v0.1.0", "HEAD~1")
    return repo


# --- folders -----------------------------------------------------------------------------------


def test_identical_versions_have_no_changes(tmp_path: Path) -> None:
    """Two copies of one package: no table listed, bump none."""
    old, new = _pair(tmp_path)
    d = diff_packages(old, new)
    assert (d.bump, d.changed, d.tables, d.metadata) == ("none", False, (), ())
    assert d.to_dict()["tables"] == []


def test_corrected_value_is_a_patch(tmp_path: Path) -> None:
    """A corrected cell is one changed record, matched by key, with old and new value: patch."""
    old, new = _pair(tmp_path)
    _edit_rows(new, "events", lambda rows: rows[1].update(summary="Signed in Moscow."))
    d = diff_packages(old, new)
    assert d.bump == "patch"
    [t] = d.tables
    assert (t.name, t.status, t.key, t.added, t.removed, t.schema) == ("events", "changed", ("event_id",), (), (), ())
    assert t.changed == (RecordChange({"event_id": "joint-declaration-signing-1956-10-19"}, (
        FieldChange("summary", "The Joint Declaration is signed in Moscow.", "Signed in Moscow."),)),)


def test_reordered_rows_are_no_change(tmp_path: Path) -> None:
    """Records are matched by primary key, so row order does not matter."""
    old, new = _pair(tmp_path)
    _edit_rows(new, "places", lambda rows: rows.reverse())
    assert diff_packages(old, new).bump == "none"


def test_added_record_is_minor(tmp_path: Path) -> None:
    """A new record is listed whole under added: minor."""
    old, new = _pair(tmp_path)
    row = {"place_id": "habomai", "name": "Habomai", "kind": "island-group", "part_of": "", "part_of_citation_id": "",
           "description": ""}
    _edit_rows(new, "places", lambda rows: rows.append(row))
    d = diff_packages(old, new)
    [t] = d.tables
    assert (d.bump, t.added, t.removed, t.changed) == ("minor", (row,), (), ())


def test_removed_record_is_major(tmp_path: Path) -> None:
    """A removed record (its ID is gone) is major, even next to an added one."""
    old, new = _pair(tmp_path)
    gone = _rows(old, "places")[0]
    _edit_rows(new, "places", lambda rows: rows.pop(0))
    d = diff_packages(old, new)
    [t] = d.tables
    assert (d.bump, t.removed, t.added) == ("major", (gone,), ())


def test_renamed_id_is_a_removal_and_an_addition(tmp_path: Path) -> None:
    """Changing a primary-key value removes one record and adds another: major."""
    old, new = _pair(tmp_path)
    _edit_rows(new, "disagreements", lambda rows: rows[0].update(disagreement_id="renamed"))
    [t] = diff_packages(old, new).tables
    assert [r["disagreement_id"] for r in t.added] == ["renamed"]
    assert len(t.removed) == 1 and t.bump == "major"


def test_composite_key_matches_link_rows(tmp_path: Path) -> None:
    """Link tables are matched on their whole composite key."""
    old, new = _pair(tmp_path)
    _edit_rows(new, "place_names", lambda rows: rows[0].update(locator="line 9"))
    [t] = diff_packages(old, new).tables
    [change] = t.changed
    first = _rows(old, "place_names")[0]
    assert t.key == ("place_id", "source_id", "name")
    assert change.key == {k: first[k] for k in t.key}
    assert change.fields == (FieldChange("locator", first["locator"], "line 9"),)


def test_added_field_is_minor_and_its_values_are_not_record_changes(tmp_path: Path) -> None:
    """A new field is one schema change (minor); the column's values are not reported per record."""
    old, new = _pair(tmp_path)
    _edit_json(new / "schemas" / "places.json",
               lambda s: s["fields"].append({"name": "wikidata", "type": "string", "description": "Q-id."}))
    rows = _rows(new, "places")
    for r in rows:
        r["wikidata"] = "Q1"
    _write_rows(new, "places", rows)
    d = diff_packages(old, new)
    [t] = d.tables
    assert [(c.change, c.field, c.bump) for c in t.schema] == [("field-added", "wikidata", "minor")]
    assert (t.changed, d.bump) == ((), "minor")


def test_removed_field_is_major(tmp_path: Path) -> None:
    """A field removed from a schema (and its column) is major."""
    old, new = _pair(tmp_path)
    _edit_json(new / "schemas" / "places.json",
               lambda s: s["fields"].remove(_field(s, "description")))
    rows = _rows(new, "places")
    _write_rows(new, "places", [{k: v for k, v in r.items() if k != "description"} for r in rows])
    [t] = diff_packages(old, new).tables
    assert [(c.change, c.field, c.bump) for c in t.schema] == [("field-removed", "description", "major")]
    assert t.changed == ()


def test_retyped_field_and_changed_constraints(tmp_path: Path) -> None:
    """A new type is major; changed constraints are minor; a new description is patch."""
    old, new = _pair(tmp_path)

    def edit(s: dict[str, Any]) -> None:
        _field(s, "note").update(type="integer", constraints={})
        _field(s, "title")["constraints"]["maxLength"] = 300
        _field(s, "summary")["description"] = "Reworded."

    _edit_json(new / "schemas" / "events.json", edit)
    d = diff_packages(old, new)
    [t] = d.tables
    assert [(c.change, c.field, c.bump) for c in t.schema] == [
        ("constraints-changed", "title", "minor"), ("description-changed", "summary", "patch"),
        ("field-retyped", "note", "major"), ("constraints-changed", "note", "minor")]
    assert (t.schema[2].old, t.schema[2].new) == ("string", "integer")
    assert d.bump == "major"


def test_only_a_description_changed_is_patch(tmp_path: Path) -> None:
    """A reworded field description alone is a patch."""
    old, new = _pair(tmp_path)
    _edit_json(new / "schemas" / "places.json", lambda s: _field(s, "name").update(description="Reworded."))
    assert diff_packages(old, new).bump == "patch"


def test_changed_primary_key_is_major(tmp_path: Path) -> None:
    """A different primary key is major."""
    old, new = _pair(tmp_path)
    _edit_json(new / "schemas" / "places.json", lambda s: s.update(primaryKey=["place_id", "name"]))
    [t] = diff_packages(old, new).tables
    assert [(c.change, c.old, c.new, c.bump) for c in t.schema] == [
        ("primary-key-changed", ["place_id"], ["place_id", "name"], "major")]


def test_removed_foreign_key_is_major(tmp_path: Path) -> None:
    """Dropping a foreign key is major."""
    old, new = _pair(tmp_path)
    _edit_json(new / "schemas" / "places.json", lambda s: s.update(foreignKeys=[]))
    [t] = diff_packages(old, new).tables
    assert [(c.change, c.field, c.bump) for c in t.schema] == [
        ("foreign-key-removed", "part_of", "major"), ("foreign-key-removed", "part_of_citation_id", "major")]


def test_table_added_is_minor_and_removed_is_major(tmp_path: Path) -> None:
    """A table only in NEW is added (minor, rows listed); only in OLD is removed (major)."""
    old, new = _pair(tmp_path)

    def drop(d: dict[str, Any]) -> None:
        d["resources"] = [r for r in d["resources"] if r["name"] != "disagreement_accounts"]

    _edit_json(old / "datapackage.json", drop)
    up = diff_packages(old, new)
    [t] = up.tables
    assert (t.name, t.status, up.bump) == ("disagreement_accounts", "added", "minor")
    assert list(t.added) == _rows(new, "disagreement_accounts")
    down = diff_packages(new, old)
    [t] = down.tables
    assert (t.status, down.bump, list(t.removed)) == ("removed", "major", _rows(new, "disagreement_accounts"))


def test_package_metadata_change_is_patch_and_version_is_ignored(tmp_path: Path) -> None:
    """A new title is a patch; the version number itself is not a change."""
    old, new = _pair(tmp_path)
    _edit_json(new / "datapackage.json", lambda d: d.update(title="New title", version="0.2.0"))
    d = diff_packages(old, new)
    assert [(c.change, c.field, c.new) for c in d.metadata] == [("metadata-changed", "title", "New title")]
    assert (d.bump, d.old_version, d.new_version) == ("patch", "0.1.0", "0.2.0")


def test_diff_works_on_a_package_with_data_problems(tmp_path: Path) -> None:
    """Invalid data is compared as strings: the bad EDTF date shows as a changed value."""
    old = tmp_path / "old"
    bad = tmp_path / "bad"
    old.mkdir()
    bad.mkdir()
    build_package(old)
    build_package(bad, INVALID / "edtf")
    [t] = diff_packages(old, bad).tables
    [change] = t.changed
    assert change.fields[0].field == "date" and change.fields[0].new == "1956-02-30"


def test_unreadable_input_raises(tmp_path: Path) -> None:
    """A folder without a package, or a CSV that cannot be decoded, is a DiffError."""
    with pytest.raises(DiffError, match=r"no datapackage\.json"):
        load_version(tmp_path)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg, INVALID / "encoding-error")
    with pytest.raises(DiffError, match="cannot read the cells of data/"):
        load_version(pkg)


# --- zips --------------------------------------------------------------------------------------


def test_release_zip_with_csvs(tmp_path: Path) -> None:
    """A release zip (kuril-data-<version>/ with data/*.csv) diffs like its folder."""
    old, new = _pair(tmp_path)
    _edit_rows(new, "events", lambda rows: rows[1].update(summary="Signed in Moscow."))
    z = _zip(old, tmp_path / "kuril-data-0.1.0.zip")
    assert diff_packages(z, old).bump == "none"
    d = diff_packages(z, new)
    assert d.bump == "patch" and d.old_label == str(z)
    assert [c.fields for t in d.tables for c in t.changed] == [
        (FieldChange("summary", "The Joint Declaration is signed in Moscow.", "Signed in Moscow."),)]


def test_release_zip_with_only_inline_json(tmp_path: Path) -> None:
    """A zip holding only kuril-data.json (inline tables) is read from that JSON."""
    old, new = _pair(tmp_path)
    (old / "kuril-data.json").write_text(json.dumps(_inline_json(old), ensure_ascii=False), encoding="utf-8")
    z = _zip(old, tmp_path / "kuril-data-0.1.0.zip", only=("datapackage.json", "kuril-data.json"))
    assert diff_packages(z, new).bump == "none"
    row = {"place_id": "habomai", "name": "Habomai", "kind": "island-group", "part_of": "", "part_of_citation_id": "",
           "description": ""}
    _edit_rows(new, "places", lambda rows: rows.append(row))
    [t] = diff_packages(z, new).tables
    assert t.added == (row,)


def test_inline_json_file_with_typed_values(tmp_path: Path) -> None:
    """Inline data in list-of-lists form with JSON null reads as the same strings as the CSV."""
    pkg = build_package(tmp_path)
    inline = _inline_json(pkg)
    for res in inline["resources"]:
        names = [f["name"] for f in res["schema"]["fields"]]
        res["data"] = [names] + [[r[n] or None for n in names] for r in res["data"]]
    path = tmp_path / "kuril-data.json"
    path.write_text(json.dumps(inline, ensure_ascii=False), encoding="utf-8")
    assert diff_packages(path, pkg).bump == "none"


@pytest.mark.parametrize(("member", "why"), [
    ("/etc/evil.csv", "absolute path"),
    ("kuril-data-0.1.0/../../evil.csv", "leaves the archive folder"),
    ("kuril-data-0.1.0/data/link.csv", "symbolic link"),
])
def test_unsafe_zip_members_are_refused(tmp_path: Path, member: str, why: str) -> None:
    """A zip with an absolute, '..' or symlink member is refused whole: exit 2 with the reason."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    z = _zip(pkg, tmp_path / "kuril-data-0.1.0.zip")
    with zipfile.ZipFile(z, "a") as zf:
        info = zipfile.ZipInfo(member)
        if why == "symbolic link":
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(DiffError, match=why):
        load_version(z)
    result = CliRunner().invoke(cli, ["diff", str(z), str(pkg)])
    assert result.exit_code == 2
    assert result.output == f"Error: {z}: refusing the archive: member {member!r} {_reason(why)}\n"


def _reason(why: str) -> str:
    return {"absolute path": "has an absolute path", "leaves the archive folder": "leaves the archive folder ('..')",
            "symbolic link": "is a symbolic link"}[why]


def test_zip_without_a_package_is_refused(tmp_path: Path) -> None:
    """A zip with no datapackage.json or kuril-data.json near the top is a DiffError."""
    z = tmp_path / "x.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("readme.txt", "hi")
    with pytest.raises(DiffError, match=r"no datapackage\.json or kuril-data\.json"):
        load_version(z)


# --- git revisions -----------------------------------------------------------------------------


def test_git_revisions(tmp_path: Path) -> None:
    """HEAD~1, a tag and HEAD are read from the repository with git archive."""
    repo = _repo_with_two_commits(tmp_path)
    d = diff_packages("HEAD~1", "HEAD", repo=repo)
    assert (d.old_label, d.new_label, d.bump) == ("HEAD~1", "HEAD", "patch")
    [t] = d.tables
    assert [c.key for c in t.changed] == [{"event_id": "joint-declaration-signing-1956-10-19"}]
    assert required_bump("v0.1.0", repo, repo=repo) == "patch"  # a tag against the work tree folder
    assert diff_packages("v0.1.0", "HEAD~1", repo=repo).bump == "none"


def test_git_revision_of_a_package_in_a_subfolder(tmp_path: Path) -> None:
    """Run from a sub-folder, a revision is read from the same sub-folder."""
    repo = _repo_with_two_commits(tmp_path, sub="pkg")
    assert required_bump("HEAD~1", "HEAD", repo=repo / "pkg") == "patch"


def test_git_cli_from_the_work_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI resolves revisions in the repository of the current folder; unknown ones exit 2."""
    repo = _repo_with_two_commits(tmp_path)
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(cli, ["diff", "HEAD~1", "HEAD", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["bump"] == "patch"
    result = CliRunner().invoke(cli, ["diff", "no-such-rev", "HEAD"])
    assert result.exit_code == 2
    assert result.output == ("Error: no-such-rev: no such package folder, release zip or file, "
                             f"and not a git revision of the repository at {repo}\n")


def test_not_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside any repository a missing path says so."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DiffError, match="not inside a git repository"):
        load_version("HEAD")


# --- CLI ---------------------------------------------------------------------------------------


def _changed_pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = _pair(tmp_path)
    _edit_rows(new, "events", lambda rows: rows[1].update(summary="Signed | in <Moscow>."))
    _edit_rows(new, "places", lambda rows: rows.pop(0))
    return old, new


def test_cli_text(tmp_path: Path) -> None:
    """Text output: header, bump, per table the counts and each change with old → new."""
    old, new = _changed_pair(tmp_path)
    result = CliRunner().invoke(cli, ["diff", str(old), str(new)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:2] == [f"diff {old} (0.1.0) → {new} (0.1.0)", "version bump: major"]
    assert "places: 0 added, 1 removed, 0 changed  [major]" in lines
    assert "  - kuril-islands" in lines
    assert "events: 0 added, 0 removed, 1 changed  [patch]" in lines
    assert '      summary: "The Joint Declaration is signed in Moscow." → "Signed | in <Moscow>."' in lines


def test_cli_json_equals_library(tmp_path: Path) -> None:
    """--format json prints exactly PackageDiff.to_dict()."""
    old, new = _changed_pair(tmp_path)
    result = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", "json"])
    assert result.exit_code == 0
    out = json.loads(result.output)
    assert out == diff_packages(old, new).to_dict()
    assert out["bump"] == "major"
    assert [t["name"] for t in out["tables"]] == ["places", "events"]


def test_cli_markdown(tmp_path: Path) -> None:
    """--format markdown: a summary table and escaped cells, for a GitHub step summary."""
    old, new = _changed_pair(tmp_path)
    result = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", "markdown"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("## kuril-data diff: ")
    assert "Version bump: **major**" in lines
    assert "| places | changed | 0 | 1 | 0 | 0 | major |" in lines
    assert ("| joint-declaration-signing-1956-10-19 | summary | The Joint Declaration is signed in Moscow. | "
            "Signed \\| in &lt;Moscow&gt;. |") in lines


def test_cli_no_changes(tmp_path: Path) -> None:
    """Without changes each format says bump none."""
    old, new = _pair(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["diff", str(old), str(new)]).output.splitlines()[-1] == "no changes; version bump: none"
    assert "No changes. Version bump: **none**." in runner.invoke(
        cli, ["diff", str(old), str(new), "--format", "markdown"]).output
    assert json.loads(runner.invoke(cli, ["diff", str(old), str(new), "--format", "json"]).output)["bump"] == "none"


def test_cli_exit_code_flag(tmp_path: Path) -> None:
    """--exit-code: 1 with changes, 0 without; plain diff exits 0 either way."""
    old, new = _changed_pair(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["diff", str(old), str(new)]).exit_code == 0
    assert runner.invoke(cli, ["diff", str(old), str(new), "--exit-code"]).exit_code == 1
    assert runner.invoke(cli, ["diff", str(old), str(old), "--exit-code"]).exit_code == 0


def test_cli_unreadable_input_exits_2(tmp_path: Path) -> None:
    """A version that cannot be read is one line on stderr and exit 2, no traceback."""
    pkg = build_package(tmp_path)
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["diff", str(tmp_path / "empty"), str(pkg)])
    assert result.exit_code == 2
    assert result.output == f"Error: no datapackage.json at {tmp_path / 'empty'}\n"


# --- version bump check ------------------------------------------------------------------------


@pytest.mark.parametrize(("previous", "new", "bump", "ok"), [
    ("0.1.0", "0.1.1", "minor", False),
    ("0.1.0", "0.2.0", "minor", True),
    ("0.1.0", "1.0.0", "minor", True),
    ("0.1.0", "0.1.1", "patch", True),
    ("0.1.0", "0.1.0", "patch", False),
    ("0.1.0", "0.9.0", "major", False),
    ("v0.9.3", "1.0.0", "major", True),
    ("1.2.3", "1.2.3", "none", True),
    ("1.2.3", "1.2.2", "none", False),
    ("1.2.3", "1.10.0", "minor", True),
])
def test_check_version_bump(previous: str, new: str, bump: str, ok: bool) -> None:
    """A new version lower than the previous one bumped as required is an error message."""
    message = check_version_bump(previous, new, bump)
    assert (message is None) == ok, message


def test_check_version_bump_message() -> None:
    """The message names the versions, the bump and the lowest acceptable version."""
    assert check_version_bump("0.1.0", "0.1.1", "minor") == (
        "version 0.1.1 is too low: the changes since 0.1.0 call for a minor bump, so at least 0.2.0")
    assert check_version_bump("0.1", "0.2.0", "minor") == (
        "the previous version '0.1' is not a MAJOR.MINOR.PATCH version")


# --- CI workflow and annotations ---------------------------------------------------------------


@pytest.mark.parametrize("case", sorted(p.name for p in INVALID.iterdir() if p.is_dir()))
def test_github_annotations_parse(tmp_path: Path, case: str) -> None:
    """Every line of `validate --format github` on a broken fixture is a workflow annotation."""
    pkg = build_package(tmp_path, INVALID / case)
    sources = ["--sources", str(FIXTURE_SOURCES)] if json.loads((INVALID / case / "expect.json").read_text()).get(
        "sources") else []
    result = CliRunner().invoke(cli, ["validate", str(pkg), "--format", "github", *sources])
    assert result.exit_code in (0, 1)
    lines = result.output.splitlines()
    assert lines, "no annotation printed"
    bad = [line for line in lines if not ANNOTATION.match(line)]
    assert not bad


def test_workflow_runs_only_real_commands() -> None:
    """The workflow uses the README's set-up command and only kuril-data subcommands that exist."""
    text = WORKFLOW.read_text(encoding="utf-8")
    assert SETUP in text
    assert SETUP in (ROOT / "README.md").read_text(encoding="utf-8")
    used = set(re.findall(r"\.venv/bin/kuril-data ([a-z-]+)", text))
    assert {"fmt", "validate", "diff"} <= used
    assert used <= set(cli.commands), used - set(cli.commands)
    assert ".venv/bin/python -m pytest" in text
    assert "fetch-depth: 0" in text
    assert 'diff "git:origin/$BASE_REF" git:HEAD' in text  # revisions named explicitly: no folder can stand in


def test_workflow_diff_step_works_on_this_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    """The workflow's diff (a revision against the work tree) computes on this repository's own history."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(cli, ["diff", "git:HEAD", str(ROOT), "--format", "markdown"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("## kuril-data diff: ")


def test_zip_is_detected_by_content(tmp_path: Path) -> None:
    """A release zip saved under another name is recognised by its content, not its suffix."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(pkg.rglob("*")):
            if path.is_file():
                zf.write(path, f"kuril-data-0.1.0/{path.relative_to(pkg).as_posix()}")
    odd = tmp_path / "release.bin"
    odd.write_bytes(buf.getvalue())
    assert diff_packages(odd, pkg).bump == "none"
