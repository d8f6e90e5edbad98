"""Reading by blocks and validating in bounded memory (issue 24): the Arrow reader cuts a file into
blocks anywhere and builds the same columns; a run that spills its long-text columns (re-read from
the files block by block) gives exactly the report of a run that holds them; a file that changes
between the passes is reported (exit 2), never mis-validated.

The bounded mode is forced here with a zero threshold and tiny blocks, on small generated packages.
"""

from __future__ import annotations

import importlib
import os
import shutil
from pathlib import Path

import pytest

from kuril_data.io import read
from kuril_data.io.read import FileChanged, read_table
from kuril_data.model.package import read_package
from kuril_data.validate import check

from .conftest import FIXTURE_SOURCES, INVALID, build_package
from .generate import generate

validate_module = importlib.import_module("kuril_data.validate")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("stream") / "clean"
    generate(dest, 2000)
    return dest


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("stream") / "faults"
    generate(dest, 2000, faults=True)
    return dest


def _bounded(monkeypatch: pytest.MonkeyPatch, block: int = 4096, cell: int = 0) -> None:
    """Force the bounded mode: every package spills its columns of `cell` bytes a cell or more; `block`: block size."""
    monkeypatch.setattr(validate_module, "SERIAL_MIN_BYTES", 0)
    monkeypatch.setattr(validate_module, "SPILL_CELL_BYTES", cell)
    monkeypatch.setattr(read, "BLOCK_BYTES", block)


def test_blocks_cut_at_every_position_give_the_same_columns(clean: Path) -> None:
    package, _ = read_package(clean)
    assert package is not None
    resource = package.resource("event_documents")
    assert resource is not None
    size = package.file(resource).stat().st_size
    assert size < 20_000
    python = read_table(package, resource)
    assert not python.problems and python.num_rows > 10
    for block in range(1, size + 2):
        table = read_table(package, resource, arrow=True, block_bytes=block)
        assert table.arrow_read and not table.problems, block
        assert list(table.lines) == python.lines, block
        for name in python.header:
            assert table.array(name).to_pylist() == python.columns[name], (block, name)


def test_spilled_columns_are_re_read_by_block_and_by_row(clean: Path) -> None:
    package, _ = read_package(clean)
    assert package is not None
    resource = package.resource("citations")
    assert resource is not None
    held = read_table(package, resource, arrow=True)
    size = package.file(resource).stat().st_size
    assert not read_table(package, resource, arrow=True, block_bytes=size, spill=40).spilled("evidence")
    for block in (1, 100, 1000, size // 2):
        table = read_table(package, resource, arrow=True, block_bytes=block, spill=40)
        assert table.spilled("evidence") and not table.spilled("citation_id")
        assert "evidence" not in table._arrays and "evidence" in table.columns
        evidence = held.array("evidence").to_pylist()
        parts = list(table.blocks("evidence"))
        assert len(parts) > 1
        assert [v for part in parts for v in part.array("evidence").to_pylist()] == evidence
        assert [part.line(0) for part in parts] == [held.line(sum(p.num_rows for p in parts[:k]))
                                                     for k in range(len(parts))]
        assert table.array("evidence").to_pylist() == evidence  # whole, when a check asks for it
        rows = [len(evidence) - 1, 0, 7, 7, len(evidence) // 2]
        assert table.take("evidence", rows) == [evidence[i] for i in rows]
        assert list(table.blocks("citation_id")) == [table]  # a held column: one block, the table


@pytest.mark.parametrize(("block", "cell"), [(4096, 0), (300, 40), (100_000, 0)])
def test_the_bounded_mode_gives_the_report_of_the_held_mode(faulty: Path, clean: Path, block: int, cell: int,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for package in (faulty, clean):
        held = check(package, engine="arrow")
        assert all(not t._spilled for t in held.tables.values())
        with monkeypatch.context() as m:
            _bounded(m, block, cell)
            bounded = check(package, engine="arrow", hold=False)
        assert any(t._spilled for t in bounded.tables.values())  # the mode did run
        assert bounded.render("json") == held.render("json")
        if package is faulty:
            assert len(held.report.problems) > 30


def test_the_bounded_mode_gives_the_report_of_the_held_mode_on_every_fixture(tmp_path: Path,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cases = sorted(p for p in INVALID.iterdir() if (p / "expect.json").is_file())
    assert len(cases) > 50
    spilled = 0
    for case in [None, *cases]:
        package = tmp_path / (case.name if case else "valid")
        package.mkdir()
        build_package(package, case)
        held = check(package, engine="arrow", sources=FIXTURE_SOURCES).render("json")
        with monkeypatch.context() as m:
            _bounded(m, 64)
            bounded = check(package, engine="arrow", hold=False, sources=FIXTURE_SOURCES)
        spilled += any(t._spilled for t in bounded.tables.values())
        assert bounded.render("json") == held, package.name
    assert spilled > 40


def _rereads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[str, ...]]]:
    """Every (file, columns) the run re-reads whole from a file after the first pass (not the
    reads of a spilled column at some rows, `Table.take`)."""
    seen: list[tuple[str, tuple[str, ...]]] = []
    first_pass = read.Blocks.read

    def again(self: read.Blocks, file: str, names: list[str], rows: object = None) -> object:
        if rows is None:
            seen.append((file, tuple(names)))
        return first_pass(self, file, names, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(read.Blocks, "read", again)
    return seen


def test_spilled_text_is_judged_as_it_is_read(faulty: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """At any size the validate path holds no long text: the cells of the spilled columns are judged
    block by block in the one pass, so no file is read twice for them; same report as held."""
    held = check(faulty, engine="arrow").render("json")
    rereads = _rereads(monkeypatch)
    for block in (4096, read.BLOCK_BYTES):  # many blocks a file; one (files of one block spill too)
        monkeypatch.setattr(read, "BLOCK_BYTES", block)
        rereads.clear()
        bounded = check(faulty, engine="arrow", hold=False)
        assert bounded.render("json") == held
        spilled = {(t.file, name) for t in bounded.tables.values() for name in t._spilled}
        assert ("data/citations.csv", "evidence") in spilled and ("data/quotations.csv", "text") in spilled
        # What is still re-read whole: LinkBasis's finder reads the link tables' notes.
        assert set(rereads) <= {("data/event_actors.csv", ("note",)), ("data/document_actors.csv", ("note",))}


def test_a_unit_over_the_cap_is_judged_again_by_re_reading(clean: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Judging as read keeps at most --max-problems + 1 problems of a unit; a unit with more is
    judged again from the file when the run reaches it (past the cap the run still looks for an
    error among warnings), so the report is always the held mode's."""
    package = tmp_path / "pkg"
    shutil.copytree(clean, package)
    path = package / "data" / "citations.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # Trailing white space in the evidence (the last column, not quoted) of 40 rows: 40 `whitespace` problems.
    assert lines[0].rstrip("\n").split(",")[-1] == "evidence"
    plain = [i for i, line in enumerate(lines) if i and '"' not in line][:40]
    assert len(plain) == 40
    for i in plain:
        lines[i] = lines[i].rstrip("\n") + " \n"
    path.write_text("".join(lines), encoding="utf-8")
    monkeypatch.setattr(read, "BLOCK_BYTES", 4096)
    rereads = _rereads(monkeypatch)
    for cap, again in ((5, True), (39, False), (100, False), (None, False)):
        held = check(package, engine="arrow", max_problems=cap)
        rereads.clear()
        bounded = check(package, engine="arrow", hold=False, max_problems=cap)
        assert bounded.render("json") == held.render("json"), cap
        assert (("data/citations.csv", ("evidence",)) in rereads) == again, cap
    assert sum(p.code == "whitespace" for p in bounded.report.problems) == 40


def test_only_the_validate_path_spills(faulty: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _bounded(monkeypatch)
    assert all(not t._spilled for t in check(faulty, engine="arrow").tables.values())  # writers hold their tables
    assert all(not t._spilled for t in check(faulty, engine="arrow", hold=False, rules=False).tables.values())


@pytest.mark.parametrize("change", ["append", "same-size"])
def test_a_file_changed_between_passes_is_reported(clean: Path, tmp_path: Path, change: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    package = tmp_path / "pkg"
    shutil.copytree(clean, package)
    citations = package / "data" / "citations.csv"
    real = validate_module.read_tables

    def read_then_change(*args: object, **kwargs: object) -> object:
        tables = real(*args, **kwargs)
        if change == "append":
            with citations.open("a", encoding="utf-8") as f:
                f.write(f"cit-zzz,{'x,' * 7}x\n")
        else:  # the same bytes written again, later: the same size, another modification time
            stat = citations.stat()
            os.utime(citations, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        return tables

    _bounded(monkeypatch)
    monkeypatch.setattr(validate_module, "read_tables", read_then_change)
    with pytest.raises(FileChanged, match=r"data/citations.csv: the file changed while it was being validated"):
        check(package, engine="arrow", hold=False)


def test_a_changed_file_exits_2_from_the_cli(clean: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from click.testing import CliRunner

    from kuril_data.cli import cli

    package = tmp_path / "pkg"
    shutil.copytree(clean, package)
    real = validate_module.read_tables

    def read_then_truncate(*args: object, **kwargs: object) -> object:
        tables = real(*args, **kwargs)
        (package / "data" / "quotations.csv").write_text("", encoding="utf-8")
        return tables

    _bounded(monkeypatch)
    monkeypatch.setattr(validate_module, "ARROW_MIN_BYTES", 0)  # the CLI picks the engine by size
    monkeypatch.setattr(validate_module, "read_tables", read_then_truncate)
    result = CliRunner().invoke(cli, ["validate", str(package)])
    assert result.exit_code == 2, result.output
    assert "data/quotations.csv: the file changed while it was being validated" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("block", [1, 64, 1 << 20])
def test_blank_rows_and_long_cells_are_told_in_any_block(clean: Path, tmp_path: Path, block: int) -> None:
    """Arrow reads only a file with no blank row and no cell over the limit: a row empty in its
    first column only is read; a blank row or a long cell in a later block leaves the file to the
    Python reader, which names its line, as it does when the whole file is one block."""
    shutil.copytree(clean, tmp_path / "ok")
    package, _ = read_package(tmp_path / "ok")
    assert package is not None
    resource = package.resource("event_documents")
    assert resource is not None
    path = package.file(resource)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) > 3
    width = len(resource.schema.names)

    first_empty = [*lines[:2], "," + lines[2].split(",", 1)[1], *lines[3:]]
    path.write_text("".join(first_empty), encoding="utf-8")
    table = read_table(package, resource, arrow=True, block_bytes=block)
    assert table.arrow_read and not table.problems
    assert table.array(resource.schema.names[0]).to_pylist()[1] == ""

    blank = [*lines, "," * (width - 1) + "\n", *lines[1:2]]
    path.write_text("".join(blank), encoding="utf-8")
    table = read_table(package, resource, arrow=True, block_bytes=block)
    assert not table.arrow_read
    assert [(p.code, p.line) for p in table.problems] == [("blank-row", len(lines) + 1)]

    path.write_text("".join(lines), encoding="utf-8")
    longest = max(len(cell) for line in lines[1:] for cell in line.rstrip("\n").split(","))
    table = read_table(package, resource, read.Limits(max_cell_bytes=longest - 1), arrow=True, block_bytes=block)
    assert not table.arrow_read and [p.code for p in table.problems] == ["cell-too-large"]
    assert read_table(package, resource, read.Limits(max_cell_bytes=longest), arrow=True,
                      block_bytes=block).arrow_read
