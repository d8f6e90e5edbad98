"""The validator on the valid fixture and on one broken fixture per problem code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kuril_data import Problem, Report, validate
from kuril_data.report import CODES
from kuril_data.validate.checks import REGISTRY

from .conftest import FIXTURE_SOURCES, INVALID, build_package

CASES = sorted(p for p in INVALID.iterdir() if p.is_dir())


def test_valid_fixture_is_clean(valid_package: Path) -> None:
    """The valid fixture passes every rule, including the verbatim checks against its sources."""
    report = validate(valid_package, sources=FIXTURE_SOURCES)
    assert report.problems == ()
    assert report.valid


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_fixture_reports_its_code_file_and_line(case: Path, tmp_path: Path) -> None:
    """Each broken fixture is reported with exactly the expected code, file, line and field."""
    expect = json.loads((case / "expect.json").read_text(encoding="utf-8"))
    pkg = _build(tmp_path, case)
    report = validate(pkg, sources=FIXTURE_SOURCES if expect.get("sources") else None)
    matching = [p for p in report.problems if p.code == expect["code"]]
    assert matching, f"no {expect['code']} problem; got {report.problems}"
    located = [(p.file, p.line, p.field) for p in matching]
    assert (expect["file"], expect["line"], expect["field"]) in located
    if "message" in expect:
        assert expect["message"] in [p.message for p in matching]
    severity = expect.get("severity", "error")
    assert matching[0].severity == severity
    assert report.valid is (severity == "warning")


def _build(tmp_path: Path, case: Path) -> Path:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    return build_package(pkg, case)


# Codes whose inputs are too large for fixture files; test_hostile.py covers them.
LIMIT_CODES = {"file-too-large", "cell-too-large", "too-many-cells", "too-many-rows"}


def test_every_problem_code_has_a_broken_fixture() -> None:
    """Every problem code is pinned down by a broken fixture or a dedicated test."""
    missing = set(CODES) - {c.name for c in CASES} - LIMIT_CODES
    assert not missing, f"problem codes without a broken fixture: {sorted(missing)}"


def test_report_serialises_problems_in_stable_order() -> None:
    """Reports sort problems by file, line and field, and drop exact duplicates."""
    a = Problem("data/b.csv", 2, "x", "required", "a value is required")
    b = Problem("data/a.csv", 9, "y", "enum", "bad")
    report = Report.of([a, b, a])
    assert report.problems == (b, a)
    assert report.to_dict()["stats"] == {"errors": 2, "warnings": 0}
    assert report.to_text().splitlines()[0] == "data/a.csv:9: y: bad [enum]"


def test_rules_are_registered_once() -> None:
    assert len({type(c) for c in REGISTRY}) == len(REGISTRY)
