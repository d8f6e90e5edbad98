"""Parity with the reference implementation: everything `frictionless validate` reports on a
broken fixture, our validator reports too (same kind of problem, same file and line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kuril_data import validate

from .conftest import INVALID, build_package

LABEL = {"header-mismatch"}
# frictionless error type -> the codes of ours that cover it
COVERS: dict[str, set[str]] = {
    "type-error": {"type-error", "edtf"},
    "constraint-error": {"required", "enum", "pattern", "length", "range", "unique"},
    "unique-error": {"unique", "primary-key"},
    "primary-key": {"primary-key", "required", "blank-row"},
    "foreign-key": {"foreign-key"},
    "extra-cell": {"extra-cell"},
    "missing-cell": {"missing-cell"},
    "blank-row": {"blank-row"},
    "incorrect-label": LABEL, "extra-label": LABEL, "missing-label": LABEL,
    "duplicate-label": LABEL, "blank-label": LABEL,
    "encoding-error": {"encoding-error"},
    "source-error": {"file-missing", "empty-file", "csv-syntax", "encoding-error", "unsafe-path"},
    "scheme-error": {"unsafe-path", "file-missing"},
    "format-error": {"csv-syntax", "empty-file"},
    "schema-error": {"schema-error"}, "field-error": {"schema-error"},
    "package-error": {"descriptor-error", "unsafe-path", "schema-error"},
    "resource-error": {"descriptor-error", "unsafe-path", "schema-error", "file-missing"},
}
ROW_LEVEL = {"type-error", "constraint-error", "unique-error", "primary-key", "foreign-key",
             "extra-cell", "missing-cell", "blank-row"}
UNREADABLE = {"csv-syntax", "encoding-error", "file-missing"}
CASES = sorted(p for p in INVALID.iterdir()
               if p.is_dir() and not json.loads((p / "expect.json").read_text()).get("sources"))


def _frictionless_errors(pkg: Path) -> list[tuple[str, str, int | None, str | None]]:
    from frictionless import Package

    try:
        report = Package(str(pkg / "datapackage.json")).validate()
    except Exception as exc:  # the reference raises on some broken descriptors
        return [("package-error", "datapackage.json", None, str(exc))]
    found = []
    for task in report.tasks:
        for error in task.errors:
            found.append((error.type, task.place, getattr(error, "row_number", None),
                          getattr(error, "field_name", None)))
    for error in report.errors:
        found.append((error.type, "datapackage.json", None, None))
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_we_report_everything_frictionless_reports(case: Path, tmp_path: Path) -> None:
    """Each frictionless error on the fixture has a matching problem of ours."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg, case)
    ours = validate(pkg).problems
    for ftype, place, row, field in _frictionless_errors(pkg):
        codes = COVERS.get(ftype)
        assert codes is not None, f"frictionless error type {ftype!r} has no mapping"
        if ftype in ROW_LEVEL and row is not None:
            # A file we stop reading at a syntax error covers every row error after that line.
            match = [p for p in ours if p.file.endswith(place) and p.line is not None and (
                (p.code in codes and p.line == row) or (p.code == "csv-syntax" and p.line <= row))]
        else:
            match = [p for p in ours if p.code in codes]
        if ftype == "foreign-key" and not match:
            # Frictionless reads on past an unbalanced quote and then misses the swallowed rows'
            # keys; we stop at the quote and say so, and do not check links into that file.
            match = [p for p in ours if p.code in UNREADABLE]
        assert match, f"frictionless reports {ftype} at {place}:{row} ({field}); we report {ours}"
