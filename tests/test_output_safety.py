"""What reaches a terminal or a CI log: capped problem lists, control characters escaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from kuril_data.cli import cli

from .conftest import build_package

ESC = "\x1b]0;owned\x07\x1b[2J\x9b31m"


def _many_bad_rows(pkg: Path, n: int) -> None:
    places = pkg / "data" / "places.csv"
    lines = places.read_text(encoding="utf-8").splitlines()
    lines += [f"bad-{i:05d},Bad {i},not-a-kind,,,\n" for i in range(n)]
    places.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")


def test_problem_list_is_capped_and_counted(tmp_path: Path) -> None:
    """Past --max-problems the rest are counted in one line (text), one annotation (github), "more" (json)."""
    pkg = build_package(tmp_path)
    _many_bad_rows(pkg, 3000)
    result = CliRunner().invoke(cli, ["validate", str(pkg)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    errors, warnings = map(int, re.fullmatch(r"(\d+) error\(s\), (\d+) warning\(s\)", lines[-1]).groups())
    total = errors + warnings
    assert errors > 3000
    assert len(lines) == 1 + 1000 + 3  # header, problems, "… and N more", verbatim statement, summary
    assert lines[-3] == f"… and {total - 1000} more problem(s) not shown (raise --max-problems, or 0 for all)"
    assert lines[-2].startswith("verbatim checks NOT run")
    out = json.loads(CliRunner().invoke(cli, ["validate", str(pkg), "--format", "json",
                                              "--max-problems", "10"]).output)
    assert (len(out["problems"]), out["more"]) == (10, total - 10)
    assert out["stats"] == {"errors": errors, "warnings": warnings}
    github = CliRunner().invoke(cli, ["validate", str(pkg), "--format", "github"]).output.splitlines()
    assert len(github) == 1002 and github[-2].startswith("::warning title=kuril-data::… and ")
    assert github[-1].startswith("::warning title=verbatim checks::")
    every = CliRunner().invoke(cli, ["validate", str(pkg), "--max-problems", "0"]).output.splitlines()
    assert len(every) == 1 + total + 2


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
