"""The output layer: one safe-name function, one confinement check, and a write transaction that
manages only what it created (issue #19, the examples about paths and the transaction)."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from kuril_data.dataset import Dataset
from kuril_data.errors import Refused
from kuril_data.io.atomic import remove_stale, temp_prefix
from kuril_data.io.transaction import JOURNAL, staging
from kuril_data.model.layout import SITE_FILES
from kuril_data.outputs.names import UnsafeOutput, confined, safe_name, unique_names
from kuril_data.outputs.site import build_site
from kuril_data.outputs.site.build import SiteError, write_site
from kuril_data.report import Report
from kuril_data.validate import check

ODD_IDS = ["../../x", "a/b", "../things/plain", ".", "..", "CON", "a\\b", "~7E", "x~", "", ".hidden", "ไทย"]


@pytest.mark.parametrize("record_id", ODD_IDS)
def test_safe_name_is_one_plain_segment(record_id: str) -> None:
    name = safe_name(record_id)
    assert name not in ("", ".", "..") and not name.startswith(".")
    assert "/" not in name and "\\" not in name
    assert name.split(".")[0].upper() != "CON"


def test_safe_name_is_injective_and_keeps_slugs() -> None:
    assert len({safe_name(i) for i in ODD_IDS}) == len(ODD_IDS)
    assert safe_name("joint-declaration-1956") == "joint-declaration-1956"


def test_unique_names_refuses_case_collisions_and_reserved_names() -> None:
    with pytest.raises(UnsafeOutput, match="without regard to case"):
        unique_names(["Kunashir", "kunashir"], "place")
    with pytest.raises(UnsafeOutput, match="own 'index'"):
        unique_names(["index"], "event record", reserved=("index",))


def test_confined_refuses_leaving_the_root_and_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (root / "link").symlink_to(tmp_path / "elsewhere")
    for rel in ("../x", "/etc/passwd", "a/../../x"):
        with pytest.raises(UnsafeOutput):
            confined(root, rel)
    with pytest.raises(UnsafeOutput, match="symbolic link"):
        confined(root, "link/page.html")
    assert confined(root, "events/x.html") == root / "events" / "x.html"


def odd_package(root: Path, ids: list[str], table: str = "things") -> Path:
    """A valid package whose schema has no id pattern, so any id passes validation."""
    (root / "data").mkdir(parents=True)
    (root / "schemas").mkdir()
    schema = {"fields": [{"name": "thing_id", "type": "string", "description": "Key.",
                          "constraints": {"required": True}},
                         {"name": "title", "type": "string", "description": "A title."}],
              "primaryKey": ["thing_id"]}
    (root / "schemas" / f"{table}.json").write_text(json.dumps(schema), encoding="utf-8")
    rows = "".join(f'"{i}",Title {n}\n' for n, i in enumerate(ids))
    (root / "data" / f"{table}.csv").write_text("thing_id,title\n" + rows, encoding="utf-8")
    (root / "datapackage.json").write_text(json.dumps({"name": "odd", "version": "1.0.0", "resources": [
        {"name": table, "path": f"data/{table}.csv", "schema": f"schemas/{table}.json"}]}), encoding="utf-8")
    return root


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


def unchecked(pkg: Path) -> Dataset:
    """The package typed with validation's verdict set aside: what a writer would get if a check
    were missing, to show the output layer holds on its own."""
    checked = check(pkg)
    assert checked.package is not None
    return Dataset(replace(checked, report=Report.of([])))


def test_site_writes_odd_ids_inside_its_output_without_overwriting(tmp_path: Path) -> None:
    """Ids like ../../x, a/b or ../things/<id> are refused by validate (unsafe-id); were one to get
    through, each still becomes a page inside the site's folder, one per record."""
    ids = ["plain", "../../x", "a/b", "../things/plain"]
    pkg = odd_package(tmp_path / "pkg", ids)
    report = check(pkg).report
    assert {p.code for p in report.problems} == {"unsafe-id"}
    with pytest.raises(Refused):
        build_site(pkg, tmp_path / "refused")
    assert not (tmp_path / "refused").exists()
    before = files_under(tmp_path)
    result = write_site(unchecked(pkg), tmp_path / "site", stamp=0)
    outside = files_under(tmp_path) - before - {f"site/{rel}" for rel in files_under(tmp_path / "site")} - {"site"}
    assert outside == set()
    pages = {p.name for p in (tmp_path / "site" / "things").iterdir()} - {"index.html"}
    assert len(pages) == len(ids) == result.pages


def test_site_refuses_an_id_that_would_replace_the_kind_index(tmp_path: Path) -> None:
    pkg = odd_package(tmp_path / "pkg", ["index"])
    assert [p.code for p in check(pkg).report.problems] == ["unsafe-id"]
    with pytest.raises(UnsafeOutput, match="index"):
        write_site(unchecked(pkg), tmp_path / "site", stamp=0)


@pytest.mark.parametrize("table", ["assets", "search.html", "index.html"])
def test_site_refuses_a_table_named_like_its_own_files(tmp_path: Path, table: str) -> None:
    """validate refuses the table (reserved-path); the site's folder names, checked against its own
    files by the output layer, would refuse it too."""
    pkg = odd_package(tmp_path / "pkg", ["one"], table=table)
    assert "reserved-path" in {p.code for p in check(pkg).report.problems}
    with pytest.raises(UnsafeOutput, match="own"):
        unique_names(["events", table], "table", reserved=SITE_FILES)


def test_site_never_replaces_a_folder_holding_a_users_files(tmp_path: Path) -> None:
    """A folder with a search-index.js is not proof of a site: the user's other files survive."""
    pkg = odd_package(tmp_path / "pkg", ["one"])
    out = tmp_path / "site"
    out.mkdir()
    (out / "search-index.js").write_text("mine", encoding="utf-8")
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(SiteError, match="not a site built by kuril-data"):
        build_site(pkg, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    # A site it built is rebuilt; a file added by hand afterwards stops the rebuild.
    out2 = tmp_path / "site2"
    build_site(pkg, out2)
    build_site(pkg, out2)
    (out2 / "things" / "mine.html").write_text("mine", encoding="utf-8")
    with pytest.raises(SiteError, match=r"things/mine\.html"):
        build_site(pkg, out2)
    assert (out2 / "things" / "mine.html").is_file()


def test_a_foreign_journal_never_moves_files_outside_its_folder(tmp_path: Path) -> None:
    """A journal added by a pull request beside _site is ignored, not followed."""
    parent = tmp_path / "repo"
    parent.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("precious", encoding="utf-8")
    staged = parent / f"{temp_prefix('x')}abcdefgh.partial"
    staged.mkdir()
    (staged / "victim.txt").write_text("evil", encoding="utf-8")
    for plan in ({"staging": staged.name, "dest": "..", "names": ["victim.txt"]},
                 {"staging": "../evil", "dest": ".", "names": ["victim.txt"]},
                 {"staging": staged.name, "dest": ".", "names": ["../victim.txt"]}):
        (parent / JOURNAL).write_text(json.dumps(plan), encoding="utf-8")
        with pytest.warns(UserWarning, match="ignored"), staging(parent, "out"):
            pass
        assert victim.read_text(encoding="utf-8") == "precious"
        assert not (parent / JOURNAL).exists()


def test_stale_temp_cleanup_keeps_a_users_tmp_file(tmp_path: Path) -> None:
    users = tmp_path / ".report.2024.final.tmp"
    users.write_text("mine", encoding="utf-8")
    dead = 2**22 + 12345  # above pid_max on common systems: no such process
    ours = tmp_path / f".x.kuril-data-tmp.{dead}.abcd1234.tmp"
    ours.write_text("left behind", encoding="utf-8")
    assert remove_stale(tmp_path) == [ours]
    assert users.is_file()
    assert os.getpid() > 0
