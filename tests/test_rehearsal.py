"""The release rehearsal (scripts/rehearse_release.py): the whole publication chain of this repository's
committed HEAD on a scratch clone, with a real package index and release mirror on 127.0.0.1 — and proof
that it fails when a step is broken (a wheel twine rejects, a tampered zip, a re-pinned registry)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT, seeds_or_skip

SPEC = importlib.util.spec_from_file_location("rehearse_release", ROOT / "scripts" / "rehearse_release.py")
assert SPEC is not None and SPEC.loader is not None
rehearsal = importlib.util.module_from_spec(SPEC)
sys.modules["rehearse_release"] = rehearsal
SPEC.loader.exec_module(rehearsal)


def test_the_whole_publication_chain(tmp_path: Path) -> None:
    """Tag, the release job's scripts, twine check, upload, install into an older analyst venv, load(version=X)
    verified, then X+1 of a one-word correction: every step passes (each prints `ok: ...`)."""
    seeds = seeds_or_skip()
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "rehearse_release.py"), "--sources", str(seeds),
                           "--work", str(tmp_path / "work")], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = re.findall(r"^ok: (.*)$", done.stdout, re.MULTILINE)
    assert any("verbatim checks included" in s for s in steps)
    assert any("twine check --strict" in s for s in steps)
    assert any(re.fullmatch(r"pip install kuril-data==\S+ from the index; pandas and pyarrow unchanged", s)
               for s in steps)
    assert any("with the wheel of" in s for s in steps)
    assert any("advises a patch bump" in s for s in steps)
    assert any("download links to the release's files all answer" in s for s in steps)
    assert done.stdout.rstrip().endswith("the rehearsal passed: every step of the publication chain worked")
    # The scratch clone got the real records; this repository's registry was not touched.
    clone = tmp_path / "work" / "clone"
    pins = json.loads((clone / "src" / "kuril_data" / "releases.json").read_text(encoding="utf-8"))["releases"]
    assert len(pins) >= 2
    assert subprocess.run(["git", "-C", str(ROOT), "diff", "--quiet", "--", "src/kuril_data/releases.json"],
                          check=False).returncode == 0


def _broken(tmp_path: Path, at: str, breaking) -> str:  # type: ignore[no-untyped-def]
    """Rehearse with `breaking(rehearsal)` run right after the step starting with `at`; return the failure."""
    seeds = seeds_or_skip()

    def hook(step: str, r: object) -> None:
        if step.startswith(at):
            breaking(r)

    with pytest.raises(rehearsal.Failed) as failure:
        rehearsal.rehearse(ROOT, tmp_path / "work", seeds, hook=hook)
    return str(failure.value)


def test_a_wheel_twine_rejects_fails_the_rehearsal(tmp_path: Path) -> None:
    """A wheel whose metadata PyPI would reject (here: no long description) stops the release at twine check."""
    def drop_readme(r) -> None:  # type: ignore[no-untyped-def]
        pyproject = r.clone / "pyproject.toml"
        pyproject.write_text(pyproject.read_text(encoding="utf-8").replace('readme = "README.md"\n', ""),
                             encoding="utf-8")

    message = _broken(tmp_path, "tag v", drop_readme)
    assert message.startswith("release-build.sh:")
    assert "twine" in message and "long_description" in message


def test_a_tampered_zip_fails_the_rehearsal(tmp_path: Path) -> None:
    """One byte of the published zip changed: load(version=X) refuses it against the wheel's pin."""
    def tamper(r) -> None:  # type: ignore[no-untyped-def]
        [zip_path] = (r.mirror).glob("v*/kuril-data-*.zip")
        data = bytearray(zip_path.read_bytes())
        data[len(data) // 2] ^= 1
        zip_path.write_bytes(bytes(data))

    message = _broken(tmp_path, "published", tamper)
    assert message.startswith("load(version=") and "checksum mismatch" in message


def test_a_repinned_registry_fails_the_rehearsal(tmp_path: Path) -> None:
    """A published pin rewritten in the repository (as rebuilding used to do) is caught before X+1 is done."""
    def repin(r) -> None:  # type: ignore[no-untyped-def]
        path = r.clone / "src" / "kuril_data" / "releases.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        for entry in data["releases"].values():
            entry["sha256"] = hashlib.sha256(b"rebuilt").hexdigest()
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        r.git("commit", "-qam", "releases.json rebuilt")

    message = _broken(tmp_path, "recorded the pin", repin)
    assert message.startswith("registry: the wheel of") and "a published pin was rewritten" in message
