"""Documentation that cannot drift: every problem code and command is described in the CLI reference
(docs/cli.md, linked from the README), and every relative link of the docs leads somewhere."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kuril_data.cli import cli
from kuril_data.report import CODES

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
CLI_DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
SECURITY = (ROOT / "SECURITY.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(CODES))
def test_readme_lists_every_problem_code(code: str) -> None:
    """The CLI reference's table of checks names every problem code the validator can report."""
    assert f"`{code}`" in CLI_DOC


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_readme_shows_every_command(command: str) -> None:
    """Each kuril-data command appears in the CLI reference with its usage, and the README links it."""
    assert f"kuril-data {command}" in CLI_DOC
    assert "(docs/cli.md)" in README


def test_cli_reference_is_generated_from_the_commands() -> None:
    """docs/cli.md's usage lines, option tables and list of problem codes are what
    scripts/cli_reference.py generates from the click commands and report.CODES: they cannot drift."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr


def test_cli_reference_check_fails_on_a_stale_doc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is not vacuous: a doc whose generated block differs from --help is reported stale."""
    spec = importlib.util.spec_from_file_location("cli_reference", ROOT / "scripts" / "cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    stale = tmp_path / "cli.md"
    stale.write_text(CLI_DOC.replace("| `--out FILE` |", "| `--out PATH` |"),
                     encoding="utf-8")
    monkeypatch.setattr(module, "DOC", stale)
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0 and stale.read_text(encoding="utf-8") == CLI_DOC


@pytest.mark.parametrize("option", ["--max-file-bytes", "--max-cell-bytes", "--max-cells-per-row", "--max-rows"])
def test_security_lists_every_limit(option: str) -> None:
    """SECURITY.md documents every configurable limit."""
    assert f"`{option}`" in SECURITY
    params = {o for p in cli.commands["validate"].params for o in getattr(p, "opts", [])}
    assert option in params


DOCS = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_lead_to_files(doc) -> None:  # type: ignore[no-untyped-def]
    """Every relative link (file or file#anchor) of the README, CONTRIBUTING, SECURITY and docs/ names
    an existing file, and an anchor names a heading of it: the moved text left no dead link."""
    text = doc.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # an absolute URL
        path, _, anchor = target.partition("#")
        linked = (doc.parent / path).resolve() if path else doc
        assert linked.is_file(), f"{doc.name}: link {target} leads nowhere"
        if anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", linked.read_text(encoding="utf-8"), flags=re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
            assert anchor in slugs, f"{doc.name}: link {target}: no such heading"


def test_reliability_compare_runs_and_names_the_readings_relative_to_the_repository() -> None:
    """docs/reliability.md quotes this script's output: it must run on the current layout and not
    print the absolute path of whichever checkout ran it."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "reliability_compare.py")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "data: working tree; readings: docs/reliability"
    assert any(line.split()[:3] == ["field", "agree", "of"] for line in lines)
