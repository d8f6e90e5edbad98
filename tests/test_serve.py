"""Datasette on the SQLite export: search detected on every FTS table, facets, labels, sorting,
canned queries (all from the schemas), tested with Datasette's own test client; and `kuril-data serve`."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.model.layout import METADATA_TABLE
from kuril_data.model.package import read_package
from kuril_data.outputs.export import export
from kuril_data.outputs.sqlite import FTS_SUFFIX, fts_fields
from kuril_data.serve import ServeError, prepared

from .conftest import INVALID, ROOT, build_package

datasette_app = pytest.importorskip("datasette.app", reason="Datasette is the serve extra (part of the test extra)")


@pytest.fixture(scope="module")
def real_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own package exported to SQLite once, with its Datasette metadata."""
    out = tmp_path_factory.mktemp("serve")
    export(ROOT, out, ["sqlite"])
    return out


def fetch(out: Path, *paths: str) -> list[Any]:
    """GET each path from a Datasette on the export (with its metadata); the JSON answers."""

    async def run() -> list[Any]:
        meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
        ds = datasette_app.Datasette([str(out / "kuril-data.sqlite")], metadata=meta)
        await ds.invoke_startup()
        answers = []
        for path in paths:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.text[:500])
            answers.append(response.json() if ".json" in path else response.text)
        return answers

    return asyncio.run(run())


def like_ids(out: Path, table: str, key: str, columns: list[str], term: str) -> set[str]:
    """The records whose searchable text contains `term`, by plain SQL LIKE (the reference answer)."""
    db = sqlite3.connect(out / "kuril-data.sqlite")
    where = " OR ".join(f'"{c}" LIKE ?' for c in columns)
    return {r[0] for r in db.execute(f'SELECT "{key}" FROM "{table}" WHERE {where}', [f"%{term}%"] * len(columns))}


@pytest.mark.parametrize("term", ["Habomai", "ฮาโบไม", "traktatu pokojowego"])
def test_search_returns_exactly_the_matching_quotations(real_export: Path, term: str) -> None:
    """`?_search=` finds exactly the quotations whose text contains the term (English, Thai, Polish)."""
    [answer] = fetch(real_export, f"/kuril-data/quotations.json?_search={term}&_shape=objects&_size=max")
    found = {r["quotation_id"] for r in answer["rows"]}
    expected = like_ids(real_export, "quotations", "quotation_id", ["text"], term)
    assert expected, f"the data has no quotation with {term!r}"
    assert found == expected
    assert answer["filtered_table_rows_count"] == len(expected)


def test_every_fts_table_is_detected(real_export: Path) -> None:
    """Every table with searchable fields offers search (Datasette finds its FTS table)."""
    package, _ = read_package(ROOT)
    assert package is not None
    searchable = [r for r in package.resources if fts_fields(r)]
    assert {r.name for r in searchable} >= {"quotations", "events", "documents", "citations"}
    answers = fetch(real_export, *(f"/kuril-data/{r.name}.json?_search=Habomai&_size=0&_extra=count"
                                   for r in searchable))
    db = sqlite3.connect(real_export / "kuril-data.sqlite")
    for resource, answer in zip(searchable, answers, strict=True):
        where = " OR ".join(f'"{c}" LIKE ?' for c in fts_fields(resource))  # rows, whatever the key
        [(expected,)] = db.execute(f'SELECT count(*) FROM "{resource.name}" WHERE {where}',
                                   ["%Habomai%"] * len(fts_fields(resource))).fetchall()
        assert answer["filtered_table_rows_count"] == expected, resource.name
    for resource in searchable:
        sql = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", (resource.name + FTS_SUFFIX,)).fetchone()[0]
        assert f'content="{resource.name}"' in sql


def test_facets_labels_and_sorting(real_export: Path) -> None:
    """Enum columns are facets, foreign keys show the linked record's title, events sort by date."""
    events, html = fetch(real_export, "/kuril-data/events.json?_labels=on&_shape=objects&_size=max",
                         "/kuril-data/events")
    assert "kind" in events["facet_results"]
    counts = {f["value"]: f["count"] for f in events["facet_results"]["kind"]["results"]}
    db = sqlite3.connect(real_export / "kuril-data.sqlite")
    assert counts == dict(db.execute("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    titles = dict(db.execute("SELECT document_id, title FROM documents"))
    linked = [r for r in events["rows"] if r["document_id"]]
    assert linked
    for row in linked:
        value = row["document_id"]["value"]
        assert row["document_id"] == {"value": value, "label": titles[value]}
    keys = [r["date_sort"] for r in events["rows"]]
    assert keys == sorted(keys, key=lambda d: (d is not None, d or ""))  # SQLite puts NULL first
    assert "Joint Declaration" in html and 'name="_search"' in html


def test_metadata_table_hidden_and_canned_queries(real_export: Path) -> None:
    """_metadata is hidden from the table list; the canned queries answer the three common questions."""
    db = sqlite3.connect(real_export / "kuril-data.sqlite")
    database, disagreements, speaker, year = fetch(
        real_export, "/kuril-data.json",
        "/kuril-data/disagreements_with_evidence.json?_shape=objects&_size=max",
        "/kuril-data/quotations_of_speaker.json?speaker=gromyko&_shape=objects&_size=max",
        "/kuril-data/in_year.json?year=1956&_shape=objects&_size=max")
    visible = {t["name"] for t in database["tables"] if not t["hidden"]}
    assert METADATA_TABLE not in visible and "events" in visible
    accounts = db.execute("SELECT count(*) FROM disagreement_accounts").fetchone()[0]
    assert len(disagreements["rows"]) == accounts
    assert all(r["evidence"] and r["source_title"] and r["locator"] for r in disagreements["rows"])
    languages = {r["language"] for r in speaker["rows"]}
    assert {r["speaker_id"] for r in speaker["rows"]} and languages >= {"en", "pl", "th"}
    kinds = {r["record_table"] for r in year["rows"]}
    assert {"events", "documents"} <= kinds
    n_events = db.execute("SELECT count(*) FROM events WHERE coalesce(date_earliest, date_latest) IS NOT NULL "
                          "AND coalesce(date_earliest, '0000') <= '1956-12-31' "
                          "AND coalesce(date_latest, '9999') >= '1956-01-01'").fetchone()[0]
    assert sum(r["record_table"] == "events" for r in year["rows"]) == n_events


def test_evidence_for_one_record(real_export: Path) -> None:
    """The canned query gives every citation of a record, whatever its kind, with its source's title."""
    db = sqlite3.connect(real_export / "kuril-data.sqlite")
    for record in ("joint-declaration-signing-1956-10-19", "joint-declaration-1956", "hatoyama", "habomai"):
        [answer] = fetch(real_export, f"/kuril-data/evidence_for_record.json?record={record}&_shape=objects&_size=max")
        expected = db.execute("SELECT citation_id, evidence FROM citations WHERE ? IN "
                              "(event_id, document_id, actor_id, place_id) ORDER BY citation_id", (record,)).fetchall()
        assert expected, record
        assert [(r["citation_id"], r["evidence"]) for r in answer["rows"]] == expected
        assert all(r["source_title"] and r["locator"] for r in answer["rows"])


def test_prepared_finds_the_database(real_export: Path, valid_package: Path) -> None:
    """serve accepts the SQLite file, its folder, or a package folder (exported to a temporary folder)."""
    with prepared(real_export / "kuril-data.sqlite") as served:
        assert served.metadata is not None and served.metadata != real_export / "metadata.json"
        assert served.metadata.read_bytes() == (real_export / "metadata.json").read_bytes()  # generated alike
    with prepared(real_export) as served:
        assert served.database == real_export / "kuril-data.sqlite"
    with prepared(valid_package) as served:
        temp = served.database
        assert temp.is_file() and served.metadata is not None and served.metadata.is_file()
    assert not temp.exists()
    with pytest.raises(ServeError, match="neither a SQLite file"), prepared(valid_package / "data"):
        pass


def test_cli_serve_without_datasette_exit_2(valid_package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without Datasette, serve says how to install it and exits 2."""
    monkeypatch.setitem(sys.modules, "datasette", None)
    result = CliRunner().invoke(cli, ["serve", str(valid_package)])
    assert result.exit_code == 2
    assert ("serving needs datasette, which is not installed; install it with: pip install 'kuril-data[serve]'"
            in result.output)


def test_cli_serve_invalid_package_exit_1(tmp_path: Path) -> None:
    """A package that does not validate: its report and exit 1, no server."""
    build_package(tmp_path, INVALID / "edtf")
    result = CliRunner().invoke(cli, ["serve", str(tmp_path)])
    assert result.exit_code == 1
    assert "[edtf]" in result.output


def test_cli_serve_runs_datasette(real_export: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """serve hands Datasette the database, its metadata, host and port."""
    from datasette import cli as datasette_cli

    seen: list[list[str]] = []
    monkeypatch.setattr(datasette_cli.cli, "main", lambda args, **_: seen.append(list(args)))
    result = CliRunner().invoke(cli, ["serve", "--port", "8123", str(real_export)])
    assert result.exit_code == 0, result.output
    assert seen[0][:6] == ["serve", str(real_export / "kuril-data.sqlite"), "--host", "127.0.0.1", "--port", "8123"]
    assert seen[0][6] == "--metadata" and seen[0][7] != str(real_export / "metadata.json")


def test_serve_never_uses_a_folders_metadata(tmp_path: Path) -> None:
    """A release folder whose metadata.json adds scripts and HTML (whoever made the folder): serve
    generates its own metadata from the folder's package, so none of it reaches the reader's browser."""
    folder = tmp_path / "rel"
    export(ROOT, folder, ["sqlite"])
    for rel in ("datapackage.json", "schemas"):
        src = ROOT / rel
        if src.is_dir():
            import shutil

            shutil.copytree(src, folder / rel)
        else:
            (folder / rel).write_bytes(src.read_bytes())
    (folder / "metadata.json").write_text(json.dumps({
        "extra_js_urls": ["https://evil.example/x.js"], "extra_css_urls": ["https://evil.example/x.css"],
        "description_html": "<img src=x onerror=alert(1)>", "license_url": "javascript:alert(1)"}), encoding="utf-8")
    with prepared(folder) as served:
        assert served.metadata is not None
        text = served.metadata.read_text(encoding="utf-8")
    for bad in ("evil.example", "onerror", "javascript:", "extra_js_urls", "description_html"):
        assert bad not in text


def test_datasette_links_are_only_http(tmp_path: Path) -> None:
    """The descriptor's homepage and licence path never become javascript: links on Datasette pages."""
    from kuril_data.outputs.datasette import datasette_metadata

    package, _ = read_package(ROOT)
    assert package is not None
    package.descriptor["homepage"] = "javascript:alert(1)"
    package.descriptor["licenses"] = [{"name": "x", "path": "javascript:alert(document.domain)"}]
    meta = datasette_metadata(package, "0")
    assert not meta["license_url"].startswith("javascript") and meta["source_url"].startswith("http")


def test_serve_cleans_up_on_sigterm(valid_package: Path, tmp_path: Path) -> None:
    """`serve` on a package folder stopped by SIGTERM (or SIGINT) removes its temporary export."""
    import os
    import signal
    import subprocess
    import time

    for sig in (signal.SIGTERM, signal.SIGINT):
        env = {**os.environ, "TMPDIR": str(tmp_path)}
        before = set(tmp_path.iterdir())
        proc = subprocess.Popen([sys.executable, "-m", "kuril_data", "serve", "--port", "0", str(valid_package)],
                                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while not any(p.name.startswith("kuril-data-serve.") for p in tmp_path.iterdir()):
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
            time.sleep(1.0)
            proc.send_signal(sig)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert set(tmp_path.iterdir()) == before, sig


def fetch_with_labels(out: Path, *paths: str) -> list[Any]:
    """As `fetch`, with serve's labels plugin registered (as `kuril-data serve` does)."""
    from datasette.plugins import pm

    from kuril_data.serve import LABELS_PLUGIN, labels_plugin

    pm.register(labels_plugin(), name=LABELS_PLUGIN)
    try:
        return fetch(out, *paths)
    finally:
        pm.unregister(name=LABELS_PLUGIN)


def test_in_year_keeps_open_and_uncertain_dates(real_export: Path) -> None:
    """in_year: every record whose interval meets the year, an open end unbounded on its side (1951
    includes `../1951-09`-like dates); a record with no bound in no year; ordered by the first bound."""
    db = sqlite3.connect(real_export / "kuril-data.sqlite")
    for year in (1905, 1951, 1956):
        [answer] = fetch(real_export, f"/kuril-data/in_year.json?year={year}&_shape=objects&_size=max")
        expected = {r[0] for r in db.execute(
            "SELECT event_id FROM events WHERE (date_earliest IS NOT NULL OR date_latest IS NOT NULL) "
            "AND coalesce(date_earliest, '0000') <= ? AND coalesce(date_latest, '9999') >= ?",
            (f"{year}-12-31", f"{year}-01-01"))}
        got = {r["record_id"] for r in answer["rows"] if r["record_table"] == "events"}
        assert got == expected, year
        keys = [r["date_earliest"] or r["date_latest"] for r in answer["rows"]]
        assert keys == sorted(keys)
    [answer] = fetch(real_export, "/kuril-data/in_year.json?year=1951&_shape=objects&_size=max")
    assert any(r["date_earliest"] is None for r in answer["rows"]), "an open start overlapping 1951 is kept"


def test_every_documented_example_returns_rows(real_export: Path) -> None:
    """Each example id a canned query's description (or docs/analysts.md) names returns rows."""
    import re

    meta = json.loads((real_export / "metadata.json").read_text(encoding="utf-8"))
    queries = meta["databases"]["kuril-data"]["queries"]
    examples = {"quotations_of_speaker": "speaker", "in_year": "year", "evidence_for_record": "record"}
    for name, param in examples.items():
        found = re.search(r"\((?:such as|e\.g\.) ([^)\s]+)\)", queries[name]["description"])
        assert found, name
        [answer] = fetch(real_export, f"/kuril-data/{name}.json?{param}={found.group(1)}&_shape=objects")
        assert answer["rows"], (name, found.group(1))
    docs = (ROOT / "docs" / "analysts.md").read_text(encoding="utf-8")
    paths = re.findall(r"(/kuril-data/[a-z_]+(?:\.json)?\?[^\s`)]+)", docs)
    assert paths, "docs/analysts.md shows Datasette examples"
    for path in paths:
        json_path = path.replace("?", ".json?", 1) if ".json" not in path else path
        [answer] = fetch(real_export, json_path + "&_shape=objects")
        assert answer["rows"], path


def test_date_sort_puts_open_starts_by_their_end(real_export: Path) -> None:
    """Dated tables sort on the derived date_sort (earliest, else latest): `../1951-09` after 1905."""
    [events] = fetch(real_export, "/kuril-data/events.json?_shape=objects&_size=max")
    keys = [r["date_sort"] for r in events["rows"] if r["date_sort"]]
    assert keys == sorted(keys)
    open_start = [r for r in events["rows"] if r["date_earliest"] is None and r["date_latest"]]
    assert open_start
    for row in open_start:
        assert row["date_sort"] == row["date_latest"]
        assert events["rows"].index(row) > next(i for i, r in enumerate(events["rows"])
                                               if r["date_sort"] and r["date_sort"] < row["date_latest"])


def test_row_pages_show_foreign_key_labels(real_export: Path) -> None:
    """With serve's plugin, a row page shows each foreign key as a link followed by its label."""
    [html] = fetch_with_labels(real_export, "/kuril-data/events/joint-declaration-signing-1956-10-19")
    assert '<a href="/kuril-data/documents/joint-declaration-1956">joint-declaration-1956</a>' in html
    db = sqlite3.connect(real_export / "kuril-data.sqlite")
    title = db.execute("SELECT title FROM documents WHERE document_id = 'joint-declaration-1956'").fetchone()[0]
    place = db.execute("SELECT name FROM places WHERE place_id = 'moscow'").fetchone()[0]
    assert f'<span class="fk-label">{title}</span>' in html
    assert f'<span class="fk-label">{place}</span>' in html
    [plain] = fetch(real_export, "/kuril-data/events/joint-declaration-signing-1956-10-19")
    assert 'class="fk-label"' not in plain  # the labels come from the plugin


@pytest.mark.parametrize(("table", "term"), [("actors", "Gromyko"), ("places", "Habomai"),
                                             ("disagreements", "ratification")])
def test_search_on_actors_places_and_disagreements(real_export: Path, table: str, term: str) -> None:
    """Actors, places and disagreements have full-text search (names, subjects, descriptions)."""
    package, _ = read_package(ROOT)
    assert package is not None
    resource = package.resource(table)
    assert resource is not None and fts_fields(resource)
    [answer] = fetch(real_export, f"/kuril-data/{table}.json?_search={term}&_shape=objects&_size=max")
    key = resource.schema.primary_key[0]
    expected = like_ids(real_export, table, key, fts_fields(resource), term)
    assert expected
    assert {r[key] for r in answer["rows"]} == expected


def test_serve_without_path_serves_the_shipped_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a checkout (an empty folder), `kuril-data serve` with no PATH serves the installed data."""
    from datasette import cli as datasette_cli

    from kuril_data.io.versions import installed_package

    seen: list[list[str]] = []
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasette_cli.cli, "main", lambda args, **_: seen.append(list(args)))
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 0, result.output
    assert len(seen) == 1 and seen[0][1].endswith("kuril-data.sqlite")
    assert installed_package().is_dir()
