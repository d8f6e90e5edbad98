"""Every GitHub workflow is checked here, so a broken one fails CI now rather than on the first tag:
its shape against GitHub's schema (check-jsonschema) and its security (zizmor, offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def test_there_are_workflows() -> None:
    """The release and compatibility workflows exist beside the pull-request one."""
    assert {"release.yml", "compat.yml", "validate.yml"} <= {w.name for w in WORKFLOWS}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_githubs_schema(workflow: Path) -> None:
    """check-jsonschema --builtin-schema vendor.github-workflows accepts it."""
    done = _run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(workflow))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_zizmor(workflow: Path) -> None:
    """zizmor --offline finds nothing (every action pinned to a commit, least permissions, no injection)."""
    done = _run(str(BIN / "zizmor"), "--offline", "--no-progress", str(workflow))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_broken_workflow_is_caught(tmp_path: Path) -> None:
    """The checks are real: a misspelt key fails the schema, an unpinned action fails zizmor."""
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n",
                   encoding="utf-8")
    assert _run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(bad)).returncode != 0
    unpinned = tmp_path / "unpinned.yml"
    unpinned.write_text("on: push\npermissions: {}\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                        "      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n",
                        encoding="utf-8")
    assert _run(str(BIN / "zizmor"), "--offline", "--no-progress", str(unpinned)).returncode != 0


def test_workflows_run_only_commands_that_exist() -> None:
    """Every `kuril-data` subcommand and `python -m kuril_data.release.describe` action a workflow runs exists."""
    import re

    from kuril_data.cli import cli
    from kuril_data.release import describe

    text = "\n".join(w.read_text(encoding="utf-8") for w in WORKFLOWS)
    used = set(re.findall(r"\.venv/bin/kuril-data ([a-z-]+)", text))
    assert {"release", "validate"} <= used and used <= set(cli.commands), used - set(cli.commands)
    actions = set(re.findall(r"-m kuril_data\.release\.describe ([a-z-]+)", text))
    assert actions == {"check-tag", "notes"}
    assert actions <= set(describe.ACTIONS)
