"""Export: Parquet, JSON and SQLite round trips, interop, SQLite structure, atomicity and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import duckdb
import frictionless
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.dataset.arrow import arrow_schema
from kuril_data.errors import ExportError, Refused
from kuril_data.model import dates
from kuril_data.model.layout import METADATA_TABLE
from kuril_data.model.package import Field, read_package
from kuril_data.outputs import export as export_module
from kuril_data.outputs.export import export
from kuril_data.outputs.sqlite import FTS_FIELDS, VIEWS, fts_fields, quote

from .conftest import INVALID, build_package

MEASURES_SCHEMA = {
    "description": "A test table with every field type, a self-reference and a composite foreign key.",
    "fields": [
        {"name": "measure_id", "type": "string", "description": "Key.", "constraints": {"required": True}},
        {"name": "count", "type": "integer", "description": "A count."},
        {"name": "share", "type": "number", "description": "A share."},
        {"name": "flag", "type": "boolean", "description": "A flag."},
        {"name": "day", "type": "date", "description": "A day."},
        {"name": "year", "type": "year", "description": "A year."},
        {"name": "when", "type": "string", "description": "An EDTF date.", "x-kuril-edtf": True},
        {"name": "parent", "type": "string", "description": "Another measure."},
        {"name": "actor_id", "type": "string", "description": "Composite link, part 1."},
        {"name": "source_id", "type": "string", "description": "Composite link, part 2."},
        {"name": "name", "type": "string", "description": "Composite link, part 3."},
        {"name": "title", "type": "string", "description": "Searchable text."},
    ],
    "primaryKey": ["measure_id"],
    "foreignKeys": [
        {"fields": ["parent"], "reference": {"resource": "measures", "fields": ["measure_id"]}},
        {"fields": ["actor_id", "source_id", "name"],
         "reference": {"resource": "actor_names", "fields": ["actor_id", "source_id", "name"]}},
    ],
}
# The first row refers to the second (a child before its parent), and to actor_names by a composite key.
MEASURES_CSV = (
    "measure_id,count,share,flag,day,year,when,parent,actor_id,source_id,name,title\n"
    "a-child,-3,0.25,true,1956-10-19,1956,1956-10?,b-parent,gromyko,src-pl,A. A. Gromyko,Zażółć gęślą jaźń\n"
    "b-parent,9007199254740993,1e-7,false,2000-02-29,1855,1955-06-03/1955-09,,,,,ราชอาณาจักรไทย\n"
)


def typed_package(dest: Path) -> Path:
    """The valid fixture plus a `measures` table that uses every supported field type."""
    dest.mkdir(parents=True, exist_ok=True)
    build_package(dest)
    (dest / "schemas" / "measures.json").write_text(json.dumps(MEASURES_SCHEMA, ensure_ascii=False, indent=2),
                                                     encoding="utf-8")
    (dest / "data" / "measures.csv").write_text(MEASURES_CSV, encoding="utf-8", newline="")
    descriptor = json.loads((dest / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["resources"].append({"name": "measures", "path": "data/measures.csv",
                                    "schema": "schemas/measures.json", "description": "Test table."})
    (dest / "datapackage.json").write_text(json.dumps(descriptor, ensure_ascii=False, indent=2), encoding="utf-8")
    return dest


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(package, export folder): the typed package exported once in every format."""
    root = tmp_path_factory.mktemp("export")
    pkg = typed_package(root / "pkg")
    out = root / "out"
    export(pkg, out)
    return pkg, out


def csv_tables(pkg: Path) -> dict[str, tuple[list[Field], list[dict[str, str]]]]:
    """Every table as its schema fields and its rows of raw CSV strings, read with the csv module."""
    import csv

    package, problems = read_package(pkg)
    assert package is not None and not problems
    out = {}
    for resource in package.resources:
        with open(pkg / resource.path, encoding="utf-8", newline="") as f:
            out[resource.name] = (list(resource.schema.fields), list(csv.DictReader(f)))
    return out


def expected(field: Field, raw: str) -> Any:
    """What a CSV cell must become: None when empty, else the value of the field's type."""
    if raw == "":
        return None
    return {"string": str, "integer": int, "number": float, "year": int, "boolean": lambda v: v == "true",
            "date": dt.date.fromisoformat}[field.type](raw)


def derived(field: Field, raw: str) -> dict[str, dt.date | None]:
    """The earliest/latest columns an EDTF field adds."""
    if not field.edtf:
        return {}
    r = dates.parse(raw) if raw else None
    return {f"{field.name}_earliest": r.earliest if r else None, f"{field.name}_latest": r.latest if r else None}


def test_typed_fixture_covers_every_type(built: tuple[Path, Path]) -> None:
    """The fixture really has every field type, an EDTF field and Polish and Thai text."""
    tables = csv_tables(built[0])
    types = {f.type for fields, _ in tables.values() for f in fields}
    assert types == {"string", "integer", "number", "boolean", "date", "year"}
    text = json.dumps([rows for _, rows in tables.values()], ensure_ascii=False)
    assert "rażącej" in text and "ไทย" in text


def test_parquet_round_trip(built: tuple[Path, Path]) -> None:
    """Each Parquet file holds its table value for value, typed from the schema, plus EDTF ranges."""
    pkg, out = built
    package, _ = read_package(pkg)
    assert package is not None
    for name, (fields, rows) in csv_tables(pkg).items():
        table = pq.read_table(out / "parquet" / f"{name}.parquet")
        assert table.schema.equals(arrow_schema(package.resource(name), package.version))  # type: ignore[arg-type]
        want = [{f.name: expected(f, row[f.name]) for f in fields}
                | {k: v for f in fields for k, v in derived(f, row[f.name]).items()} for row in rows]
        assert table.to_pylist() == want, name


def test_parquet_metadata_and_compression(built: tuple[Path, Path]) -> None:
    """Parquet files carry the package version and field descriptions, and are zstd-compressed."""
    pkg, out = built
    fields, _ = csv_tables(pkg)["measures"]
    file = pq.ParquetFile(out / "parquet" / "measures.parquet")
    meta = file.schema_arrow.metadata
    assert meta[b"version"] == b"0.1.0"
    listed = {f["name"]: f["description"] for f in json.loads(meta[b"fields"])}
    for f in fields:
        assert file.schema_arrow.field(f.name).metadata[b"description"].decode() == f.description
        assert listed[f.name] == f.description
    assert file.schema_arrow.field("count").type == pa.int64()
    assert {file.metadata.row_group(0).column(i).compression for i in range(file.metadata.num_columns)} == {"ZSTD"}


def test_json_round_trip_and_frictionless(built: tuple[Path, Path]) -> None:
    """kuril-data.json is one valid Data Package with every schema and table inline, value for value."""
    pkg, out = built
    path = out / "kuril-data.json"
    descriptor = json.loads(path.read_text(encoding="utf-8"))
    resources = {r["name"]: r for r in descriptor["resources"]}
    assert descriptor["version"] == "0.1.0"
    for name, (fields, rows) in csv_tables(pkg).items():
        resource = resources[name]
        assert "path" not in resource
        schema_file = json.loads((pkg / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
        assert resource["schema"] == schema_file
        plain = [{f.name: (v.isoformat() if isinstance(v := expected(f, row[f.name]), dt.date) else v)
                  for f in fields} for row in rows]
        assert resource["data"] == plain, name
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["type", "note"])


def test_sqlite_round_trip(built: tuple[Path, Path]) -> None:
    """Each SQLite table holds its table value for value, with SQL types from the schema."""
    pkg, out = built
    db = sqlite3.connect(out / "kuril-data.sqlite")
    sql_of = {bool: int}
    for name, (fields, rows) in csv_tables(pkg).items():
        cursor = db.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
        got = [dict(zip([c[0] for c in cursor.description], r, strict=True)) for r in cursor]
        want = []
        for row in rows:
            values = {f.name: expected(f, row[f.name]) for f in fields}
            values |= {k: v for f in fields for k, v in derived(f, row[f.name]).items()}
            dated = next((f.name for f in fields if f.edtf), None)
            if dated:  # the generated sort column: the earliest day, else the latest
                values[dated + "_sort"] = values[dated + "_earliest"] or values[dated + "_latest"]
            want.append({k: (v.isoformat() if isinstance(v, dt.date) else sql_of.get(type(v), lambda x: x)(v))
                         for k, v in values.items()})
        assert got == want, name
    types = db.execute("SELECT typeof(count), typeof(share), typeof(flag), typeof(day), typeof(year), "
                       "typeof(when_earliest) FROM measures WHERE measure_id = 'a-child'").fetchone()
    assert types == ("integer", "real", "integer", "text", "integer", "text")


def test_sqlite_structure_is_strict_keyed_and_indexed(built: tuple[Path, Path]) -> None:
    """Tables are STRICT with their primary and foreign keys (composite too) and an index on every foreign key."""
    pkg, out = built
    package, _ = read_package(pkg)
    assert package is not None
    db = sqlite3.connect(out / "kuril-data.sqlite")
    strict = {row[1]: row[5] for row in db.execute("PRAGMA table_list")}
    for resource in package.resources:
        name = resource.name
        assert strict[name] == 1, name
        info = db.execute(f'PRAGMA table_info("{name}")').fetchall()
        pk = tuple(col[1] for col in sorted((c for c in info if c[5]), key=lambda c: c[5]))
        assert pk == resource.schema.primary_key, name
        fks: dict[int, list[tuple[str, str, str]]] = {}
        for row in db.execute(f'PRAGMA foreign_key_list("{name}")'):
            fks.setdefault(row[0], []).append((row[2], row[3], row[4]))
        declared = {(tuple(c[1] for c in v), v[0][0], tuple(c[2] for c in v)) for v in fks.values()}
        assert declared == {(fk.fields, fk.resource, fk.reference) for fk in resource.schema.foreign_keys}, name
        indexed = {tuple(c[2] for c in db.execute(f'PRAGMA index_info("{idx[1]}")'))
                   for idx in db.execute(f'PRAGMA index_list("{name}")')}
        for fk in resource.schema.foreign_keys:
            assert fk.fields in indexed, (name, fk.fields)
    assert ("measures", "actor_names") in {(n, fk.resource) for n in ["measures"]
                                           for fk in package.resource(n).schema.foreign_keys  # type: ignore[union-attr]
                                           if len(fk.fields) == 3}


def test_sqlite_pragmas_clean_and_foreign_keys_enforced(built: tuple[Path, Path]) -> None:
    """foreign_key_check and integrity_check are clean, and the declared keys really are enforced."""
    _, out = built
    db = sqlite3.connect(out / "kuril-data.sqlite")
    db.execute("PRAGMA foreign_keys = ON")
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with pytest.raises(sqlite3.IntegrityError):  # deferred: checked when the transaction commits
        db.execute("UPDATE measures SET parent = 'nobody' WHERE measure_id = 'a-child'")
        db.commit()
    db.rollback()
    with pytest.raises(sqlite3.IntegrityError):  # STRICT: a text in an INTEGER column is refused
        db.execute("UPDATE measures SET count = 'many' WHERE measure_id = 'a-child'")


def test_sqlite_full_text_search(built: tuple[Path, Path]) -> None:
    """FTS5 MATCH finds quotations and titles by a word, in Polish and Thai too."""
    _, out = built
    db = sqlite3.connect(out / "kuril-data.sqlite")
    found = db.execute("SELECT q.quotation_id FROM quotations_fts "
                       "JOIN quotations AS q ON q.rowid = quotations_fts.rowid "
                       "WHERE quotations_fts MATCH ?", ("rażącej",)).fetchall()
    assert found == [("gromyko-contradiction-pl",)]
    found = db.execute("SELECT m.measure_id FROM measures_fts JOIN measures AS m ON m.rowid = measures_fts.rowid "
                       "WHERE measures_fts MATCH ?", ("อาณาจักร",)).fetchall()
    assert found == [("b-parent",)]
    hits = db.execute("SELECT count(*) FROM events_fts WHERE events_fts MATCH ?", ("Joint Declaration",)).fetchone()
    assert hits[0] > 0


def test_fts_columns_come_from_the_schema(built: tuple[Path, Path]) -> None:
    """Exactly the string fields named in FTS_FIELDS are searchable, in every table that has one."""
    pkg, out = built
    package, _ = read_package(pkg)
    assert package is not None
    db = sqlite3.connect(out / "kuril-data.sqlite")
    for resource in package.resources:
        want = [f.name for f in resource.schema.fields if f.name in FTS_FIELDS]
        assert fts_fields(resource) == want
        if want:
            cols = [c[1] for c in db.execute(f'PRAGMA table_info("{resource.name}_fts")')]
            assert cols == want
    assert fts_fields(package.resource("quotations")) == ["text"]  # type: ignore[arg-type]
    assert fts_fields(package.resource("events")) == ["title", "summary"]  # type: ignore[arg-type]


def test_sqlite_views_answer_the_common_questions(built: tuple[Path, Path]) -> None:
    """The views give quotations with speaker names and languages, and events with actors and places."""
    _, out = built
    db = sqlite3.connect(out / "kuril-data.sqlite")
    db.row_factory = sqlite3.Row
    assert set(VIEWS) <= {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'view'")}
    q = db.execute("SELECT * FROM quotations_with_speakers WHERE quotation_id = 'gromyko-contradiction-pl'").fetchone()
    assert (q["speaker_name"], q["language"]) == ("A. A. Gromyko", "pl")
    e = db.execute("SELECT * FROM events_with_actors_and_places "
                   "WHERE event_id = 'joint-declaration-signing-1956-10-19'").fetchone()
    assert (e["place_name"], e["places"]) == ("Moscow", "Moscow")
    assert db.execute("SELECT count(*) FROM events_with_actors_and_places WHERE actors IS NOT NULL").fetchone()[0] > 0


def test_sqlite_metadata_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The metadata table has the version, the build date from SOURCE_DATE_EPOCH and the source checksums."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pkg = build_package(tmp_path)
    export(pkg, tmp_path / "out", ["sqlite"])
    meta = dict(sqlite3.connect(tmp_path / "out" / "kuril-data.sqlite").execute(f"SELECT * FROM {METADATA_TABLE}"))
    assert meta["version"] == "0.1.0"
    assert meta["build_date"] == "2023-11-14T22:13:20Z"
    _, sources = csv_tables(pkg)["sources"]
    assert {k: v for k, v in meta.items() if k.startswith("sha256:")} == {
        f"sha256:{row['path']}": row["sha256"] for row in sources}


def test_datasette_metadata_from_schemas(built: tuple[Path, Path]) -> None:
    """metadata.json describes every table and column exactly as the schemas do."""
    pkg, out = built
    package, _ = read_package(pkg)
    assert package is not None
    meta = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    tables = meta["databases"]["kuril-data"]["tables"]
    for resource in package.resources:
        assert tables[resource.name]["description"] == resource.description
        for f in resource.schema.fields:
            assert tables[resource.name]["columns"][f.name] == f.description
    assert tables["quotations"]["columns"]["date_earliest"].startswith("The earliest day")
    assert meta["license"] == "CC-BY-4.0"


def test_duckdb_reads_the_parquet_files(built: tuple[Path, Path]) -> None:
    """DuckDB reads every Parquet file with the schema's types and the Unicode intact."""
    pkg, out = built
    con = duckdb.connect()
    for name, (_, rows) in csv_tables(pkg).items():
        path = str(out / "parquet" / f"{name}.parquet")
        assert con.execute("SELECT count(*) FROM read_parquet(?)", [path]).fetchone()[0] == len(rows)
    path = str(out / "parquet" / "measures.parquet")
    got = con.execute("SELECT count, flag, day, when_latest, title FROM read_parquet(?) ORDER BY measure_id",
                      [path]).fetchall()
    assert got[0] == (-3, True, dt.date(1956, 10, 19), dt.date(1956, 10, 31), "Zażółć gęślą jaźń")
    assert got[1][0] == 9007199254740993


def test_duckdb_attaches_the_sqlite_file(built: tuple[Path, Path]) -> None:
    """DuckDB attaches the SQLite file and reads a table (needs DuckDB's sqlite extension)."""
    _, out = built
    # Never let DuckDB download an extension: tests make no network connections.
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    installed = con.execute("SELECT installed FROM duckdb_extensions() WHERE extension_name = 'sqlite'").fetchone()
    if not (installed and installed[0]):
        pytest.skip("DuckDB's sqlite extension is not installed, and DuckDB 2.0 can only download it from "
                    "duckdb.org, which tests do not contact")
    con.execute("LOAD sqlite")
    con.execute("ATTACH ? AS k (TYPE sqlite, READ_ONLY)", [str(out / "kuril-data.sqlite")])
    assert con.execute("SELECT title FROM k.measures ORDER BY measure_id").fetchall()[0] == ("Zażółć gęślą jaźń",)


def test_quote_checks_identifiers() -> None:
    """Identifiers are quoted, and refused unless the schema knows them."""
    assert quote('odd "name"', ['odd "name"']) == '"odd ""name"""'
    with pytest.raises(ExportError):
        quote("events; DROP TABLE events", ["events"])


def test_export_only_the_chosen_format_leaves_others_alone(tmp_path: Path) -> None:
    """--format json writes only the JSON file and keeps files already in the folder."""
    pkg = build_package(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = export(pkg, out, ["json"])
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt", "kuril-data.json"]
    assert result.files == (out / "kuril-data.json",)


def test_export_replaces_previous_output(tmp_path: Path) -> None:
    """A second export replaces the first one's files."""
    pkg = build_package(tmp_path)
    out = tmp_path / "out"
    (out / "parquet").mkdir(parents=True)
    (out / "parquet" / "stale.parquet").write_bytes(b"old")
    export(pkg, out, ["parquet"])
    assert not (out / "parquet" / "stale.parquet").exists()
    assert (out / "parquet" / "events.parquet").is_file()


def test_invalid_package_is_refused_and_nothing_written(tmp_path: Path) -> None:
    """A package that does not validate is refused with its report, and no file is written."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg, INVALID / "foreign-key")
    with pytest.raises(Refused) as info:
        export(pkg, tmp_path / "out")
    assert info.value.report is not None and "foreign-key" in info.value.report.codes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


STEPS = ["write_parquet", "write_json", "write_sqlite", "write_datasette_metadata", "install"]


@pytest.mark.parametrize("step", STEPS)
def test_failure_at_any_step_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str) -> None:
    """A failure in any step leaves no new file, and earlier output as it was."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    out = tmp_path / "out"
    out.mkdir()
    (out / "kuril-data.json").write_text("previous")

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"injected failure in {step}")

    monkeypatch.setattr(export_module, step, boom)
    with pytest.raises(RuntimeError, match="injected"):
        export(pkg, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "pkg"]
    assert [p.name for p in out.iterdir()] == ["kuril-data.json"]
    assert (out / "kuril-data.json").read_text() == "previous"


def test_failure_while_moving_into_place_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If moving the finished files into place fails half-way, the previous files come back."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    out = tmp_path / "out"
    out.mkdir()
    (out / "kuril-data.json").write_text("previous")
    real = export_module.os.replace
    calls = []

    def flaky(src: object, dst: object) -> None:
        calls.append(dst)
        if len(calls) == 4:
            raise OSError("disk full")
        real(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(export_module.os, "replace", flaky)
    with pytest.raises(OSError, match="disk full"):
        export(pkg, out)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "pkg"]
    assert [p.name for p in out.iterdir()] == ["kuril-data.json"]
    assert (out / "kuril-data.json").read_text() == "previous"


def test_export_into_new_folder_failure_creates_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A failed export into a folder that did not exist does not create it (nor its parent)."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    monkeypatch.setattr(export_module, "write_sqlite", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        export(pkg, tmp_path / "new" / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


# --- CLI -----------------------------------------------------------------------------------------

def test_cli_export_all(tmp_path: Path) -> None:
    """`kuril-data export --out DIR PATH` writes every format and exits 0."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "--out", str(out), str(pkg)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["kuril-data.json", "kuril-data.sqlite", "metadata.json",
                                                     "parquet"]
    assert f"wrote {out / 'kuril-data.sqlite'}" in result.output


def test_cli_export_one_format(tmp_path: Path) -> None:
    """--format sqlite writes the database and its Datasette metadata only."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["export", "--format", "sqlite", "--out", str(out), str(pkg)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["kuril-data.sqlite", "metadata.json"]


def test_cli_export_refuses_invalid_package(tmp_path: Path) -> None:
    """An invalid package: the report is printed, exit 1, nothing written."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg, INVALID / "edtf")
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "out"), str(pkg)])
    assert result.exit_code == 1
    assert "[edtf]" in result.output
    assert "the package does not validate; nothing was written" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args", [["--format", "xml", "--out", "x"], []])
def test_cli_export_bad_arguments_exit_2(tmp_path: Path, args: list[str]) -> None:
    """An unknown format or a missing --out is a usage error: exit 2."""
    result = CliRunner().invoke(cli, ["export", *args, str(tmp_path)])
    assert result.exit_code == 2


def test_cli_export_no_package_exit_2(tmp_path: Path) -> None:
    """A folder without datapackage.json: one-line error, exit 2, no traceback."""
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "out"), str(tmp_path)])
    assert result.exit_code == 2
    assert "no datapackage.json" in result.output
    assert "Traceback" not in result.output


def test_cli_export_bad_source_date_epoch_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A SOURCE_DATE_EPOCH that is not a number stops the export with exit 2 and a clear message."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "out"), str(pkg)])
    assert result.exit_code == 2
    assert "SOURCE_DATE_EPOCH must be a whole number" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["99999999999999999999", "-1"])
def test_cli_out_of_range_source_date_epoch_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   value: str) -> None:
    """A SOURCE_DATE_EPOCH past 9999-12-31 or before 1970 is a clear exit 2, not an internal error."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "out"), str(pkg)])
    assert result.exit_code == 2
    assert f"SOURCE_DATE_EPOCH must be from 0 to 253402300799 (9999-12-31), not '{value}'" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_disk_full_while_writing_sqlite_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's 'database or disk is full' is exit 2 with the reason, and nothing is left behind."""
    import sqlite3

    from kuril_data.outputs import export as export_module

    real_connect = sqlite3.connect

    def small_disk(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        db = real_connect(*args, **kwargs)
        db.execute("PRAGMA max_page_count = 8")  # SQLITE_FULL after 8 pages, as on a full disk
        return db

    monkeypatch.setattr(export_module.sqlite3, "connect", small_disk)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    result = CliRunner().invoke(cli, ["export", "--format", "sqlite", "--out", str(tmp_path / "out"), str(pkg)])
    assert result.exit_code == 2, result.output
    assert "cannot write kuril-data.sqlite: database or disk is full" in result.output
    assert not (tmp_path / "out").exists()
