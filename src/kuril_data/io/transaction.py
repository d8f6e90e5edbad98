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
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kuril_data.io.atomic import is_temp, remove_stale, temp_prefix, write_atomic

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
        for why in recover(parent):
            warnings.warn(why, stacklevel=3)
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


def recover(parent: Path) -> list[str]:
    """Complete the install a killed build journaled in `parent`: move in what it had not yet moved,
    so the files installed together (a release folder and its zip) are again of one build.

    The journal is trusted only as far as it can be checked: its staging folder must be one of ours
    (`is_temp`) directly in `parent`, its destination `parent` itself or a folder directly in it,
    and its names plain file names. Anything else (torn, foreign, or naming a path elsewhere) is
    removed unused; the reasons are returned (empty when there was nothing to ignore).
    """
    journal = parent / JOURNAL
    if not journal.is_file() or journal.is_symlink():
        return []
    plan = _read_plan(journal)
    journal.unlink(missing_ok=True)
    if isinstance(plan, str):
        return [f"{journal}: {plan}; ignored"]
    tmp, dest, names = parent / plan[0], parent / plan[1] if plan[1] != "." else parent, plan[2]
    if not tmp.is_dir() or tmp.is_symlink() or dest.is_symlink():
        return []
    old = tmp / ".replaced"
    old.mkdir(exist_ok=True)
    for name in names:
        if (tmp / name).exists():
            target = dest / name
            if target.exists() or target.is_symlink():
                os.replace(target, old / name)
            os.replace(tmp / name, target)
    shutil.rmtree(tmp, ignore_errors=True)
    return []


def _plain(name: object) -> bool:
    return isinstance(name, str) and name not in ("", ".", "..") and "/" not in name and "\\" not in name \
        and "\x00" not in name


def _read_plan(journal: Path) -> tuple[str, str, list[str]] | str:
    """(staging folder, destination, names) from a journal, or why it is not to be trusted."""
    try:
        plan = json.loads(journal.read_text(encoding="utf-8"))
        staged, dest, names = plan["staging"], plan["dest"], plan["names"]
    except (OSError, ValueError, KeyError, TypeError):
        return "unreadable or not a kuril-data install journal"
    if not (_plain(staged) and is_temp(staged)):
        return f"staging folder {staged!r} is not one of kuril-data's"
    if not (dest == "." or _plain(dest)):
        return f"destination {dest!r} is not the folder the journal is in or one directly inside it"
    if not isinstance(names, list) or not all(_plain(n) for n in names):
        return "names other than plain file names"
    return staged, dest, names


def install(tmp: Path, dest: Path, names: list[str]) -> None:
    """Move `names` from `tmp` into `dest`, replacing what is there; roll back on any failure."""
    if dest != tmp.parent and dest.parent != tmp.parent:
        raise ValueError(f"{dest}: an install goes into the staging folder's parent or a folder directly in it")
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
