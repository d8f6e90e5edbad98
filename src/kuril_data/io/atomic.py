"""Atomic writes: the one helper that writes a file beside its target and moves it into place.

Temporary names carry a marker no one else writes, the writer's process id and the random token
`tempfile` made (`.<name>.kuril-data-tmp.<pid>.<token>.tmp`, folders `… .partial`), so a later run
can tell leftovers of a killed process from the files of one still running, and remove them
(`remove_stale`) — and never a user's file such as `.report.2024.final.tmp`.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

MARKER = "kuril-data-tmp"
# tempfile's token is 8 characters of [a-z0-9_]: anything else is not ours.
_TEMP = re.compile(rf"^\..+\.{MARKER}\.(\d+)\.[a-z0-9_]{{8}}\.(tmp|partial)$")


def temp_prefix(name: str) -> str:
    """The prefix of a temporary file or folder for `name` written by this process."""
    return f".{name}.{MARKER}.{os.getpid()}."


def write_atomic(target: Path, data: str | bytes, *, mode: int = 0o644) -> None:
    """Write `data` (text as UTF-8, as given) to a temp file beside `target`, then move it into place:
    a reader sees the old file or the new one, never a part. Stale temp files are removed first."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(target.name), suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_temp(name: str) -> bool:
    """Whether a file name is one of our temporary files or folders."""
    return _TEMP.match(name) is not None


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files and folders in `folder` left by processes that no longer run."""
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for path in entries:
        m = _TEMP.match(path.name)
        if m is None or _alive(int(m.group(1))):
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or a number no process has: leave it alone
    return True


__all__ = ["is_temp", "remove_stale", "temp_prefix", "write_atomic"]
