"""Release zips as untrusted input: the one check of member names every zip reader uses.

A member name is normalised (empty and '.' parts dropped, so 'a//b' and 'a/./b' are 'a/b')
after it is judged unsafe or not; readers look members up by their normalised name and never
write to a path taken from the archive.
"""

from __future__ import annotations

import os
import re
import stat
import struct
import zipfile
from typing import BinaryIO

MAX_MEMBERS = 10_000  # a release zip holds ~100
# The central directory zipfile reads whole and parses into one ZipInfo per entry: 46 bytes plus
# the name, extra field and comment each; a release's ~100 entries take ~10 KB.
MAX_DIRECTORY_BYTES = 4 * 1024 * 1024

_EOCD = struct.Struct("<4s4H2LH")  # end of central directory: signature ... entries, size, offset, comment length
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")  # signature, disk, offset of the zip64 end record, disks
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # signature ... entries here, entries, size, offset
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"


def oversized_directory(f: BinaryIO) -> str | None:
    """Why a zip must be refused before its central directory is parsed (more entries or a larger
    directory than the limits allow, as its end records declare), or None. Reads only the end
    records, as `zipfile` finds them: the last end-of-central-directory signature within the final
    64 KiB + 22 bytes, and the zip64 end record its locator points to."""
    size = f.seek(0, os.SEEK_END)
    tail_start = max(0, size - _EOCD.size - (1 << 16))
    f.seek(tail_start)
    tail = f.read()
    at = len(tail) - _EOCD.size  # zipfile's first guess: a record with no comment, last in the file
    if at < 0 or tail[at:at + 4] != _EOCD_SIGNATURE or tail[-2:] != b"\0\0":
        at = tail.rfind(_EOCD_SIGNATURE)
        if at < 0 or len(tail) - at < _EOCD.size:
            return None  # not a zip: zipfile says so
    _, _, _, _, entries, directory, _, _ = _EOCD.unpack_from(tail, at)
    locator_at = tail_start + at - _ZIP64_LOCATOR.size
    if locator_at >= 0:
        f.seek(locator_at)
        locator = f.read(_ZIP64_LOCATOR.size)
        if len(locator) == _ZIP64_LOCATOR.size and locator[:4] == _ZIP64_LOCATOR_SIGNATURE:
            record_at = locator_at - _ZIP64_EOCD.size  # where zipfile looks for it
            if record_at >= 0:
                f.seek(record_at)
                record = f.read(_ZIP64_EOCD.size)
                if len(record) == _ZIP64_EOCD.size and record[:4] == _ZIP64_EOCD_SIGNATURE:
                    fields = _ZIP64_EOCD.unpack(record)
                    entries, directory = max(entries, fields[7]), max(directory, fields[8])
    if entries > MAX_MEMBERS:
        return f"it declares {entries} members; the limit is {MAX_MEMBERS}"
    if directory > MAX_DIRECTORY_BYTES:
        return f"its central directory is {directory} bytes; the limit is {MAX_DIRECTORY_BYTES}"
    return None


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
