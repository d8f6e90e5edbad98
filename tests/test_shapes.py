"""Malformed descriptor and schema shapes are located problems (exit 1), never an internal error;
what release and load cannot handle, validate refuses; counts of resources, fields and keys are capped."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.model.limits import Limits
from kuril_data.validate import validate

from .conftest import build_package

Edit = Callable[[dict[str, Any]], None]


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


# (case, file to edit, edit of its JSON, code expected, part of the message expected)
CASES: list[tuple[str, str, Edit, str, str]] = [
    ("primary key as nested list", "schemas/events.json", lambda s: s.update(primaryKey=[["event_id"]]),
     "schema-error", "primary key"),
    ("foreign key fields as nested list", "schemas/events.json",
     lambda s: s["foreignKeys"][0].update(fields=[["document_id"]]), "schema-error", "a foreign key needs fields"),
    ("foreignKeys not a list", "schemas/events.json", lambda s: s.update(foreignKeys=7),
     "schema-error", "foreignKeys must be a list"),
    ("exactly-one-of not a list", "schemas/citations.json", lambda s: s.update({"x-kuril-exactly-one-of": 5}),
     "schema-error", "x-kuril-exactly-one-of must be a list"),
    ("minimum abc", "schemas/events.json", lambda s: _field(s, "title")["constraints"].update(minimum="abc"),
     "schema-error", "'minimum' does not apply to a string field"),
    ("huge maxLength", "schemas/events.json",
     lambda s: _field(s, "title")["constraints"].update(maxLength=10**30), "schema-error", "'maxLength' must be"),
    ("duplicate enum values", "schemas/events.json",
     lambda s: _field(s, "kind")["constraints"].update(enum=["signing", "signing"]), "schema-error",
     "lists a value twice"),
    ("field clashing with a derived date column", "schemas/events.json",
     lambda s: s["fields"].append({"name": "date_earliest", "type": "string"}), "schema-error",
     "clashes with the column derived from the EDTF field"),
    ("resource name as a list", "datapackage.json", lambda d: d["resources"][0].update(name=["x"]),
     "descriptor-error", "resource name"),
    ("resource named like an FTS shadow table", "datapackage.json",
     lambda d: d["resources"][-1].update(name="events_fts_data"), "descriptor-error",
     "a name the SQLite export uses"),
    ("two resources on one path", "datapackage.json",
     lambda d: d["resources"][1].update(path="./data//" + d["resources"][0]["path"].split("/")[-1]),
     "descriptor-error", "is used by another resource already"),
    ("foreign key to a non-unique column", "schemas/events.json",
     lambda s: s["foreignKeys"][1]["reference"].update(fields=["kind"]), "schema-error",
     "neither its primary key nor a unique field"),
]


@pytest.mark.parametrize(("case", "rel", "edit", "code", "text"), CASES, ids=[c[0] for c in CASES])
def test_malformed_shapes_are_located_problems(tmp_path: Path, case: str, rel: str, edit: Edit, code: str,
                                               text: str) -> None:
    """Each malformed shape is a problem with its code and file, exit 1, and no internal error."""
    pkg = build_package(tmp_path)
    path = pkg / rel
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(pkg)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 1, result.output
    assert any(f"[{code}]" in line and text in line for line in result.output.splitlines()), result.output


@pytest.mark.parametrize("rel", ["datapackage.json", "schemas/events.json"])
def test_integer_of_thousands_of_digits(tmp_path: Path, rel: str) -> None:
    """A 5,000-digit integer anywhere in a descriptor or schema is an invalid-JSON problem, exit 1."""
    pkg = build_package(tmp_path)
    path = pkg / rel
    path.write_text(re.sub(r"^\{", '{"x-big": ' + "9" * 5000 + ",", path.read_text(encoding="utf-8")),
                    encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(pkg)])
    assert result.exit_code == 1, result.output
    assert "invalid JSON: Exceeds the limit" in result.output


def test_number_of_resources_is_capped(tmp_path: Path) -> None:
    """A descriptor naming one CSV 12,500 times is refused at once for its resource count."""
    pkg = build_package(tmp_path)
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    desc["resources"] = [{"name": f"r{i}", "path": "data/places.csv", "schema": "schemas/places.json"}
                         for i in range(12_500)]
    (pkg / "datapackage.json").write_text(json.dumps(desc, separators=(",", ":")), encoding="utf-8")
    report = validate(pkg)
    [problem] = report.problems
    assert problem.message == "the descriptor has 12500 resources; the limit is 200"


def test_fields_and_foreign_keys_are_capped(tmp_path: Path) -> None:
    """A schema with more fields or foreign keys than the limits is refused before it is built."""
    pkg = build_package(tmp_path)
    report = validate(pkg, limits=Limits(max_fields=3, max_foreign_keys=1))
    messages = {p.file: p.message for p in report.problems}
    fields = len(json.loads((pkg / "schemas" / "events.json").read_text(encoding="utf-8"))["fields"])
    assert fields > 3
    assert messages["schemas/events.json"] == f"the schema has {fields} fields; the limit is 3"
    report = validate(pkg, limits=Limits(max_foreign_keys=1))
    keys = len(json.loads((pkg / "schemas" / "events.json").read_text(encoding="utf-8"))["foreignKeys"])
    assert keys > 1
    assert {p.message for p in report.problems if p.file == "schemas/events.json"} == {
        f"the schema has {keys} foreign keys; the limit is 1"}


def test_twenty_digit_integer_is_refused_by_validation_before_export_and_load(tmp_path: Path) -> None:
    """An integer beyond 64 bits (which Arrow, pandas and SQLite cannot hold) is a located type error of
    validation, so export exits 1 with nothing written and load raises LoadError with the report; never an
    internal error. (Export and load still turn a value a format cannot hold into exit 2 / LoadError.)"""
    from kuril_data.load import LoadError, load

    from .test_export import typed_package

    (tmp_path / "pkg").mkdir()
    pkg = typed_package(tmp_path / "pkg")
    measures = pkg / "data" / "measures.csv"
    measures.write_text(measures.read_text(encoding="utf-8").replace("b-parent,9007199254740993,",
                                                                     "b-parent,99999999999999999999,"),
                        encoding="utf-8")
    result = CliRunner().invoke(cli, ["export", "--out", str(tmp_path / "out"), str(pkg)])
    assert result.exit_code == 1
    assert "is outside the range of a 64-bit integer [type-error]" in result.output
    assert not (tmp_path / "out").exists()
    with pytest.raises(LoadError, match="does not validate") as info:
        load(source=pkg)
    assert info.value.report is not None and "type-error" in info.value.report.codes()
