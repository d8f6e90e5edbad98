"""Release zips as untrusted input: the one check of member names every zip reader uses.

A member name is normalised (empty and '.' parts dropped, so 'a//b' and 'a/./b' are 'a/b')
after it is judged unsafe or not; readers look members up by their normalised name and never
write to a path taken from the archive.
"""

from __future__ import annotations

import re
import stat
import zipfile

MAX_MEMBERS = 10_000  # a release zip holds ~100


def unsafe_archive(zf: zipfile.ZipFile) -> str | None:
    """Why the archive must be refused as a whole (its first unsafe member, a name used twice,
    too many members), or None."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        return f"it has {len(infos)} members; the limit is {MAX_MEMBERS}"
    seen: set[str] = set()
    for info in infos:
        why = unsafe_member(info)
        if why:
            return why
        name = member_name(info)
        if name in seen:
            return f"member {info.filename!r} is in the archive twice (after normalising its name)"
        seen.add(name)
    return None


def unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member must not be read or unpacked (absolute, `..`, backslash, drive letter,
    control character, symbolic link, empty), or None when its name is safe."""
    name = info.filename
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return f"member {name!r} contains a control character"
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return f"member {name!r} has an absolute path"
    if "\\" in name:
        return f"member {name!r} has a backslash in its path"
    parts = _parts(name)
    if ".." in parts:
        return f"member {name!r} leaves the archive folder ('..')"
    if any(":" in p for p in parts):
        return f"member {name!r} has a ':' (a drive letter or stream name) in its path"
    if not parts:
        return f"member {name!r} has an empty name"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"member {name!r} is a symbolic link"
    return None


def member_name(info: zipfile.ZipInfo) -> str:
    """The normalised name of a member that passed `unsafe_member`: parts joined by single slashes."""
    return "/".join(_parts(info.filename))


def _parts(name: str) -> list[str]:
    return [p for p in name.split("/") if p not in ("", ".")]
