"""Work per input is bounded (issue 15, items 3-6): hostile patterns, long part_of chains, runs of
combining marks and long EDTF values give a located problem or a correct result, in both engines.

Small inputs only: the sizes these would take minutes at are timed (two sizes, their ratio) in
benchmarks/hostile.py, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kuril_data.fmt import canonical_bytes
from kuril_data.io.read import read_table
from kuril_data.model.package import read_package
from kuril_data.report import Problem
from kuril_data.validate import check

from .conftest import build_package

ENGINES = ("python", "arrow")


def _problems(pkg: Path, code: str | None = None) -> tuple[Problem, ...]:
    """The problems (of one code) found by both engines, which must agree."""
    found = [check(pkg, engine=engine).report.problems for engine in ENGINES]
    assert found[0] == found[1]
    return tuple(p for p in found[0] if code is None or p.code == code)


def _set_pattern(pkg: Path, resource: str, field: str, pattern: str) -> None:
    path = pkg / "schemas" / f"{resource}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] == field:
            f.setdefault("constraints", {})["pattern"] = pattern
    path.write_text(json.dumps(schema, indent=2), encoding="utf-8")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_nested_quantifier_pattern_is_matched_in_linear_time(tmp_path: Path) -> None:
    """`^(a+)+$` against 41 a's and a '!' (minutes with a backtracking engine) is a pattern problem."""
    pkg = build_package(tmp_path)
    _set_pattern(pkg, "events", "note", "^(a+)+$")
    _edit(pkg / "data" / "events.csv", "moscow,,\n", "moscow,," + "a" * 41 + "!\n")
    found = _problems(pkg, "pattern")
    assert [(p.file, p.line, p.field) for p in found] == [("data/events.csv", 2, "note"),
                                                          ("data/events.csv", 3, "note")]
    assert found[1].message == f'"{"a" * 41}!" does not match the pattern ^(a+)+$'


@pytest.mark.parametrize("pattern", [r"^(a)\1$", r"^(?=a)a$", r"^a{1000}{1000}$"])
def test_pattern_the_linear_engine_cannot_run_is_refused_with_its_place(tmp_path: Path, pattern: str) -> None:
    """Backreferences, lookaround and patterns past RE2's budget are schema problems naming file and field."""
    pkg = build_package(tmp_path)
    _set_pattern(pkg, "events", "note", pattern)
    report = check(pkg).report
    located = [(p.file, p.field) for p in report.problems if p.code == "schema-error"]
    assert ("schemas/events.json", "note") in located
    message = next(p.message for p in report.problems if p.code == "schema-error")
    assert "regular expression" in message or "RE2" in message


def _places(pkg: Path, rows: list[tuple[str, str]]) -> None:
    lines = ["place_id,name,kind,part_of,part_of_citation_id,description"]
    lines += [f"{pid},Place {pid},island,{parent},," for pid, parent in rows]
    (pkg / "data" / "places.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_long_part_of_chain_without_a_loop_has_no_cycle(tmp_path: Path) -> None:
    """A chain of 2,000 places (cubic before: 30 s) is walked once: no cycle."""
    pkg = build_package(tmp_path)
    chain = [(f"p{i:05d}", f"p{i + 1:05d}" if i < 1_999 else "") for i in range(2_000)]
    _places(pkg, [*chain, ("moscow", ""), ("kuril-islands", ""), ("shikotan", "kuril-islands")])
    assert _problems(pkg, "cycle") == ()


def test_each_loop_is_reported_once_from_its_first_row(tmp_path: Path) -> None:
    """A loop is named once, starting from its member that comes first in the table, at that row;
    a chain leading into it and a self-link are named as they are."""
    pkg = build_package(tmp_path)
    rows = [("lead", "c"), ("b", "c"), ("a", "b"), ("c", "a"), ("self", "self"),
            ("moscow", ""), ("kuril-islands", ""), ("shikotan", "kuril-islands")]
    _places(pkg, rows)
    found = _problems(pkg, "cycle")
    assert [(p.line, p.message) for p in found] == [
        (3, "part_of links loop back: b → c → a → b"),
        (6, "part_of links loop back: self → self"),
    ]


def test_many_loops_are_each_located_once(tmp_path: Path) -> None:
    """2,000 places that are each part of themselves: 2,000 cycles, each at its own line (finding
    a loop's line is a lookup, not a scan of the table per loop)."""
    pkg = build_package(tmp_path)
    _places(pkg, [(f"p{i:05d}", f"p{i:05d}") for i in range(2_000)]
            + [("moscow", ""), ("kuril-islands", ""), ("shikotan", "kuril-islands")])
    found = _problems(pkg, "cycle")
    assert [p.line for p in found] == list(range(2, 2_002))
    assert found[-1].message == "part_of links loop back: p01999 → p01999"


def test_run_of_combining_marks_is_a_located_problem_before_normalising(tmp_path: Path) -> None:
    """A key of 10,000 alternating U+0301 U+0323 (quadratic to normalise) is reported where it is;
    keys and fmt leave it as it is instead of normalising it."""
    pkg = build_package(tmp_path)
    key = "gromyko" + "\u0301\u0323" * 5_000
    _edit(pkg / "data" / "actors.csv", "gromyko,A.", key + ",A.")
    found = _problems(pkg, "combining-run")
    assert [(p.file, p.line, p.field) for p in found] == [("data/actors.csv", 2, "actor_id")]
    assert found[0].message == "has 10000 combining marks in a row at position 8; at most 30 may follow one another"
    package, _ = read_package(pkg)
    assert package is not None
    actors = read_table(package, package.resource("actors"))  # type: ignore[arg-type]
    assert key.encode() in canonical_bytes(actors)


def test_long_edtf_value_fails_its_length_and_never_reaches_the_parser(tmp_path: Path) -> None:
    """A date that is a set of 1,500 members (a minute in the EDTF grammar) is a length problem,
    and the date-order rules do not parse it either."""
    pkg = build_package(tmp_path)
    huge = "{" + ",".join(f"1956-10-{1 + i % 28:02d}" for i in range(1_500)) + "}"
    _edit(pkg / "data" / "events.csv", "signing,1956-10-19,", f'signing,"{huge}",')
    found = _problems(pkg)
    assert [(p.code, p.line, p.field) for p in found if p.file == "data/events.csv"] == [("length", 3, "date")]


def test_edtf_library_debris_neither_crashes_nor_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`1956-1X` made the EDTF library raise AttributeError (an internal error) and print to stdout."""
    pkg = build_package(tmp_path)
    _edit(pkg / "data" / "events.csv", "signing,1956-10-19,", "signing,1956-1X,")
    found = _problems(pkg, "edtf")
    assert [(p.line, p.field) for p in found] == [(3, "date")]
    assert capsys.readouterr().out == ""
