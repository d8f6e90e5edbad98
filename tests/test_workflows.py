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
    """The release and compatibility workflows exist beside the pull-request one (Pages is the release's job)."""
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
    """Every `kuril-data` subcommand and `python -m kuril_data.release.*` action a workflow runs, itself or
    through the scripts it calls, exists; and each script a workflow calls is in the repository."""
    import re

    from kuril_data.cli import cli
    from kuril_data.release import describe

    text = "\n".join(w.read_text(encoding="utf-8") for w in WORKFLOWS)
    scripts = set(re.findall(r"\bscripts/[\w.-]+", text))
    assert {"scripts/release-check.sh", "scripts/release-build.sh"} <= scripts
    assert all((ROOT / s).is_file() for s in scripts), scripts
    text += "\n".join((ROOT / s).read_text(encoding="utf-8") for s in scripts)
    used = set(re.findall(r"(?:\.venv/bin/kuril-data|-m kuril_data) ([a-z-]+)", text))
    assert {"release", "validate", "fmt", "sources"} <= used and used <= set(cli.commands), used - set(cli.commands)
    actions = set(re.findall(r"-m kuril_data\.release\.describe ([a-z-]+)", text))
    assert actions == {"check-tag", "notes"}
    assert actions <= set(describe.ACTIONS)
    assert set(re.findall(r"-m kuril_data\.release\.registry ([a-z-]+)", text)) == {"pin"}


def test_pages_deploys_the_release_folder_after_publishing() -> None:
    """release.yml deploys to GitHub Pages, once the GitHub Release and PyPI jobs succeeded, the folder
    scripts/release-build.sh lays out as pages/ (the release folder: its site/ and the files its download
    links name; the rehearsal follows every link); no other workflow deploys Pages."""
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8"))
    assert workflow[True]["push"]["tags"] == ["v*"]  # YAML reads the key `on` as True
    jobs = workflow["jobs"]
    upload = next(s for s in jobs["build"]["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "out/pages"
    assert 'cp -r "$out/a/$name" "$out/pages"' in (ROOT / "scripts" / "release-build.sh").read_text(encoding="utf-8")
    assert jobs["pages"]["needs"] == ["github-release", "pypi"]
    assert jobs["pages"]["environment"]["name"] == "github-pages"
    others = [w.name for w in WORKFLOWS if w.name != "release.yml" and "deploy-pages" in w.read_text(encoding="utf-8")]
    assert others == []


def test_the_publish_action_supports_metadata_2_4() -> None:
    """pypa/gh-action-pypi-publish is pinned to v1.14.2 (twine 7.0.0, which accepts Metadata-Version 2.4), and
    the twine that `release-build.sh` checks with is that one."""
    text = (ROOT / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    assert "pypa/gh-action-pypi-publish@dc37677b2e1c63e2034f94d8a5b11f265b73ba33  # v1.14.2" in text
    assert "twine==7.0.0" in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
