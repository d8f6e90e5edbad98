"""What reaches a terminal or a CI log: capped problem lists, control characters escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from kuril_data.cli import cli

from .conftest import FIXTURE_SOURCES, build_package

ESC = "\x1b]0;owned\x07\x1b[2J\x9b31m"


def _many_bad_rows(pkg: Path, n: int) -> None:
    places = pkg / "data" / "places.csv"
    lines = places.read_text(encoding="utf-8").splitlines()
    lines += [f"bad-{i:05d},Bad {i},not-a-kind,,,\n" for i in range(n)]
    places.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def test_problem_list_is_capped_and_counted(tmp_path: Path) -> None:
    """Checking stops at --max-problems: the problems found first are shown and the rest announced as
    "at least N more" in one line (text), one annotation (github) or "more" + "complete": false (json)."""
    pkg = build_package(tmp_path)
    _many_bad_rows(pkg, 3000)
    every = CliRunner().invoke(cli, ["validate", str(pkg), "--max-problems", "0"])
    assert every.exit_code == 1
    all_lines = every.output.splitlines()
    errors, warnings = map(int, re.fullmatch(r"(\d+) error\(s\), (\d+) warning\(s\)", all_lines[-1]).groups())
    total = errors + warnings
    assert errors > 3000 and len(all_lines) == 1 + total + 2  # header, problems, verbatim statement, summary
    result = CliRunner().invoke(cli, ["validate", str(pkg)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert len(lines) == 1 + 1000 + 3  # header, problems, "… and at least N more", verbatim statement, summary
    assert set(lines[1:1001]) <= set(all_lines[1:-2])  # problems of the full run, nothing made up
    assert re.fullmatch(r"… and at least \d+ more problem\(s\) not shown: checking stopped at --max-problems "
                        r"\(raise it, or 0 for all\)", lines[-3])
    assert lines[-2].startswith("verbatim checks NOT run")
    assert re.fullmatch(r"at least \d+ error\(s\), at least \d+ warning\(s\)", lines[-1])
    out = json.loads(CliRunner().invoke(cli, ["validate", str(pkg), "--format", "json",
                                              "--max-problems", "10"]).output)
    assert (len(out["problems"]), out["complete"], out["valid"]) == (10, False, False) and out["more"] >= 1
    github = CliRunner().invoke(cli, ["validate", str(pkg), "--format", "github"]).output.splitlines()
    assert len(github) == 1002 and github[-2].startswith("::warning title=kuril-data::… and at least ")
    assert github[-1].startswith("::warning title=verbatim checks::")
    roomy = CliRunner().invoke(cli, ["validate", str(pkg), "--max-problems", str(total)])
    assert roomy.output == every.output  # a cap the problems fit under changes nothing
    from kuril_data.validate import validate

    report = validate(pkg)  # the library gathers everything; a render limit counts the rest exactly
    assert report.complete and report.to_text(limit=10).splitlines()[10] == (
        f"… and {total - 10} more problem(s) not shown (raise --max-problems, or 0 for all)")


def test_the_verdict_stays_exact_when_checking_stops(tmp_path: Path) -> None:
    """Warnings fill the cap before an error of a later check: checking goes on until that error (exit 1);
    without it the package is valid (exit 0), its warnings a lower bound."""
    pkg = build_package(tmp_path)
    places = pkg / "data" / "places.csv"
    rows = [f"ok-{i:03d},=Place {i},city,,,\n" for i in range(20)]  # formula-like names: warnings, found first
    places.write_text(places.read_text(encoding="utf-8") + "".join(rows), encoding="utf-8")
    with (pkg / "data" / "citations.csv").open("a", encoding="utf-8") as f:
        f.writelines(f"p-ok-{i:03d},,,,ok-{i:03d},src-en,line 3,Moscow\n" for i in range(20))
    clean = CliRunner().invoke(cli, ["validate", str(pkg), "--max-problems", "5"])
    assert clean.exit_code == 0, clean.output
    assert clean.output.splitlines()[-1] == "valid (at least 5 warning(s))"
    with places.open("a", encoding="utf-8") as f:
        f.write("lost,Lost,city,atlantis,,\n")  # a link to nothing: an error of a later check
    full = CliRunner().invoke(cli, ["validate", str(pkg), "--max-problems", "0"])
    assert full.exit_code == 1 and full.output.splitlines()[-1].startswith("2 error(s)")  # the link and its citation
    capped = CliRunner().invoke(cli, ["validate", str(pkg), "--max-problems", "5", "--format", "json"])
    assert capped.exit_code == 1
    out = json.loads(capped.output)
    # the first error past the cap is kept; the checks stop there
    assert (out["valid"], out["complete"], out["stats"]["errors"], len(out["problems"])) == (False, False, 1, 5)
    # the checks may have stopped before the verbatim ones: the statement does not claim they ran
    stopped = CliRunner().invoke(cli, ["validate", str(pkg), "--max-problems", "5", "--sources", str(FIXTURE_SOURCES)])
    assert stopped.output.splitlines()[-2].startswith(
        "verbatim checks NOT (all) run: checking stopped at --max-problems")
    ran = CliRunner().invoke(cli, ["validate", str(pkg), "--max-problems", "0", "--sources", str(FIXTURE_SOURCES)])
    assert ran.output.splitlines()[-2].startswith("verbatim checks ran against 2 source file(s)")


def test_control_characters_are_escaped_in_validate(tmp_path: Path) -> None:
    """An escape sequence in a cell, a key or a field name reaches the terminal escaped, in every format."""
    pkg = build_package(tmp_path)
    places = pkg / "data" / "places.csv"
    places.write_text(places.read_text(encoding="utf-8").replace("moscow,Moscow", f"moscow{ESC},Moscow"),
                      encoding="utf-8")
    schema = pkg / "schemas" / "disagreements.json"
    schema.write_text(schema.read_text(encoding="utf-8").replace('"name": "kind"', f'"name": "kind{ESC}"'.replace(
        "\x1b", "\\u001b").replace("\x07", "\\u0007").replace("\x9b", "\\u009b")), encoding="utf-8")
    for fmt in ("text", "json", "github"):
        out = CliRunner().invoke(cli, ["validate", str(pkg), "--format", fmt]).output
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, fmt
        assert "]0;owned" in out  # shown, escaped


def test_control_characters_are_escaped_in_diff(tmp_path: Path) -> None:
    """diff shows a changed key holding escape codes escaped, in text, markdown and json."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    build_package(old)
    build_package(new)
    places = new / "data" / "places.csv"
    places.write_text(places.read_text(encoding="utf-8").replace("moscow,Moscow", f"moscow{ESC},Mos{ESC}"),
                      encoding="utf-8")
    for fmt in ("text", "markdown", "json"):
        out = CliRunner().invoke(cli, ["diff", str(old), str(new), "--format", fmt]).output
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, fmt
        assert "owned" in out


def test_control_characters_in_the_sources_folder_are_escaped_in_the_verbatim_statement(tmp_path: Path) -> None:
    """The verbatim statement names the sources folder: one holding escape codes in its name is shown
    escaped, in every format, whether the checks ran, found no file, or stopped at the cap."""
    import shutil

    (tmp_path / "pkg").mkdir()
    pkg = build_package(tmp_path / "pkg")
    folder = tmp_path / f"src{ESC}"
    shutil.copytree(FIXTURE_SOURCES, folder)
    empty = tmp_path / f"empty{ESC}"
    empty.mkdir()
    for sources, statement in ((folder, "verbatim checks ran against"), (empty, "verbatim checks NOT run")):
        for fmt in ("text", "json", "github"):
            result = CliRunner().invoke(cli, ["validate", str(pkg), "--sources", str(sources), "--format", fmt])
            assert result.exit_code in (0, 1), result.output
            out = result.output
            assert statement in out, (fmt, out)
            assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out, fmt
            assert "]0;owned" in out and "\\x1b" in out  # the folder is named, escaped
    _many_bad_rows(pkg, 30)
    capped = CliRunner().invoke(cli, ["validate", str(pkg), "--sources", str(folder), "--max-problems", "5"]).output
    assert "verbatim checks NOT (all) run" in capped and "\x1b" not in capped and "\\x1b]0;owned" in capped
