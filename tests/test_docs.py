"""Documentation that cannot drift: every problem code and command is described in the README."""

from __future__ import annotations

import pytest

from kuril_data.cli import cli
from kuril_data.report import CODES

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
SECURITY = (ROOT / "SECURITY.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("code", sorted(CODES))
def test_readme_lists_every_problem_code(code: str) -> None:
    """The README's table of checks names every problem code the validator can report."""
    assert f"`{code}`" in README


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_readme_shows_every_command(command: str) -> None:
    """Each kuril-data command appears in the README with its usage."""
    assert f"kuril-data {command}" in README


@pytest.mark.parametrize("option", ["--max-file-bytes", "--max-cell-bytes", "--max-cells-per-row", "--max-rows"])
def test_security_lists_every_limit(option: str) -> None:
    """SECURITY.md documents every configurable limit."""
    assert f"`{option}`" in SECURITY
    params = {o for p in cli.commands["validate"].params for o in getattr(p, "opts", [])}
    assert option in params
