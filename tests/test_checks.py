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


def _judged_alike(pkg: Path) -> int:
    """Each check with a finder judges its candidates to the same problems, in the same order, as
    it judges every row (the order matters to a run stopped at --max-problems); the number of
    problems compared."""
    package, _ = read_package(pkg)
    assert package is not None
    tables, _ = read_tables(package, arrow=True)
    ctx = Context(package, tables, None)
    compared = 0
    for check in REGISTRY:
        units = list(check.units(ctx))
        for unit, rows in zip(units, check.find_all(ctx, units), strict=True):
            if rows is None:
                continue
            every = list(check.judge(ctx, unit, View(unit.table, None)))
            assert (list(check.judge(ctx, unit, View(unit.table, rows))) if len(rows) else []) == every, check.name
            compared += len(every)
    return compared


@pytest.mark.parametrize("seed", [3, 7])
def test_finders_judge_as_every_row_does(tmp_path: Path, seed: int) -> None:
    """On generated faulty packages, each check's candidates give its problems in the same order."""
    generate(tmp_path / "pkg", 2_000, faults=True, seed=seed)
    assert _judged_alike(tmp_path / "pkg") > 20


def _append(pkg: Path, name: str, *rows: str) -> None:
    path = pkg / "data" / f"{name}.csv"
    path.write_text(path.read_text(encoding="utf-8") + "".join(f"{r}\n" for r in rows), encoding="utf-8")


def _candidates(pkg: Path, check_name: str) -> list[set[int]]:
    """The lines each unit of a check's finder names."""
    package, _ = read_package(pkg)
    assert package is not None
    tables, _ = read_tables(package, arrow=True)
    ctx = Context(package, tables, None)
    check = next(c for c in REGISTRY if c.name == check_name)
    units = list(check.units(ctx))
    return [{u.table.line(i) for i in row_list(r)} for u, r in zip(units, check.find_all(ctx, units), strict=True)]


def test_whole_table_finders_keep_what_their_judgements_compare(tmp_path: Path) -> None:
    """The finders of the whole-table checks narrow to rows that can be reported, and keep what a
    reported row's message needs: a loop's walk from a row before it (Cycles), every account of a
    passage (RepeatedAccount), links not marked inferred (LinkBasis), dated roles (RoleDates),
    repeated composite keys after NFC but not keys with an empty part (PrimaryKey)."""
    pkg = build_package(tmp_path)
    # actors.csv lines 4-10: a chain into a loop (t1 -> c1), two loops, a chain that ends nowhere.
    _append(pkg, "actors", "t1,T,person,c1,", "d1,D1,person,d2,", "d2,D2,person,d1,", "c1,C1,person,c2,",
            "c2,C2,person,c1,", "e1,E1,person,e2,", "e2,E2,person,,")
    # Three accounts of one disagreement: two quote one passage (one excerpt inside the other), the
    # third the same source at another line; lines 4-6 of disagreement_accounts.csv.
    _append(pkg, "citations", "r1,,,gromyko,,src-en,line 9,Gromyko said so",
            "r2,,,gromyko,,src-en,line 9,Gromyko  said so in 1951", "r3,,,gromyko,,src-en,line 10,Gromyko said so")
    _append(pkg, "disagreement_accounts", "ratification-date,r1,x", "ratification-date,r2,y",
            "ratification-date,r3,z")
    # Links: stated, not naming the actor (line 3); inferred without a note (4); inferred with one (5).
    _append(pkg, "event_actors", "joint-declaration-ratification-ussr-1956,gromyko,ratifier,r1,stated,",
            "joint-declaration-ratification-ussr-1956,gromyko,party,r1,inferred,",
            "joint-declaration-ratification-ussr-1956,gromyko,host,r1,inferred,because")
    # Roles: undated (line 3) and dated (line 4).
    _append(pkg, "actor_roles", "gromyko,Minister,,,r1,stated,", "gromyko,Envoy,,1940,r2,stated,")
    # actor_names key (actor, source, name): a repeat after NFC (lines 5-6), a repeat with an empty part (7-8).
    _append(pkg, "actor_names", "gromyko,src-en,Gromyko\u0301,line 9", "gromyko,src-en,Gromyk\u00f3,line 9",
            "gromyko,,Grom,line 9", "gromyko,,Grom,line 9")
    assert _judged_alike(pkg) > 0
    assert _missed(pkg) == []
    cycles = set().union(*_candidates(pkg, "Cycles"))
    assert {4, 5, 6, 7, 8} <= cycles and not {9, 10} & cycles
    reported = check_package(pkg, engine="arrow").report.problems
    assert {p.line for p in reported if p.code == "cycle"} == {5, 7}
    assert _candidates(pkg, "RepeatedAccount") == [{4, 5}]
    assert {p.line for p in reported if p.code == "repeated-account"} == {5}
    links = set().union(*_candidates(pkg, "LinkBasis"))
    assert {3, 4} <= links and 5 not in links
    assert _candidates(pkg, "RoleDates") == [{2, 4}]
    keys = [c for c, unit in zip(_candidates(pkg, "PrimaryKey"), _unit_files(pkg, "PrimaryKey"), strict=True)
            if unit == "data/actor_names.csv"]
    assert keys == [{5, 6}]


def _unit_files(pkg: Path, check_name: str) -> list[str]:
    package, _ = read_package(pkg)
    assert package is not None
    tables, _ = read_tables(package, arrow=True)
    check = next(c for c in REGISTRY if c.name == check_name)
    return [u.table.file for u in check.units(Context(package, tables, None))]


def test_date_bounds_of_an_issued_reply(tmp_path: Path) -> None:
    """The dispatch of a reply is not dated before the document it answers: the DateBounds finder
    keeps it and its judgement looks up the answered document's date (regression: the reply's own
    id was looked up instead, so nothing was reported)."""
    pkg = build_package(tmp_path)
    # The answered note is no event's document: only the reply's lookup reaches its date.
    _append(pkg, "documents", "note-1956,A note,note,1956-10-19,,,,", "reply-1956,A reply,note,1956,,note-1956,,")
    _append(pkg, "events", "reply-dispatch-1956,Dispatch of the reply,dispatch,1956-10,stated,,,reply-1956,,,")
    for engine in ("python", "arrow"):
        found = [(p.file, p.line, p.message) for p in check_package(pkg, engine=engine).report.problems
                 if p.code == "date-vaguer-than-bounds"]
        assert found == [
            ("data/documents.csv", 4, "date 1956 starts before 1956-10-19 (the earliest date of "
             "'note-1956', which this document replies to); put the bound into the date, "
             "e.g. an interval"),
            ("data/events.csv", 4, "date 1956-10 starts before 1956-10-19 (the earliest date of "
             "'note-1956', which 'reply-1956', which it issues, replies to); put the bound into the "
             "date, e.g. an interval")], engine
    assert _judged_alike(pkg) > 0
