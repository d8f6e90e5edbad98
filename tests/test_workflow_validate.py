""".github/workflows/validate.yml: well-formed, secure, and its source-text logic really does what it says.

The source-text step's shell script is taken from the workflow and run here with bash, as the runner
would, in both branches: no mirror (a visible warning in the step summary) and a mirror on
127.0.0.1 (the texts fetched and validate run against them).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import ROOT, seeds_or_skip, serve

WORKFLOW = ROOT / ".github" / "workflows" / "validate.yml"
BIN = Path(sys.executable).parent  # where this venv's kuril-data, zizmor and check-jsonschema live


def steps() -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return {s.get("name") or s["uses"]: s for s in doc["jobs"]["validate"]["steps"]}


def run_step(name: str, env: dict[str, str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str, str]:
    """Run a step's script as GitHub's runner does (`bash -e`), from the repository root; return the
    process, the step summary and the step outputs it wrote."""
    script = steps()[name]["run"].replace(".venv/bin/", f"{BIN}/")
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.touch()
    output.touch()
    full_env = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output),
                "RUNNER_TEMP": str(tmp_path), "KURIL_DATA_CACHE_DIR": str(tmp_path / "cache"), **env}
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=ROOT, env=full_env, capture_output=True, text=True,
                          timeout=300, check=False)
    return proc, summary.read_text(encoding="utf-8"), output.read_text(encoding="utf-8")


def test_every_action_is_pinned_to_a_commit() -> None:
    """Each `uses:` names a full 40-hex commit SHA (with the tag it stands for in a comment)."""
    uses = re.findall(r"uses:\s*(\S+)(.*)", WORKFLOW.read_text(encoding="utf-8"))
    assert uses
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.search(r"# v\d", comment), f"{ref}: say which release the SHA is"


def test_mirror_comes_from_repository_settings_never_the_file() -> None:
    """The mirror URL is a repository secret or variable; no URL is written in the workflow."""
    assert "://" not in WORKFLOW.read_text(encoding="utf-8")
    env = steps()["Source texts from the mirror"]["env"]
    assert env["KURIL_DATA_SOURCES_URL"] == "${{ secrets.KURIL_DATA_SOURCES_URL || vars.KURIL_DATA_SOURCES_URL }}"


def test_validate_and_tests_use_the_fetched_texts() -> None:
    """validate gets --sources with annotations; the tests get CI=true and KURIL_DATA_SOURCES once fetched."""
    s = steps()
    validate = s["Validate (problems appear as annotations on the changed lines)"]
    assert validate["env"]["SOURCES"] == "${{ steps.sources.outputs.folder }}"
    assert 'validate --sources "$SOURCES" --format github' in validate["run"]
    tests = s["Tests"]["env"]
    assert tests["KURIL_DATA_SOURCES"] == "${{ steps.sources.outputs.folder }}"
    assert tests["CI"] == "${{ steps.sources.outputs.folder != '' && 'true' || '' }}"


@pytest.mark.parametrize(("fork", "why"), [
    ("false", "no mirror is configured (repository variable or secret KURIL_DATA_SOURCES_URL)"),
    ("true", "this pull request comes from a fork, which cannot see the repository's mirror secret"),
])
def test_without_a_mirror_the_summary_says_so(fork: str, why: str, tmp_path: Path) -> None:
    """No mirror (or a fork's pull request): the step passes but writes a warning and a step-summary section."""
    proc, summary, output = run_step("Source texts from the mirror",
                                     {"KURIL_DATA_SOURCES_URL": "", "FROM_FORK": fork}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    said = f"Quotations, evidence excerpts and names were NOT checked against the source texts: {why}."
    assert proc.stdout.startswith(f"::warning title=Source texts not checked::{said}")
    assert summary.startswith("## ⚠️ Source texts not checked\n\n" + said)
    assert output == "folder=\n"
    proc, _, _ = run_step("Validate (problems appear as annotations on the changed lines)", {"SOURCES": ""}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("::warning title=verbatim checks::verbatim checks NOT run")


def test_with_a_mirror_the_texts_are_fetched_and_checked(tmp_path: Path) -> None:
    """A mirror configured: the texts are fetched and verified, and validate runs the verbatim checks on them."""
    seeds = seeds_or_skip()
    with serve(seeds) as url:
        proc, summary, output = run_step("Source texts from the mirror",
                                         {"KURIL_DATA_SOURCES_URL": url, "FROM_FORK": "false"}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    folder = tmp_path / "kuril-data-sources"
    assert output == f"folder={folder}\n"
    assert summary.startswith("## Source texts checked")
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in seeds.iterdir() if p.is_file())
    proc, _, _ = run_step("Validate (problems appear as annotations on the changed lines)",
                          {"SOURCES": str(folder)}, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith(
        f"::notice title=verbatim checks::verbatim checks ran against 4 source file(s) in {folder}")


def test_a_tampered_mirror_fails_the_step(tmp_path: Path) -> None:
    """A mirror serving a text that does not match its pinned SHA-256 fails the job (exit 2), nothing kept."""
    mirror = shutil.copytree(seeds_or_skip(), tmp_path / "mirror")
    victim = sorted(mirror.iterdir())[0]
    victim.write_bytes(victim.read_bytes() + b"\n")
    with serve(mirror) as url:
        proc, _, output = run_step("Source texts from the mirror",
                                   {"KURIL_DATA_SOURCES_URL": url, "FROM_FORK": "false"}, tmp_path)
    assert proc.returncode == 2
    assert "checksum mismatch" in proc.stderr
    assert output == ""
    assert not (tmp_path / "kuril-data-sources").exists()


def test_check_jsonschema_accepts_the_workflow() -> None:
    """The workflow has the shape GitHub expects (check-jsonschema's vendored schema, offline)."""
    proc = subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_reports_nothing() -> None:
    """zizmor (offline) finds no security problem in the workflow."""
    proc = subprocess.run([str(BIN / "zizmor"), "--offline", str(WORKFLOW)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout, proc.stdout
