"""The write transaction every writer shares: build in a staging folder, then install by renames.

`staging` gives a temporary folder inside the output's parent (locked, so two builds into one folder
run one after the other); `install` moves the finished files into place, journaled so that the
next build can complete an install a killed process left half done (`recover`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kuril_data.io.atomic import remove_stale, temp_prefix, write_atomic

JOURNAL = ".kuril-data-install.json"  # in the staging folder's parent while an install is under way


@contextmanager
def staging(parent: Path, name: str) -> Iterator[Path]:
    """A temporary folder inside `parent` (created if needed), removed afterwards whatever happens.

    `parent` is locked (flock on the folder itself, so no lock file is left) for the whole block:
    two builds into one folder run one after the other. An install a killed build left half done
    is completed first (see `install`), then its leftovers are removed.
    """
    created = not parent.exists()
    parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        recover(parent)
        remove_stale(parent)  # leftovers of a build that was killed
        tmp = Path(tempfile.mkdtemp(prefix=temp_prefix(name), suffix=".partial", dir=parent))
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            if created:
                with suppress(OSError):  # only while empty, i.e. when nothing was installed
                    parent.rmdir()
    finally:
        os.close(fd)  # releases the lock


def recover(parent: Path) -> None:
    """Complete the install a killed build journaled in `parent`: move in what it had not yet moved,
    so the files installed together (a release folder and its zip) are again of one build."""
    journal = parent / JOURNAL
    if not journal.is_file():
        return
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
        tmp, dest, names = parent / plan["staging"], parent / plan["dest"], list(plan["names"])
    except (OSError, ValueError, KeyError, TypeError):
        journal.unlink(missing_ok=True)  # not ours, or torn: nothing can be completed from it
        return
    if tmp.parent == parent and tmp.is_dir() and all(isinstance(n, str) and "/" not in n for n in names):
        old = tmp / ".replaced"
        old.mkdir(exist_ok=True)
        for name in names:
            if (tmp / name).exists():
                target = dest / name
                if target.exists() or target.is_symlink():
                    os.replace(target, old / name)
                os.replace(tmp / name, target)
        shutil.rmtree(tmp, ignore_errors=True)
    journal.unlink(missing_ok=True)


def install(tmp: Path, dest: Path, names: list[str]) -> None:
    """Move `names` from `tmp` into `dest`, replacing what is there; roll back on any failure."""
    created = not dest.exists()
    dest.mkdir(parents=True, exist_ok=True)
    old = tmp / ".replaced"
    old.mkdir()
    # The journal lets the next build complete this install if the process is killed half-way.
    journal = tmp.parent / JOURNAL
    write_atomic(journal, json.dumps({"staging": tmp.name, "dest": os.path.relpath(dest, tmp.parent),
                                      "names": names}))
    done: list[str] = []
    try:
        for name in names:
            target = dest / name
            done.append(name)
            if target.exists() or target.is_symlink():
                os.replace(target, old / name)
            os.replace(tmp / name, target)
    except BaseException:
        for name in reversed(done):
            target = dest / name
            if not (tmp / name).exists():
                _remove(target)
            if (old / name).exists():
                os.replace(old / name, target)
        if created:
            with suppress(OSError):
                dest.rmdir()
        raise
    finally:
        journal.unlink(missing_ok=True)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
