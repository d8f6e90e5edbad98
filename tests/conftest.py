"""Shared fixtures: build real package folders from the files under tests/fixtures."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
FIXTURE_SOURCES = FIXTURES / "sources"
SEEDS = ROOT.parent / "shared" / "seeds"


def build_package(dest: Path, case: Path | None = None) -> Path:
    """Copy the repository's descriptor and schemas plus the valid fixture data into `dest`,
    then lay the files of an invalid case over it."""
    shutil.copy(ROOT / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(VALID / "data", dest / "data")
    if case is not None:
        expect = json.loads((case / "expect.json").read_text(encoding="utf-8"))
        for rel in expect.get("delete", []):
            (dest / rel).unlink()
        for path in case.rglob("*"):
            if path.is_file() and path.name != "expect.json":
                target = dest / path.relative_to(case)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
    return dest


@pytest.fixture
def valid_package(tmp_path: Path) -> Path:
    return build_package(tmp_path)


def seeds_or_skip() -> Path:
    """The real seeds: skipped with a reason outside CI, a hard failure in CI."""
    if SEEDS.is_dir():
        return SEEDS
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but the seeds folder {SEEDS} is missing")
    pytest.skip(f"seeds folder {SEEDS} not present (it is only next to CI checkouts)")
