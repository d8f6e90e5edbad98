"""Release zips as untrusted input: the one check of member names every zip reader uses."""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import PurePosixPath


def unsafe_archive(zf: zipfile.ZipFile) -> str | None:
    """Why the archive must be refused as a whole (its first unsafe member), or None."""
    return next((why for info in zf.infolist() if (why := unsafe_member(info))), None)


def unsafe_member(info: zipfile.ZipInfo) -> str | None:
    """Why a zip member must not be read or unpacked (absolute, `..`, backslash, control
    character, symbolic link), or None when its name is safe."""
    name = info.filename
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return f"member {name!r} has an absolute path"
    if "\\" in name:
        return f"member {name!r} has a backslash in its path"
    if ".." in PurePosixPath(name).parts:
        return f"member {name!r} leaves the archive folder ('..')"
    if any(ord(c) < 32 for c in name):
        return f"member {name!r} contains a control character"
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"member {name!r} is a symbolic link"
    return None
