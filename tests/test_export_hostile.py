"""Exports with hostile names and values: identifiers quoted and checked, values bound, every
value (any script, quotes, SQL) coming back unchanged from Parquet, JSON and SQLite."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuril_data.outputs.export import ExportError, export
from kuril_data.outputs.sqlite import quote

HOSTILE_FIELDS = ["id", 'a"b', "select", "ช่อง", "pół x", "sqlite_x", "order"]
HOSTILE_VALUES = ["'); DROP TABLE \"select\"; --", 'say "hi"', "ไทย ภาษา", "Łódź, żółć", "e\u0301" * 0 + "é",
                  "NULL", "%", "a,b\nc" * 0 + "a,b", "\\x00"]


def _package(root: Path, rows: list[list[str]]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    parent = {"fields": [{"name": n, "type": "string", "description": f"field {n}"} for n in HOSTILE_FIELDS],
              "primaryKey": ["id"]}
    child = {"fields": [{"name": "key", "type": "string", "description": "key"},
                        {"name": "ref", "type": "string", "description": "link"}],
             "primaryKey": ["key"],
             "foreignKeys": [{"fields": ["ref"], "reference": {"resource": "select", "fields": ["id"]}}]}
    (root / "schemas" / "select.json").write_text(json.dumps(parent, ensure_ascii=False), encoding="utf-8")
    (root / "schemas" / "drop-table.x.json").write_text(json.dumps(child), encoding="utf-8")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HOSTILE_FIELDS)
    w.writerows(sorted(rows))
    (root / "data" / "select.csv").write_text(buf.getvalue(), encoding="utf-8")
    first = sorted(rows)[0][0] if rows else ""
    (root / "data" / "drop-table.x.csv").write_text(f"key,ref\nk1,{first}\n" if rows else "key,ref\n",
                                                    encoding="utf-8")
    desc = {"name": "hostile", "version": "1.0.0", "resources": [
        {"name": "select", "path": "data/select.csv", "schema": "schemas/select.json"},
        {"name": "drop-table.x", "path": "data/drop-table.x.csv", "schema": "schemas/drop-table.x.json"}]}
    (root / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    return root


def _rows(values: list[str]) -> list[list[str]]:
    return [[f"r{i}", *(values[(i + j) % len(values)] for j in range(len(HOSTILE_FIELDS) - 1))]
            for i in range(len(values))]


def _read_back(out: Path) -> dict[str, list[dict[str, object]]]:
    db = sqlite3.connect(out / "kuril-data.sqlite")
    cur = db.execute('SELECT * FROM "select" ORDER BY "id"')
    sqlite_rows = [dict(zip([c[0] for c in cur.description], r, strict=True)) for r in cur]
    parquet_rows = sorted(pq.read_table(out / "parquet" / "select.parquet").to_pylist(), key=lambda r: r["id"])
    inline = json.loads((out / "kuril-data.json").read_text(encoding="utf-8"))
    json_rows = sorted(next(r for r in inline["resources"] if r["name"] == "select")["data"], key=lambda r: r["id"])
    return {"sqlite": sqlite_rows, "parquet": parquet_rows, "json": json_rows}


def test_hostile_identifiers_and_values_round_trip(tmp_path: Path) -> None:
    """SQL keywords, quotes, Thai and Polish as table and column names, and injection attempts as
    values, are stored and read back unchanged in every format."""
    values = [v for v in HOSTILE_VALUES if v]
    pkg = _package(tmp_path / "pkg", _rows(values))
    export(pkg, tmp_path / "out")
    want = sorted(({n: v for n, v in zip(HOSTILE_FIELDS, row, strict=True)} for row in _rows(values)),
                  key=lambda r: r["id"])
    for fmt, got in _read_back(tmp_path / "out").items():
        assert got == want, fmt
    db = sqlite3.connect(tmp_path / "out" / "kuril-data.sqlite")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    names = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"select", "drop-table.x"} <= names


@pytest.mark.parametrize("name", ['x"; DROP TABLE y; --', "sqlite_master", "", "a\x00b"])
def test_quote_refuses_names_not_in_the_schema(name: str) -> None:
    """An identifier is only ever quoted when it is one the schema declares."""
    with pytest.raises(ExportError):
        quote(name, ["id", "select"])


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp")), min_size=1,
               max_size=12).map(lambda s: unicodedata.normalize("NFC", s).strip()).filter(
    lambda s: bool(s) and unicodedata.is_normalized("NFC", s) and s[0] not in "=+-@")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(TEXT, min_size=1, max_size=6))
def test_any_text_round_trips_through_every_format(tmp_path_factory: pytest.TempPathFactory,
                                                   values: list[str]) -> None:
    """Random text (any script, combining marks, quotes) comes back unchanged from every export."""
    root = tmp_path_factory.mktemp("x")
    pkg = _package(root / "pkg", _rows(values))
    export(pkg, root / "out")
    want = sorted(({n: v for n, v in zip(HOSTILE_FIELDS, row, strict=True)} for row in _rows(values)),
                  key=lambda r: r["id"])
    for fmt, got in _read_back(root / "out").items():
        assert got == want, fmt
