"""The check registry: each rule defined once, and its finder (which narrows the rows the judgement
reads on large packages) never leaves out a row the judgement reports.

Both engines run the same judgements, so their reports can differ only if a finder misses a row;
these tests hold every finder to that on generated faulty packages and random edits. (The two
engines' reports are also compared end to end in test_arrow_rules.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuril_data.io.read import Table
from kuril_data.model.package import read_package
from kuril_data.report import CODES, Problem
from kuril_data.validate import check as check_package
from kuril_data.validate import gather, read_tables
from kuril_data.validate.checks import REGISTRY, Check, View
from kuril_data.validate.checks.base import CHUNK, Chunked, Context, row_list

from .conftest import FIXTURE_SOURCES, INVALID, build_package
from .generate import generate

FIXTURE_CASES = sorted(p for p in INVALID.iterdir() if p.is_dir())


def _missed(pkg: Path, sources: Path | None = None) -> list[str]:
    """Every reported row of every check that its finder did not name, as 'check: file:line'."""
    package, _ = read_package(pkg)
    if package is None:
        return []  # no package, no checks run (the descriptor's problems are reported instead)
    tables, _ = read_tables(package, arrow=True)
    ctx = Context(package, tables, sources)
    for table in tables.values():
        for name in table.resource.schema.names:
            table.array(name)
    missed = []
    for check in REGISTRY:
        units = list(check.units(ctx))
        found = check.find_all(ctx, units)
        for unit, rows in zip(units, found, strict=True):
            reported = {p.line for p in check.judge(ctx, unit, View(unit.table, None))}
            if rows is None:
                continue  # no finder: every row is judged
            named = {unit.table.line(i) for i in row_list(rows)}
            missed += [f"{check.name}: {unit.table.file}:{line}" for line in sorted(reported - named, key=str)]
    return missed


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[c.name for c in FIXTURE_CASES])
def test_finders_miss_no_row_of_a_broken_fixture(case: Path, tmp_path: Path) -> None:
    """On each broken fixture, each finder names every row its check reports."""
    assert _missed(build_package(tmp_path, case), FIXTURE_SOURCES) == []


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_finders_miss_no_injected_fault(tmp_path: Path, seed: int) -> None:
    """On generated packages with a fault of every code, each finder names every row its check reports."""
    generate(tmp_path / "pkg", 2_000, faults=True, seed=seed)
    assert _missed(tmp_path / "pkg") == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 10_000), insert=st.sampled_from(
    [b'"', b",", b"\n", b" ", b"\x00", b"\xcc\x81", b"=", b"-", "\u200b".encode(),
     b"x", b"\n\n", b'""', b"/", b"?", b"1956-13", b"-02-30"]), delete=st.integers(0, 5), name=st.sampled_from(
    ["events.csv", "citations.csv", "actors.csv", "quotations.csv", "documents.csv", "places.csv"]))
def test_finders_miss_no_row_after_random_edits(tmp_path_factory: pytest.TempPathFactory, cut: int,
                                                insert: bytes, delete: int, name: str) -> None:
    """Random small edits of a valid data file: each finder still names every row its check reports."""
    pkg = build_package(tmp_path_factory.mktemp("pkg"))
    path = pkg / "data" / name
    data = path.read_bytes()
    at = cut % (len(data) + 1)
    path.write_bytes(data[:at] + insert + data[at + delete:])
    assert _missed(pkg, FIXTURE_SOURCES) == []


def test_every_message_is_declared_once_with_a_known_code() -> None:
    """Each check declares its messages; every code is a documented one, and no template is written twice."""
    templates = [(m.code, m.template) for check in REGISTRY for m in check.messages]
    assert len(templates) == len(set(templates))
    assert all(check.messages for check in REGISTRY)
    assert {m.code for check in REGISTRY for m in check.messages} <= set(CODES)


def test_a_check_needs_no_finder() -> None:
    """A check without a finder is judged on every row by both engines."""
    class Nothing(Check):
        pass

    assert Nothing().find is None
    assert Nothing().find_all(None, [1, 2]) == [None, None]  # type: ignore[arg-type]


def test_chunked_reads_like_the_list_it_stands_for() -> None:
    """The judgements' candidate values are built a chunk at a time; read in any order, they are the list."""
    made: list[tuple[int, int]] = []

    def make(a: int, b: int) -> list[int]:
        made.append((a, b))
        return [i * 3 for i in range(a, b)]

    n = 2 * CHUNK + 5
    seq = Chunked(n, make)
    assert len(seq) == n and not made  # nothing is built before it is read
    assert seq[0] == 0 and seq[-1] == 3 * (n - 1) and seq[CHUNK] == 3 * CHUNK
    assert seq[n - 3:] == [3 * i for i in range(n - 3, n)]
    assert list(seq) == [3 * i for i in range(n)]
    assert list(zip(seq, range(4), strict=False)) == [(0, 0), (3, 1), (6, 2), (9, 3)]
    with pytest.raises(IndexError):
        seq[n]


def test_a_capped_run_builds_only_the_values_it_judges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --max-problems, the Arrow engine keeps candidates as row indices and reads their values
    a chunk at a time: on 3 chunks of bad rows it stops within the first chunk (issue 15: 1 M bad
    rows in --format github stay under 256 MB)."""
    pkg = build_package(tmp_path)
    rows = 3 * CHUNK
    with (pkg / "data" / "places.csv").open("a", encoding="utf-8") as f:
        f.writelines(f"BAD {i},\x1b[31m ,nowhere,missing-{i},,\n" for i in range(rows))
    taken: list[int] = []
    take = Table.take

    def counting(self: Table, name: str, which: list[int]) -> list[str]:
        taken.append(len(which))
        return take(self, name, which)

    monkeypatch.setattr(Table, "take", counting)
    capped = check_package(pkg, engine="arrow", max_problems=50)
    assert not capped.report.complete and not capped.report.valid
    assert 50 <= len(capped.report.problems) <= 51
    assert sum(taken) <= 2 * CHUNK, taken  # the values of the first chunk, not of 3 * CHUNK candidates
    # The capped problems are problems of the full run (same judgements).
    monkeypatch.setattr(Table, "take", take)
    full = check_package(pkg, engine="arrow")
    assert len(full.report.problems) > 3 * rows
    assert set(capped.report.problems) <= set(full.report.problems)


def test_checks_side_by_side_report_what_one_thread_reports(tmp_path: Path) -> None:
    """The Arrow engine runs the checks on several threads; the problems, and their order, are
    those of a single-threaded run (a faulty generated package: a problem of every code)."""
    from kuril_data.validate.checks.base import run

    generate(tmp_path / "pkg", 3_000, faults=True, seed=5)
    package, _ = read_package(tmp_path / "pkg")
    assert package is not None
    tables, _ = read_tables(package, arrow=True)
    one = list(run(REGISTRY, Context(package, tables), "arrow", workers=1))
    assert len({p.code for p in one}) > 20
    for _ in range(3):
        assert list(run(REGISTRY, Context(package, tables), "arrow", workers=4)) == one
        # lazy (--max-problems): judged in order while the next checks' candidates are found
        assert list(run(REGISTRY, Context(package, tables), "arrow", workers=3, lazy=True)) == one
    for cap in (1, 10, 40):
        capped: list[Problem] = []
        gather(run(REGISTRY, Context(package, tables), "arrow", workers=3, lazy=True), capped, cap)
        alone: list[Problem] = []
        gather(run(REGISTRY, Context(package, tables), "arrow", workers=1, lazy=True), alone, cap)
        assert capped == alone and capped[:cap] == one[:cap]


def test_edtf_debris_stays_quiet_with_checks_on_threads(capsys: pytest.CaptureFixture[str]) -> None:
    """dates.parse hides the EDTF library's prints by swapping sys.stdout; with checks on several
    threads two swaps overlapping once let debris through and could leave sys.stdout a StringIO."""
    import sys
    from concurrent.futures import ThreadPoolExecutor

    from kuril_data.model import dates

    before = sys.stdout
    values = [f"{year}-1X" for year in range(1000, 1800)]  # each prints debris; distinct: no cache hit

    def refused(value: str) -> bool:
        try:
            dates.parse(value)
        except dates.EDTFError:
            return True
        return False

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(refused, values))
    assert sys.stdout is before
    assert capsys.readouterr().out == ""
