"""The one place output file names come from, and the one confinement check.

`safe_name` maps a record id or a resource name to a single path segment, whatever it holds:
letters, digits, '-' and '_' (and '.' inside a name) stay; every other byte of its UTF-8 form,
a leading dot and a Windows device name's first letter are written `~XX` (hex). So `../../x`
becomes `~2E.~2F~2E.~2Fx`: never '.', '..', a separator or a hidden file, and the same text as a
file name and in a URL. `unique_names` refuses two ids whose names would be one file on a
case-insensitive filesystem. `confined` joins a relative path to an output root and refuses one
that could leave it (`..`, an absolute part) or passes through a symbolic link.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from kuril_data.errors import DataError

_KEEP = re.compile(r"[A-Za-z0-9_.-]")
_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
MAX_NAME_BYTES = 200  # below every common filesystem's 255, leaving room for a suffix such as ".html"


class UnsafeOutput(DataError):
    """An output name or path cannot be written safely (exit 1): a collision, or a path leaving the output."""


def _escape(char: str) -> str:
    return "".join(f"~{b:02X}" for b in char.encode("utf-8", "surrogatepass"))


def safe_name(name: str) -> str:
    """`name` as one safe path segment (see the module docstring); injective, so two ids never share one."""
    out = "".join(c if _KEEP.fullmatch(c) else _escape(c) for c in name)
    if not out or out.startswith("."):
        out = _escape(".") + out[1:] if out else "~"
    if out.split(".")[0].upper() in _DEVICES:
        out = _escape(out[0]) + out[1:]
    if len(out.encode()) > MAX_NAME_BYTES:
        raise UnsafeOutput(f"{name[:40]!r}…: too long to name a file ({len(out)} bytes once encoded; "
                           f"the limit is {MAX_NAME_BYTES})")
    return out


def unique_names(ids: Iterable[str], what: str, reserved: Iterable[str] = ()) -> dict[str, str]:
    """`safe_name` of every id, refusing two that one case-insensitive filesystem would hold as one
    file, or one that takes a `reserved` name (the writer's own files)."""
    taken = {r.casefold(): f"the output's own {r!r}" for r in reserved}
    names: dict[str, str] = {}
    for record_id in ids:
        name = safe_name(record_id)
        key = name.casefold()
        if key in taken:
            raise UnsafeOutput(f"{what} {record_id!r} would be written as {name!r}, which is already "
                               f"{taken[key]} (file names are compared without regard to case)")
        taken[key] = f"the file of {what} {record_id!r}"
        names[record_id] = name
    return names


def confined(root: Path, rel: str | PurePosixPath) -> Path:
    """`root / rel`, refused (UnsafeOutput) when it would leave `root` or pass through a symbolic link."""
    parts = PurePosixPath(rel).parts
    if not parts or any(p in ("", ".", "..") or "\\" in p for p in parts) or PurePosixPath(rel).is_absolute():
        raise UnsafeOutput(f"{str(rel)!r} is not a plain path inside the output")
    # With no `..`, no absolute part and no symbolic link on the way, the path cannot leave `root`:
    # one lstat per part, no resolve (a site has hundreds of pages).
    target = root
    for part in parts:
        target = target / part
        if target.is_symlink():
            raise UnsafeOutput(f"{target} is a symbolic link; an output never writes through one")
    return target
