"""The contract between checking and writing (issue 19): for any package `validate` accepts,
`export` (every format), `release`, `site`, `timeline`, `dictionary` and `load()` succeed and write
only inside their output; what they cannot write is a located problem of `validate`.

A generator of valid-but-odd packages (dropped and renamed optional fields, extreme dates, odd
ids, integer-keyed and empty tables, odd resource names and paths, odd descriptor text) drives
every writer; each example the issue lists is a regression test. The budget is test_fuzz's:
`KURIL_DATA_FUZZ=500` for a long run (see SECURITY.md).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from kuril_data import validate
from kuril_data.cli import cli
from kuril_data.load import load
from kuril_data.model import layout
from kuril_data.outputs import export, timeline
from kuril_data.outputs.site import build as site_build
from kuril_data.release import build as release_build
from kuril_data.release import describe

from .conftest import build_package
from .test_fuzz import FUZZ, contract, run_cli

Edit = Callable[[Path], None]

# --- editing a package ---------------------------------------------------------------------------


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    buf = io.StringIO(newline="")
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buf.getvalue(), encoding="utf-8")


def _schema(pkg: Path, table: str) -> Path:
    return pkg / "schemas" / f"{table}.json"


def _data(pkg: Path, table: str) -> Path:
    return pkg / "data" / f"{table}.csv"


def drop_field(pkg: Path, table: str, name: str) -> None:
    schema = _json(_schema(pkg, table))
    schema["fields"] = [f for f in schema["fields"] if f["name"] != name]
    schema["foreignKeys"] = [fk for fk in schema.get("foreignKeys", []) if name not in fk["fields"]]
    _write_json(_schema(pkg, table), schema)
    rows = _rows(_data(pkg, table))
    i = rows[0].index(name)
    _write_rows(_data(pkg, table), [r[:i] + r[i + 1:] for r in rows])


def rename_field(pkg: Path, table: str, old: str, new: str) -> None:
    schema = _json(_schema(pkg, table))
    for f in schema["fields"]:
        if f["name"] == old:
            f["name"] = new
    for fk in schema.get("foreignKeys", []):
        fk["fields"] = [new if x == old else x for x in fk["fields"]]
    _write_json(_schema(pkg, table), schema)
    rows = _rows(_data(pkg, table))
    rows[0] = [new if h == old else h for h in rows[0]]
    _write_rows(_data(pkg, table), rows)


def set_cell(pkg: Path, table: str, column: str, row: int, value: str) -> None:
    rows = _rows(_data(pkg, table))
    rows[row][rows[0].index(column)] = value
    _write_rows(_data(pkg, table), rows)


def rename_value(pkg: Path, old: str, new: str) -> None:
    """Every cell `old` of every data file becomes `new` (an id and every link to it)."""
    for path in sorted((pkg / "data").glob("*.csv")):
        rows = _rows(path)
        _write_rows(path, [rows[0]] + [[new if c == old else c for c in r] for r in rows[1:]])


def add_table(pkg: Path, name: str, path: str, schema_path: str, schema: dict[str, Any], text: str) -> None:
    descriptor = _json(pkg / "datapackage.json")
    descriptor["resources"].append({"name": name, "path": path, "schema": schema_path})
    _write_json(pkg / "datapackage.json", descriptor)
    _write_json(pkg / schema_path, schema)
    (pkg / path).parent.mkdir(parents=True, exist_ok=True)
    (pkg / path).write_text(text, encoding="utf-8")


def set_descriptor(pkg: Path, **values: Any) -> None:
    descriptor = _json(pkg / "datapackage.json")
    descriptor.update(values)
    _write_json(pkg / "datapackage.json", descriptor)


def fresh(root: Path) -> Path:
    pkg = root / "pkg"
    if pkg.exists():
        shutil.rmtree(pkg)
    pkg.mkdir(parents=True)
    build_package(pkg)
    (pkg / "CHANGELOG.md").write_text("# Changelog\n\n## [0.1.0]\n\n- first\n", encoding="utf-8")
    return pkg


def write_everything(root: Path, pkg: Path) -> None:
    """Every writer on a package validate accepts: each succeeds (exit 0) and writes only under out/."""
    out = root / "out"
    if out.exists():
        shutil.rmtree(out)
    out.mkdir()
    with contract(root, allowed=lambda rel: rel.startswith("out/")):
        for args in (["export", str(pkg), "--format", "all", "--out", str(out / "export")],
                     ["release", str(pkg), "--out", str(out / "dist")],
                     ["site", str(pkg), "--out", str(out / "site")],
                     ["timeline", str(pkg), "--out", str(out / "timeline.svg")],
                     ["dictionary", str(pkg), "--out", str(out / "dictionary.md")]):
            result = CliRunner().invoke(cli, args)
            assert result.exit_code == 0 and result.exception is None, (args, result.output, result.exception)
        frames = load(source=pkg)
    assert (out / "dist" / "kuril-data-0.1.0.zip").is_file()
    assert (out / "site" / "index.html").is_file()
    assert set(frames) == {r["name"] for r in _json(pkg / "datapackage.json")["resources"]}


# --- the examples of issue 19 that concern data validity -------------------------------------------


def _integer_table(rows: str, extra: dict[str, Any] | None = None) -> Edit:
    fields = [{"name": "n", "type": "integer"}, {"name": "b", "type": "boolean", **(extra or {})}]
    return lambda pkg: add_table(pkg, "counts", "data/counts.csv", "schemas/counts.json",
                                 {"fields": fields, "primaryKey": ["n"]}, rows)


def _typed_table(ftype: str, rows: str, unique: bool = False) -> Edit:
    """A table keyed on a field of `ftype` (with `unique`: keyed on a string, the typed field unique)."""
    fields = [{"name": "k", "type": "string"}, {"name": "n", "type": ftype}]
    if unique:
        fields[1]["constraints"] = {"unique": True}
    return lambda pkg: add_table(pkg, "counts", "data/counts.csv", "schemas/counts.json",
                                 {"fields": fields, "primaryKey": ["k" if unique else "n"]}, rows)


def _title_integer(pkg: Path) -> None:
    schema = _json(_schema(pkg, "events"))
    next(f for f in schema["fields"] if f["name"] == "title")["type"] = "integer"
    schema["fields"][1]["constraints"] = {"required": True}
    _write_json(_schema(pkg, "events"), schema)
    for row in (1, 2):
        set_cell(pkg, "events", "title", row, str(row))


def _schema_at(rel: str) -> Edit:
    def edit(pkg: Path) -> None:
        descriptor = _json(pkg / "datapackage.json")
        places = next(r for r in descriptor["resources"] if r["name"] == "places")
        places["schema"] = rel
        _write_json(pkg / "datapackage.json", descriptor)
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(_schema(pkg, "places"), pkg / rel)
    return edit


def _resource_named(name: str) -> Edit:
    return lambda pkg: add_table(pkg, name, "data/extra.csv", "schemas/extra.json",
                                 {"fields": [{"name": "extra_id"}, {"name": "title"}], "primaryKey": ["extra_id"]},
                                 "extra_id,title\nx,X\n")


def _odd_place_id(value: str) -> Edit:
    def edit(pkg: Path) -> None:
        schema = _json(_schema(pkg, "places"))
        next(f for f in schema["fields"] if f["name"] == "place_id")["constraints"].pop("pattern")
        _write_json(_schema(pkg, "places"), schema)
        rename_value(pkg, "moscow", value)
    return edit


def _extra_field(name: str) -> Edit:
    def edit(pkg: Path) -> None:
        schema = _json(_schema(pkg, "events"))
        schema["fields"].append({"name": name, "type": "string"})
        _write_json(_schema(pkg, "events"), schema)
        rows = _rows(_data(pkg, "events"))
        _write_rows(_data(pkg, "events"), [[*rows[0], name]] + [[*r, "x"] for r in rows[1:]])
    return edit


def _raw_replace(rel: str, old: str, new: str) -> Edit:
    def edit(pkg: Path) -> None:
        text = (pkg / rel).read_text(encoding="utf-8")
        assert old in text
        (pkg / rel).write_text(text.replace(old, new, 1), encoding="utf-8")
    return edit


# (example, edit, the code validate reports, or None: valid, and every writer writes it cleanly)
EXAMPLES: list[tuple[str, Edit, str | None]] = [
    ("id ../../x", _odd_place_id("../../x"), "unsafe-id"),
    ("id with a slash", _odd_place_id("a/b"), "unsafe-id"),
    ("id index", _odd_place_id("index"), "unsafe-id"),
    ("ids differing only in case", _odd_place_id("Kuril-Islands"), "unsafe-id"),
    ("schema at kuril-data.sqlite", _schema_at("kuril-data.sqlite"), "reserved-path"),
    ("schema at kuril-data.json", _schema_at("kuril-data.json"), "reserved-path"),
    ("schema at parquet/events.parquet", _schema_at("parquet/events.parquet"), "reserved-path"),
    ("schema at metadata.json", _schema_at("metadata.json"), "reserved-path"),
    ("schema at README.md", _schema_at("README.md"), "reserved-path"),
    ("schema under site/", _schema_at("site/places.json"), "reserved-path"),
    ("schema at Sha256Sums (case)", _schema_at("Sha256Sums"), "reserved-path"),
    ("resource named assets", _resource_named("assets"), "reserved-path"),
    ("resource named search.html", _resource_named("search.html"), "reserved-path"),
    ("resource named index.html", _resource_named("index.html"), "reserved-path"),
    ("event dated 9999-12-31", lambda pkg: set_cell(pkg, "events", "date", 2, "9999-12-31"), "date-range"),
    ("event dated ../9999", lambda pkg: (set_cell(pkg, "events", "document_id", 1, ""),
                                         set_cell(pkg, "events", "date", 1, "../9999")), "date-range"),
    ("events without kind", lambda pkg: drop_field(pkg, "events", "kind"), "output-field"),
    ("documents without kind", lambda pkg: drop_field(pkg, "documents", "kind"), "output-field"),
    ("citations without locator", lambda pkg: drop_field(pkg, "citations", "locator"), "output-field"),
    ("disagreements.kind renamed", lambda pkg: rename_field(pkg, "disagreements", "kind", "sort"), "output-field"),
    ("events.title typed integer", _title_integer, "output-field"),
    ("licenses []", lambda pkg: set_descriptor(pkg, licenses=[]), None),
    ("integer key with no label field", _integer_table("n,b\n1,true\n2,false\n"), None),
    ("fields note and NOTE", _extra_field("NOTE"), "field-name"),
    ("a field named rowid", _extra_field("rowid"), "field-name"),
    ("a field named OID", _extra_field("OID"), "field-name"),
    ("integer keys 7, 07, +7", _integer_table("n,b\n7,true\n07,false\n+7,true\n"), "primary-key"),
    ("number keys 1, 1.0, 1e0", _typed_table("number", "k,n\na,1\nb,1.0\nc,1e0\n"), "primary-key"),
    ("number keys 0, -0.0, .0", _typed_table("number", "k,n\na,0\nb,-0.0\nc,.0\n"), "primary-key"),
    ("numbers 1, 1.0, 1e0 unique", _typed_table("number", "k,n\na,1\nb,1.0\nc,1e0\n", unique=True), "unique"),
    ("numbers 1, 1.5, 10 unique", _typed_table("number", "k,n\na,1\nb,1.5\nc,10\n", unique=True), None),
    ("year keys 1956 twice", _typed_table("year", "k,n\na,1956\nb,1956\n"), "primary-key"),
    ("years unique 1956 twice", _typed_table("year", "k,n\na,1956\nb,1956\n", unique=True), "unique"),
    ("date keys 1956-10-19 twice", _typed_table("date", "k,n\na,1956-10-19\nb,1956-10-19\n"), "primary-key"),
    ("dates 1956-10-19, 1956-10-20 unique",
     _typed_table("date", "k,n\na,1956-10-19\nb,1956-10-20\n", unique=True), None),
    ("booleans true, True, 1 unique", _integer_table("n,b\n1,true\n2,True\n3,1\n", {"constraints": {"unique": True}}),
     "unique"),
    ("lone surrogate in the descriptor",
     _raw_replace("datapackage.json", '"description": "', '"description": "\\ud800'), "unsafe-text"),
    ("lone surrogate in a field description", _raw_replace(
        "schemas/events.json", '"description": "Neutral', '"description": "\\ud800Neutral'), "unsafe-text"),
    ("lone surrogate in a field name", _raw_replace("schemas/events.json", '"name": "note"', '"name": "\\ud800"'),
     "unsafe-text"),
    ("control character in the title", lambda pkg: set_descriptor(pkg, title="a\x1b[2Jb"), "unsafe-text"),
    ("resources is a number", lambda pkg: set_descriptor(pkg, resources=3), "descriptor-error"),
]


@pytest.mark.parametrize(("example", "edit", "code"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_issue_example_is_a_located_problem_or_a_clean_write(tmp_path: Path, example: str, edit: Edit,
                                                             code: str | None) -> None:
    pkg = fresh(tmp_path)
    edit(pkg)
    output = run_cli("validate", str(pkg), "--format", "json")
    report = json.loads(output[output.index("{"):])
    if code is None:
        assert report["valid"], report["problems"]
        write_everything(tmp_path, pkg)
        return
    assert not report["valid"]
    located = [p for p in report["problems"] if p["code"] == code]
    assert located, report["problems"]
    assert all(p["file"] and (p["line"] or p["field"]) for p in located), located


# --- the names the outputs take, declared in model/layout.py ---------------------------------------


def test_layout_names_every_entry_of_a_release_and_of_the_site(tmp_path: Path) -> None:
    """Every top-level entry a real release and its site hold is reserved, so no package path can
    land on one; and the writers' own constants agree with model/layout.py."""
    pkg = fresh(tmp_path)
    folder = release_build.build_release(pkg, tmp_path / "dist")
    resources = {r["name"] for r in _json(pkg / "datapackage.json")["resources"]}
    package_tops = {"data", "schemas"}
    assert {p.name for p in folder.iterdir()} - package_tops <= layout.RELEASE_NAMES
    assert {p.name for p in (folder / "site").iterdir()} - resources <= layout.SITE_NAMES
    assert {release_build.CHANGELOG, release_build.CHECKSUMS, release_build.DICTIONARY, release_build.TIMELINE,
            release_build.SITE, describe.CITATION, describe.JSONLD, describe.README, *describe.LICENSES,
            export.JSON_FILE, export.SQLITE_FILE, export.DATASETTE_FILE, export.PARQUET_DIR} <= layout.RELEASE_NAMES
    assert {site_build.SEARCH_INDEX, "index.html", "search.html", "timeline.html"} <= layout.SITE_NAMES
    assert {timeline.EVENT_ID, timeline.EVENT_TITLE, timeline.EVENT_KIND, timeline.EVENT_DATE} \
        <= set(layout.OUTPUT_FIELDS[timeline.EVENTS])
    assert {timeline.DOCUMENT_ID, timeline.DOCUMENT_KIND, timeline.DOCUMENT_TITLE, timeline.DOCUMENT_DATE} \
        <= set(layout.OUTPUT_FIELDS[timeline.DOCUMENTS])
    assert {site_build.CITATION_SOURCE, site_build.CITATION_LOCATOR} <= set(layout.OUTPUT_FIELDS[site_build.CITATIONS])
    assert site_build.ACCOUNT_TEXT in layout.OUTPUT_FIELDS[site_build.ACCOUNTS]


# --- the property: valid-but-odd packages --------------------------------------------------------

# Optional fields nothing else names: dropped or renamed, every writer must cope.
OPTIONAL = [("events", "note"), ("events", "summary"), ("documents", "note"), ("documents", "summary"),
            ("places", "description"), ("actors", "description"), ("quotations", "note")]
ODD_NAMES = ["x", "Note2", "a_b_c", "z" * 60, "summary_earliest_not", "Ünïcode", "with space", "with-dash"]
# EDTF dates at the edges of what validate accepts; set on the event that cites no document.
EXTREME_DATES = ["0001-01-01", "9998-12-31", "9998", "../1956", "1956/..", "0001/9998", "Y-170000002",
                 "1956-10-19?", "1956-XX-XX", "[0001-01-01,9998-12-31]", "-0100"]
# Ids the place id pattern ^[a-z0-9]+(?:-[a-z0-9]+)*$ accepts, odd as they are.
ODD_IDS = ["0", "9-9", "a" * 190, "x-" * 40 + "x", "con", "nul", "aux-1", "1e5", "0x10"]
ODD_TEXT = ["<script>alert('x')</script>", "a & b \"c\" 'd' <e>", "T" * 5000, "]]>", "{{ title }}", "{% raw %}",
            "%s %(x)s {0}", "\u202eright-to-left", "日本語のタイトル"]
ODD_RESOURCES = [("x.y-z_1", "data/odd dir/x.csv", "schemas/sub dir/x.json"), ("0", "data/0.csv", "schemas/0.json"),
                 ("a" * 60, "data/deep/er/a.csv", "schemas/deep/a.json"), ("parquet_x", "data/parquet.csv",
                                                                          "schemas/parquet.json")]


@st.composite
def odd_edits(draw: st.DrawFn) -> list[tuple[str, tuple[Any, ...]]]:
    """One to four odd-but-valid edits, as data (shown by hypothesis when an example fails)."""
    edits: list[tuple[str, tuple[Any, ...]]] = []
    for _ in range(draw(st.integers(1, 4))):
        what = draw(st.sampled_from(["drop", "rename", "date", "id", "text", "table", "intkey", "empty"]))
        if what in ("drop", "rename"):
            table, name = draw(st.sampled_from(OPTIONAL))
            edits.append((what, (table, name, draw(st.sampled_from(ODD_NAMES)))))
        elif what == "date":
            edits.append((what, (draw(st.sampled_from(EXTREME_DATES)),)))
        elif what == "id":
            edits.append((what, (draw(st.sampled_from(["moscow", "shikotan"])), draw(st.sampled_from(ODD_IDS)))))
        elif what == "text":
            edits.append((what, (draw(st.sampled_from(["title", "description"])), draw(st.sampled_from(ODD_TEXT)))))
        elif what == "table":
            edits.append((what, draw(st.sampled_from(ODD_RESOURCES))))
        elif what == "intkey":
            edits.append((what, (draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=0, max_size=4,
                                               unique=True)),)))
        else:
            edits.append((what, (draw(st.sampled_from(["event_documents", "disagreement_accounts", "place_names"])),)))
    return edits


def apply(pkg: Path, what: str, args: tuple[Any, ...]) -> None:
    if what == "drop":
        table, name, _ = args
        if name in _rows(_data(pkg, table))[0]:
            drop_field(pkg, table, name)
    elif what == "rename":
        table, name, new = args
        header = _rows(_data(pkg, table))[0]
        if name in header and new not in header:
            rename_field(pkg, table, name, new)
    elif what == "date":
        set_cell(pkg, "events", "document_id", 1, "")
        set_cell(pkg, "events", "date", 1, args[0])
    elif what == "id":
        rename_value(pkg, *args)
    elif what == "text":
        set_descriptor(pkg, **{args[0]: args[1]})
    elif what == "table":
        name, path, schema_path = args
        if name not in {r["name"] for r in _json(pkg / "datapackage.json")["resources"]}:
            add_table(pkg, name, path, schema_path,
                      {"fields": [{"name": "odd_id", "constraints": {"required": True}}, {"name": "title"},
                                  {"name": "when", "x-kuril-edtf": True}], "primaryKey": ["odd_id"]},
                      "odd_id,title,when\nk1,<b>bold</b> & co,1956\nk2,,\n")
    elif what == "intkey":
        if "counts" not in {r["name"] for r in _json(pkg / "datapackage.json")["resources"]}:
            rows = "".join(f"{n},{n % 2 == 0}\n" for n in args[0])
            _integer_table("n,b\n" + rows)(pkg)
    else:
        rows = _rows(_data(pkg, args[0]))
        _write_rows(_data(pkg, args[0]), rows[:1])


@FUZZ
@given(edits=odd_edits())
def test_every_writer_succeeds_on_any_package_validate_accepts(tmp_path_factory: pytest.TempPathFactory,
                                                               edits: list[tuple[str, tuple[Any, ...]]]) -> None:
    root = tmp_path_factory.mktemp("odd")
    pkg = fresh(root)
    for what, args in edits:
        apply(pkg, what, args)
    if not validate(pkg).valid:
        return  # the contract binds only what validate accepts
    write_everything(root, pkg)
