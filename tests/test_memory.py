"""The command tunes its own process's allocators for a large package; the library never does
(kuril_data.io.memory). Each case runs in a fresh process: the choice is made before pyarrow loads."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .generate import generate

# Runs the command (or the library) on a package, Arrow reader forced, and writes what the
# process's allocators then are.
_RUN = """import importlib, json, os, sys
out, how = sys.argv.pop(1), sys.argv.pop(1)
importlib.import_module("kuril_data.validate").ARROW_MIN_BYTES = 0  # the Arrow reader, as for a large package
if how == "command":
    sys.argv[0] = "kuril-data"
    from kuril_data.__main__ import main
    try:
        main()
    except SystemExit as exc:
        status = exc.code
else:
    from kuril_data import validate
    status = 0 if validate(sys.argv[-1]).valid else 1
import pyarrow as pa
from kuril_data.io import memory
with open(out, "w", encoding="utf-8") as f:
    json.dump({"status": status, "pool": pa.default_memory_pool().backend_name, "tuned": memory._tuned,
               "env": os.environ.get("ARROW_DEFAULT_MEMORY_POOL")}, f)
"""


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("memory") / "package"
    generate(dest, 500)
    return dest


def _run(tmp_path: Path, package: Path, how: str, pool: str | None = None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if pool is not None:
        env["ARROW_DEFAULT_MEMORY_POOL"] = pool
    out = tmp_path / f"{how}-{pool}.json"
    proc = subprocess.run([sys.executable, "-c", _RUN, str(out), how, "validate", str(package)],
                          env=env, capture_output=True, text=True, check=False, timeout=300)
    assert out.exists(), proc.stdout + proc.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def _glibc() -> bool:
    try:
        return sys.platform.startswith("linux") and (os.confstr("CS_GNU_LIBC_VERSION") or "").startswith("glibc")
    except (ValueError, OSError):
        return False


@pytest.mark.skipif(not _glibc(), reason="the command tunes its allocators only on Linux with glibc")
def test_the_command_takes_jemalloc_and_sets_the_mmap_threshold(tmp_path: Path, package: Path) -> None:
    got = _run(tmp_path, package, "command")
    assert got == {"status": 0, "pool": "jemalloc", "tuned": True, "env": "jemalloc"}


def test_the_library_leaves_the_allocators_alone(tmp_path: Path, package: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    pool = "import pyarrow as pa; print(pa.default_memory_pool().backend_name)"
    default = subprocess.run([sys.executable, "-c", pool], env=env, capture_output=True, text=True, check=True,
                             timeout=120).stdout.strip()
    got = _run(tmp_path, package, "library")
    assert got == {"status": 0, "pool": default, "tuned": False, "env": None}


def test_an_allocator_the_user_chose_is_kept(tmp_path: Path, package: Path) -> None:
    got = _run(tmp_path, package, "command", pool="system")
    assert got == {"status": 0, "pool": "system", "tuned": False, "env": "system"}
