"""Descriptors that frictionless certainly finds valid, so its check can be skipped for them.

`package.py` checks the package descriptor and every Table Schema against the Frictionless
standard with frictionless (`Package.validate_descriptor`, `Schema.validate_descriptor`).
Importing frictionless costs ~0.3 s (it also imports pandas): most of the time of validating a
small package. The two functions below accept only descriptors of a plain shape, every part of
which is checked here against what frictionless 5.21 checks (its JSON-Schema profiles for
Package, Resource, Schema and Field, the string field's profile patch, and the Python checks of
their `metadata_transform` / `metadata_validate`: v1 name pattern, safe paths, unique names,
keys naming existing fields, supported constraints). Anything else — an unknown property, a
field type other than string, an email, a URL, a `created` not in the plain UTC form a
release writes, a nested value where a plain one is expected — is still handed to frictionless.
So the problems reported are exactly those frictionless would give: none for an accepted
descriptor, frictionless's own otherwise.
tests/test_standard.py holds this to frictionless on the real descriptors, every broken fixture,
the hostile cases and random edits, and fails if frictionless's profiles change.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

# frictionless settings.NAME_PATTERN "^([-a-z0-9._/])+$" (applied to package and resource names
# under Data Package v1, which is the version when there is no `$schema`; `_offline` drops it).
_NAME = re.compile(r"[-a-z0-9._/]+")
# A relative path helpers.is_safe_path accepts: no leading "/" or "~", no "..", no "$" or "%"
# (environment variables), no ":" (so no URL scheme, no drive letter), no backslash.
_PATH = re.compile(r"(?:[A-Za-z0-9_-][A-Za-z0-9_.-]*/)*[A-Za-z0-9_-][A-Za-z0-9_.-]*\.csv")
_CONSTRAINTS = {  # StringField.supported_constraints + "unique", with the types of Field's profile
    "required": bool, "unique": bool, "pattern": str, "enum": list, "minLength": int, "maxLength": int,
}


def _is(value: Any, kind: type) -> bool:
    """JSON-Schema typing: bool is not an integer."""
    return isinstance(value, kind) and not (kind is int and isinstance(value, bool))


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _records(value: Any, keys: set[str]) -> bool:
    """A list of objects whose properties are among `keys`, each a string."""
    return isinstance(value, list) and all(
        isinstance(item, dict) and set(item) <= keys and all(isinstance(v, str) for v in item.values())
        for item in value)


def _plain_extension(key: str, value: Any) -> bool:
    """An `x-` property frictionless carries along untouched: a scalar or a list of strings."""
    return key.startswith("x-") and (isinstance(value, (bool, int, float, str)) or _strings(value))


def certain_package(shell: Any) -> bool:
    """True when frictionless's `Package.validate_descriptor(shell)` certainly reports nothing.

    `shell` is what package.py hands it: the descriptor without `profile`/`$schema`, each
    resource reduced to its name and path.
    """
    if not isinstance(shell, dict):
        return False
    for key, value in shell.items():
        if key == "name":
            ok = isinstance(value, str) and _NAME.fullmatch(value) is not None
        elif key in ("title", "description", "homepage", "version", "id"):  # id: not in the profile, any value
            ok = isinstance(value, str)
        elif key == "created":  # a string frictionless parses as its `datetime` type
            ok = isinstance(value, str) and _created(value)
        elif key == "keywords":
            ok = _strings(value)
        elif key == "licenses":  # each needs a name or a path
            ok = _records(value, {"name", "path", "title"}) and all(v.get("name") or v.get("path") for v in value)
        elif key == "sources":  # no email: frictionless checks its format
            ok = _records(value, {"title", "path"})
        elif key == "contributors":
            ok = isinstance(value, list) and all(
                isinstance(c, dict) and set(c) <= {"title", "path", "organisation", "role", "roles"}
                and all(_strings(v) if k == "roles" else isinstance(v, str) for k, v in c.items())
                for c in value)
        elif key == "resources":
            ok = _resources(value)
        else:  # type, profiles, created, fields, missingValues, ... : frictionless decides
            ok = False
        if not ok:
            return False
    return "resources" in shell


# What release.py writes (export.iso_timestamp): UTC to the second. frictionless's datetime type
# accepts it whenever it names a real moment, which strptime checks.
_CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def _created(value: str) -> bool:
    if not _CREATED.fullmatch(value):
        return False
    try:
        dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return False
    return True


def _resources(value: Any) -> bool:
    if not isinstance(value, list) or not value:
        return False
    names = []
    for res in value:
        if not isinstance(res, dict) or set(res) != {"name", "path"}:
            return False
        name, path = res["name"], res["path"]
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            return False
        if not isinstance(path, str) or not _PATH.fullmatch(path):
            return False
        names.append(name)
    return len(set(names)) == len(names)


def certain_schema(raw: Any) -> bool:
    """True when frictionless's `Schema.validate_descriptor(raw)` certainly reports nothing
    (`raw` without `profile`/`$schema`, as package.py hands it)."""
    if not isinstance(raw, dict):
        return False
    fields = raw.get("fields")
    if not isinstance(fields, list) or not fields:
        return False
    names: list[str] = []
    for f in fields:
        if not isinstance(f, dict) or not _field(f):
            return False
        names.append(f["name"])
    if len(set(names)) != len(names):
        return False
    known = set(names)
    for key, value in raw.items():
        if key == "fields":
            ok = True
        elif key in ("title", "description"):
            ok = isinstance(value, str)
        elif key == "missingValues":  # plain strings: no uniqueness or version notes
            ok = _strings(value)
        elif key == "primaryKey":
            ok = (isinstance(value, str) and value in known) or (_strings(value) and set(value) <= known)
        elif key == "foreignKeys":
            ok = isinstance(value, list) and all(_foreign_key(fk, known) for fk in value)
        else:
            ok = _plain_extension(key, value)
        if not ok:
            return False
    return True


def _field(f: dict[str, Any]) -> bool:
    if not isinstance(f.get("name"), str) or not f["name"] or f.get("type") != "string":
        return False
    for key, value in f.items():
        if key in ("name", "type"):
            ok = True
        elif key == "format":  # StringField's profile patch: an enum, of which "default" is one
            ok = value == "default"
        elif key in ("title", "description"):
            ok = isinstance(value, str)
        elif key == "constraints":
            ok = isinstance(value, dict) and all(
                k in _CONSTRAINTS and _is(v, _CONSTRAINTS[k]) for k, v in value.items()
            ) and _strings(value.get("enum", [])) and _compiles(value.get("pattern", ""))
        else:  # example, required, missingValues, rdfType, ... : frictionless decides
            ok = _plain_extension(key, value)
        if not ok:
            return False
    return True


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True


def _foreign_key(fk: Any, known: set[str]) -> bool:
    if not isinstance(fk, dict) or set(fk) != {"fields", "reference"}:
        return False
    ref = fk["reference"]
    if not isinstance(ref, dict) or set(ref) != {"resource", "fields"} or not isinstance(ref["resource"], str):
        return False
    src, dst = fk["fields"], ref["fields"]
    src = [src] if isinstance(src, str) else src
    dst = [dst] if isinstance(dst, str) else dst
    return _strings(src) and _strings(dst) and set(src) <= known and len(src) == len(dst)
