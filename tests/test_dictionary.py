"""The data dictionary: generated from the schemas, complete, kept fresh in docs/, and its CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.model.package import Field, Resource, read_package
from kuril_data.outputs.dictionary import DEFAULT_OUT, dictionary, render

from .conftest import ROOT, build_package

PACKAGE, _ = read_package(ROOT)
assert PACKAGE is not None
FIELDS = [(r, f) for r in PACKAGE.resources for f in r.schema.fields]
TEXT = render(PACKAGE)


def section(text: str, table: str) -> str:
    """The part of the dictionary about one table."""
    return text.split(f"\n## {table}\n", 1)[1].split("\n## ", 1)[0]


def test_docs_data_dictionary_is_fresh() -> None:
    """docs/data-dictionary.md is exactly what the schemas generate (run `kuril-data dictionary --out ...`)."""
    assert (ROOT / DEFAULT_OUT).read_text(encoding="utf-8") == TEXT, \
        "docs/data-dictionary.md is stale: run kuril-data dictionary --out docs/data-dictionary.md"


@pytest.mark.parametrize("resource", PACKAGE.resources, ids=lambda r: r.name)
def test_every_table_has_description_and_keys(resource: Resource) -> None:
    """Each table has its section with its description, primary key and every foreign key."""
    part = section(TEXT, resource.name)
    assert " ".join((resource.description or resource.schema.description).split()) in part
    assert "- Primary key: " + ", ".join(f"`{k}`" for k in resource.schema.primary_key) in part
    for fk in resource.schema.foreign_keys:
        assert f"- Link: {', '.join(f'`{x}`' for x in fk.fields)} → [`{fk.resource}`]" in part


@pytest.mark.parametrize(("resource", "field"), FIELDS, ids=lambda x: x.name)
def test_every_field_has_a_row(resource: Resource, field: Field) -> None:
    """Each field has one row: name, type, required, its constraints (every enum value) and description."""
    rows = [line for line in section(TEXT, resource.name).splitlines() if line.startswith(f"| `{field.name}` |")]
    assert len(rows) == 1
    cells = [c.strip() for c in rows[0].strip("|").split(" | ")]
    assert cells[1].startswith(field.type)
    assert cells[2] == ("yes" if field.required else "no")
    for value in field.constraints.get("enum", []):
        assert f"`{value}`" in cells[3]
    assert cells[4] == " ".join(field.description.split()).replace("|", "\\|")


def test_referenced_by_lists_incoming_links() -> None:
    """A table lists the tables that link to it."""
    assert "- Referenced by: [`events`](#events).`document_id`" in section(TEXT, "documents")


def test_check_detects_a_stale_file(tmp_path: Path) -> None:
    """--check is 0 for a fresh file, 1 after a schema description changes; nothing is written by --check."""
    build_package(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["dictionary", "--check", str(tmp_path)]).exit_code == 1  # no docs/ yet
    assert not (tmp_path / "docs").exists()
    result = runner.invoke(cli, ["dictionary", "--out", str(tmp_path / "docs" / "data-dictionary.md"), str(tmp_path)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["dictionary", "--check", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.endswith("is up to date\n")
    schema = json.loads((tmp_path / "schemas" / "events.json").read_text(encoding="utf-8"))
    schema["fields"][1]["description"] = "A new description."
    (tmp_path / "schemas" / "events.json").write_text(json.dumps(schema), encoding="utf-8")
    result = runner.invoke(cli, ["dictionary", "--check", str(tmp_path)])
    assert result.exit_code == 1
    assert "is stale; regenerate it with: kuril-data dictionary --out" in result.output
    assert dictionary(tmp_path, check=True).stale


def test_cli_prints_without_out(tmp_path: Path) -> None:
    """Without --out the dictionary is printed, exactly as rendered."""
    build_package(tmp_path)
    result = CliRunner().invoke(cli, ["dictionary", str(tmp_path)])
    assert result.exit_code == 0
    package, _ = read_package(tmp_path)
    assert package is not None
    assert result.output == render(package)


def test_cli_bad_schema_exit_1_no_package_exit_2(tmp_path: Path) -> None:
    """A schema that cannot be read: its problems and exit 1; no package at all: exit 2."""
    (tmp_path / "pkg").mkdir()
    build_package(tmp_path / "pkg")
    (tmp_path / "pkg" / "schemas" / "events.json").write_text("{", encoding="utf-8")
    result = CliRunner().invoke(cli, ["dictionary", "--out", str(tmp_path / "d.md"), str(tmp_path / "pkg")])
    assert result.exit_code == 1
    assert "schemas/events.json" in result.output and "invalid JSON" in result.output
    assert not (tmp_path / "d.md").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(cli, ["dictionary", str(empty)])
    assert result.exit_code == 2
    assert "no datapackage.json" in result.output
