"""The one place that runs git: revisions, tags, commit dates and files of a revision.

Arguments that come from users (revisions) never start with '-' and hold no control character,
so git cannot read them as options; blobs are written to files in bounded chunks, never read whole.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kuril_data.errors import KurilDataError

TIMEOUT = 60  # seconds for one git command


class GitError(KurilDataError):
    """git cannot be run, or cannot answer (exit 2)."""


@dataclass(frozen=True)
class TreeFile:
    """A regular file of a git tree: its blob id and size (from `git ls-tree -l`)."""

    path: str  # POSIX path relative to the listed folder
    mode: str
    blob: str
    size: int


def run(repo: Path, *args: str, stdout: IO[bytes] | None = None,
        timeout: float = TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """Run `git -C repo args…` without a terminal prompt; GitError when git is missing or hangs."""
    try:
        return subprocess.run(["git", "-C", str(repo), *args], check=False, timeout=timeout,
                              stdout=stdout if stdout is not None else subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {args[0]} took longer than {timeout} s") from None


def safe_revision(rev: str) -> bool:
    """Whether `rev` can be passed to git as a revision (not an option, no control character)."""
    return bool(rev) and not rev.startswith("-") and not any(ord(c) < 32 or ord(c) == 127 for c in rev)


def locate(repo: Path) -> tuple[Path, str] | None:
    """(top of the work tree, sub-folder of `repo` in it without trailing slash), or None outside git."""
    if not repo.is_dir():
        return None
    top = run(repo, "rev-parse", "--show-toplevel")
    prefix = run(repo, "rev-parse", "--show-prefix")
    if top.returncode != 0 or prefix.returncode != 0:
        return None
    return Path(top.stdout.decode().strip()), prefix.stdout.decode().strip().rstrip("/")


def commit_of(repo: Path, rev: str) -> str | None:
    """The commit `rev` names in the repository holding `repo`, or None."""
    if not safe_revision(rev):
        return None
    done = run(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    return done.stdout.decode().strip() if done.returncode == 0 else None


def last_commit_time(repo: Path) -> int | None:
    """The committer date of HEAD in seconds, or None (no git, no commit)."""
    try:
        done = run(repo, "log", "-1", "--format=%ct", timeout=30)
    except GitError:
        return None
    text = done.stdout.decode(errors="replace").strip()
    return int(text) if done.returncode == 0 and text.isdigit() else None


def highest_tag(repo: Path, pattern: str = "v*") -> str | None:
    """The highest tag matching `pattern` by version order, or None (no git, no such tag)."""
    try:
        done = run(repo, "tag", "--list", pattern, "--sort=-v:refname")
    except GitError:
        return None
    tags = done.stdout.decode(errors="replace").split() if done.returncode == 0 else []
    return tags[0] if tags else None


def tree_files(top: Path, commit: str, sub: str = "") -> dict[str, TreeFile] | None:
    """Every regular file under `sub` at `commit` (paths relative to `sub`), or None when `sub`
    is not a folder there. Symbolic links and submodules are left out: they are not package files."""
    tree = f"{commit}:{sub}" if sub else commit
    done = run(top, "ls-tree", "-r", "-l", "-z", "--end-of-options", tree)
    if done.returncode != 0:
        return None
    files: dict[str, TreeFile] = {}
    for entry in done.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, blob, size = meta.decode().split()
        if kind != "blob" or mode not in ("100644", "100755"):
            continue
        path = raw_path.decode("utf-8", "surrogateescape")
        files[path] = TreeFile(path, mode, blob, int(size))
    return files


def write_blob(top: Path, blob: str, target: Path) -> None:
    """Write a blob into `target` (a new file) straight from git, not through memory."""
    with open(target, "xb") as f:
        done = run(top, "cat-file", "blob", blob, stdout=f)
    if done.returncode != 0:
        raise GitError(f"git cat-file failed: {done.stderr.decode(errors='replace').strip()}")


__all__ = ["GitError", "TreeFile", "commit_of", "highest_tag", "last_commit_time", "locate", "run",
           "safe_revision", "tree_files", "write_blob"]
