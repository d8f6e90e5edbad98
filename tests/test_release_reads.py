"""A release reads each data CSV at most twice (validation, then the copy into the release) and
each schema at most twice (parsed once, copied once): every writer is handed the typed dataset."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

SCRIPT = r"""
import collections, os, sys
from pathlib import Path
from kuril_data.release.build import build_release
root = Path(sys.argv[1]).resolve()
watched = {str(p): 0 for p in [*(root / "data").glob("*.csv"), *(root / "schemas").glob("*.json")]}
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, os.PathLike)):
        path = os.path.abspath(os.fspath(args[0]))
        if path in watched:
            watched[path] += 1
sys.addaudithook(hook)
build_release(root, sys.argv[2])
for path, n in sorted(watched.items()):
    print(n, os.path.relpath(path, root))
"""


def test_release_opens_each_data_csv_and_schema_at_most_twice(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for rel in ("datapackage.json", "CHANGELOG.md", "data", "schemas"):
        src = ROOT / rel
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, pkg / rel)  # type: ignore[operator]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    # In a child process: the audit hook cannot be removed once added.
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(pkg), str(tmp_path / "dist")], env=env,
                         capture_output=True, text=True, check=True).stdout
    counts = {line.split(" ", 1)[1]: int(line.split(" ", 1)[0]) for line in out.splitlines()}
    assert any(rel.startswith("data/") for rel in counts) and any(rel.startswith("schemas/") for rel in counts)
    assert all(1 <= n <= 2 for n in counts.values()), counts
