"""Export fast paths: they write exactly what the plain ones would (the dataset's Arrow tables equal
typing every cell on its own, the JSON file equal `json.dumps` of the descriptor), from list- and
Arrow-read tables alike."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from kuril_data.dataset import Dataset
from kuril_data.model import dates
from kuril_data.outputs.export import export
from kuril_data.outputs.json import write_json
from kuril_data.outputs.sqlite import write_sqlite
from kuril_data.validate import Checked, check

from .test_export import typed_package
from .test_export_hostile import HOSTILE_VALUES, _package, _rows

ENGINES = ["python", "arrow"]

ODD_SCHEMA = {
    "fields": [
        {"name": "id", "type": "string", "description": "Key.", "constraints": {"required": True}},
        {"name": "100% sure", "type": "string", "description": "A % in the name."},
        {"name": "back\\slash", "type": "integer", "description": "A backslash in the name."},
        {"name": "share", "type": "number", "description": "A number."},
    ],
    "primaryKey": ["id"],
}
ODD_CSV = ('id,100% sure,back\\slash,share\n'
           'a,"%s %d %% \\n \\\\ ""q"" free",-0,1e-7\n'
           'b,,9007199254740993,\n'
           'c,ไทย „cytat”,,3.0\n')


def odd_package(root: Path) -> Path:
    """A package with '%' and '\\' in field names and values, an empty table and numbers json must spell exactly."""
    root.mkdir(parents=True)
    (root / "data").mkdir()
    (root / "schemas").mkdir()
    (root / "schemas" / "odd.json").write_text(json.dumps(ODD_SCHEMA), encoding="utf-8")
    (root / "schemas" / "none.json").write_text(json.dumps(
        {"fields": [{"name": "k", "type": "string", "description": "key"}], "primaryKey": ["k"]}), encoding="utf-8")
    (root / "data" / "odd.csv").write_text(ODD_CSV, encoding="utf-8")
    (root / "data" / "none.csv").write_text("k\n", encoding="utf-8")
    (root / "datapackage.json").write_text(json.dumps({"name": "odd", "version": "1.0.0", "resources": [
        {"name": "odd", "path": "data/odd.csv", "schema": "schemas/odd.json"},
        {"name": "none", "path": "data/none.csv", "schema": "schemas/none.json"}]}), encoding="utf-8")
    return root


def checked_with(pkg: Path, engine: str) -> Checked:
    checked = check(pkg, engine=engine)
    assert checked.package is not None and checked.report.valid, checked.report.to_text()
    return checked


PACKAGES = {
    "typed": typed_package,
    "hostile": lambda root: _package(root, _rows([v for v in HOSTILE_VALUES if v])),
    "odd": odd_package,
}


@pytest.fixture(scope="module", params=[(p, e) for p in PACKAGES for e in ENGINES], ids=lambda x: f"{x[0]}-{x[1]}")
def checked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Checked:
    name, engine = request.param
    return checked_with(PACKAGES[name](tmp_path_factory.mktemp(name) / "pkg"), engine)


def plain_descriptor(checked: Checked) -> dict[str, Any]:
    """The JSON export's descriptor built the plain way: rows from `to_arrow(...).to_pylist()`."""
    package = checked.package
    assert package is not None
    descriptor = {k: v for k, v in package.descriptor.items() if k not in ("profile", "$schema")}
    raw = {r["name"]: r for r in package.descriptor["resources"]}
    resources = []
    for resource in package.resources:
        entry = {k: v for k, v in raw[resource.name].items()
                 if k not in ("path", "format", "mediatype", "encoding", "bytes", "hash", "dialect", "compression")}
        entry["schema"] = {k: v for k, v in json.loads((package.root / resource.schema_path).read_text()).items()
                           if k not in ("profile", "$schema")}
        names = resource.schema.names
        entry["data"] = [{k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items() if k in names}
                         for row in Dataset(checked).arrow(resource.name, package.version).to_pylist()]
        resources.append(entry)
    descriptor["resources"] = resources
    return descriptor


def _reference_arrow(table: Any, version: str) -> pa.Table:
    """The plain per-value conversion the dataset's Arrow tables must equal: every cell typed on its own."""
    from kuril_data.dataset.arrow import arrow_schema

    columns = []
    fields = table.resource.schema.fields
    for f in fields:
        raw = table.column(f.name)
        if f.type == "string":
            columns.append(pa.array([v or None for v in raw], pa.string()))
        elif f.type == "boolean":
            columns.append(pa.array([None if not v else v in ("true", "True", "TRUE", "1") for v in raw], pa.bool_()))
        else:
            convert = {"integer": int, "number": float, "year": int, "date": dt.date.fromisoformat}[f.type]
            arrow_type = arrow_schema(table.resource).field(f.name).type
            columns.append(pa.array([convert(v) if v else None for v in raw], arrow_type))
    for f in fields:
        if f.edtf:
            ranges = [dates.date_range(v) for v in table.column(f.name)]
            columns.append(pa.array([r.earliest if r else None for r in ranges], pa.date32()))
            columns.append(pa.array([r.latest if r else None for r in ranges], pa.date32()))
    return pa.Table.from_arrays(columns, schema=arrow_schema(table.resource, version))


def test_dataset_arrow_equals_the_per_value_reference(checked: Checked) -> None:
    """`Dataset.arrow` (dates parsed once per distinct value) equals typing every cell on its own."""
    data = Dataset(checked)
    for name, table in checked.tables.items():
        fast, plain = data.arrow(name, "9.9.9"), _reference_arrow(table, "9.9.9")
        assert fast.schema.equals(plain.schema, check_metadata=True), name
        assert fast.equals(plain), name


def test_json_file_is_json_dumps_of_the_descriptor(checked: Checked, tmp_path: Path) -> None:
    """write_json writes byte for byte what json.dumps(indent=2, ensure_ascii=False) gives for the plain descriptor."""
    assert checked.package is not None
    target = tmp_path / "x.json"
    write_json(Dataset(checked), target, checked.package.version)
    want = json.dumps(plain_descriptor(checked), ensure_ascii=False, indent=2) + "\n"
    assert target.read_text(encoding="utf-8") == want


def test_sqlite_keeps_the_default_fts_configuration(checked: Checked, tmp_path: Path) -> None:
    """The build-time FTS5 term buffer setting is not left in the file; the FTS index is sound."""
    assert checked.package is not None
    target = tmp_path / "x.sqlite"
    write_sqlite(Dataset(checked), target, "1.0.0", 0)
    db = sqlite3.connect(target)
    configs = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
               if r[0].endswith("_fts_config")]
    for config in configs:
        assert db.execute(f'SELECT k FROM "{config}"').fetchall() == [("version",)], config
        fts = config.removesuffix("_config")
        db.execute(f"INSERT INTO \"{fts}\" (\"{fts}\", rank) VALUES ('integrity-check', 1)")
    assert configs or not any(r.name in ("quotations", "events", "measures") for r in checked.package.resources)


def test_list_and_arrow_read_tables_export_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whichever reader read the package, every exported file has the same bytes."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pkg = typed_package(tmp_path / "pkg")
    outs = {}
    for engine in ENGINES:
        import kuril_data.dataset as dataset_module

        monkeypatch.setattr(dataset_module, "check", lambda path, e=engine: check(path, engine=e))  # type: ignore[call-arg]
        outs[engine] = tmp_path / engine
        export(pkg, outs[engine])
    files = [{p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
             for out in outs.values()]
    assert files[0] == files[1]
    assert len(files[0]) > 5
