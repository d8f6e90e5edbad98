"""Read `datapackage.json` and its Table Schemas into frozen objects, refusing unsafe paths.

Nothing here opens a file outside the package folder or touches the network: every path is
checked before it is opened, and descriptors are checked against the standard offline.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from .errors import KurilDataError
from .extras import require
from .report import Problem
from .standard import certain_package, certain_schema
from .types import SUPPORTED_TYPES

DESCRIPTOR = "datapackage.json"
CONSTRAINTS: dict[str, type | tuple[type, ...]] = {
    "required": bool, "unique": bool, "enum": list, "pattern": str,
    "minLength": int, "maxLength": int, "minimum": (int, float, str), "maximum": (int, float, str),
}
MAX_DESCRIPTOR_BYTES = 1_000_000
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


class PackageError(KurilDataError):
    """The package cannot be read at all (no descriptor, or the path is not a package)."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    constraints: dict[str, Any]
    edtf: bool = False
    language: bool = False
    verbatim: bool = False

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Schema:
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...]
    description: str = ""
    exactly_one_of: tuple[str, ...] = ()

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class Resource:
    name: str
    path: str  # POSIX path relative to the package root, as written in the descriptor
    schema_path: str
    schema: Schema
    description: str = ""


@dataclass(frozen=True)
class Package:
    root: Path
    descriptor: dict[str, Any]
    resources: tuple[Resource, ...] = field(default=())

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", "0.0.0"))

    @property
    def name(self) -> str:
        return str(self.descriptor.get("name", "package"))

    def resource(self, name: str) -> Resource | None:
        return next((r for r in self.resources if r.name == name), None)

    def file(self, resource: Resource) -> Path:
        return self.root / resource.path


def locate(path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Return (package root, descriptor path) for a folder or a `datapackage.json` path."""
    p = Path(path)
    if p.is_dir():
        p = p / DESCRIPTOR
    if not p.is_file():
        raise PackageError(f"no {DESCRIPTOR} at {path}")
    return p.parent, p


def safe_member(root: Path, rel: object) -> tuple[Path | None, str | None]:
    """Resolve a descriptor path inside `root`, or say why it is refused (before opening it)."""
    if not isinstance(rel, str) or not rel:
        return None, "path must be a non-empty string"
    if _URL.match(rel) and not re.match(r"^[A-Za-z]:[\\/]", rel):
        return None, f"path {rel!r} is a URL; only files inside the package are read"
    if "\\" in rel:
        return None, f"path {rel!r} contains a backslash; use forward slashes inside the package"
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        return None, f"path {rel!r} is absolute; paths must be relative to the package folder"
    parts = PurePosixPath(rel).parts
    if ".." in parts:
        return None, f"path {rel!r} leaves the package folder"
    if any(ord(c) < 32 for c in rel):
        return None, f"path {rel!r} contains a control character"
    target = root.joinpath(*parts)
    # Refuse symlinks anywhere along the way: a link could lead out of the package.
    cur = root
    for part in parts:
        cur = cur / part
        if cur.is_symlink():
            return None, f"path {rel!r} goes through a symbolic link; links are not followed"
    return target, None


def read_package(path: str | os.PathLike[str]) -> tuple[Package | None, list[Problem]]:
    """Read the descriptor and every schema. Returns the usable package and the problems found."""
    root, desc_path = locate(path)
    rel_desc = desc_path.name
    problems: list[Problem] = []
    if desc_path.is_symlink():
        return None, [Problem(rel_desc, None, None, "unsafe-path",
                              "the descriptor is a symbolic link; links are not followed")]
    if desc_path.stat().st_size > MAX_DESCRIPTOR_BYTES:
        return None, [Problem(rel_desc, None, None, "descriptor-error",
                              f"descriptor is larger than {MAX_DESCRIPTOR_BYTES} bytes")]
    descriptor, problem = _read_json(desc_path, rel_desc, "descriptor-error")
    if problem:
        return None, [problem]
    if not isinstance(descriptor, dict):
        return None, [Problem(rel_desc, 1, None, "descriptor-error", "the descriptor must be a JSON object")]
    problems += _check_descriptor(descriptor, rel_desc)
    raw_resources = descriptor.get("resources")
    if not isinstance(raw_resources, list) or not raw_resources:
        problems.append(Problem(rel_desc, None, "resources", "descriptor-error",
                                "the descriptor needs a non-empty list of resources"))
        return None, problems
    resources: list[Resource] = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_resources):
        res, res_problems = _read_resource(root, rel_desc, i, raw, seen)
        problems += res_problems
        if res:
            resources.append(res)
            seen.add(res.name)
    declared = {r.get("name") for r in raw_resources if isinstance(r, dict)}
    for res in resources:
        for fk in res.schema.foreign_keys:
            target = next((r for r in resources if r.name == fk.resource), None)
            if target is None:
                if fk.resource not in declared:
                    problems.append(Problem(res.schema_path, None, ",".join(fk.fields), "schema-error",
                                            f"foreign key refers to unknown resource {fk.resource!r}"))
                continue
            missing = [f for f in fk.reference if f not in target.schema.names]
            if missing:
                problems.append(Problem(res.schema_path, None, ",".join(fk.fields), "schema-error",
                                        f"foreign key refers to fields {missing} not in {fk.resource!r}"))
    return Package(root, descriptor, tuple(resources)), problems


def _read_json(path: Path, rel: str, code: str) -> tuple[Any, Problem | None]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, Problem(rel, None, None, code, f"cannot read file: {exc.strerror}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, Problem(rel, line, None, code, f"not valid UTF-8 at byte {exc.start}")
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, Problem(rel, exc.lineno, None, code, f"invalid JSON: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return None, Problem(rel, None, None, code, "invalid JSON: nested too deeply")


def _offline(descriptor: dict[str, Any]) -> dict[str, Any]:
    # Profiles given as URLs would make frictionless fetch them; check against the built-in ones.
    return {k: v for k, v in descriptor.items() if k not in ("profile", "$schema")}


def _frictionless_package() -> Any:
    # Raises MissingExtra (not a problem in the report) without the `tools` extra: a plain
    # descriptor never gets here, so load() of the shipped data or a release works without it.
    return require("frictionless", "checking a descriptor of this shape against the Frictionless standard").Package


def _frictionless_schema() -> Any:
    return require("frictionless", "checking a Table Schema of this shape against the Frictionless standard").Schema


def _check_descriptor(descriptor: dict[str, Any], rel: str) -> Iterator[Problem]:
    shell = _offline({**descriptor, "resources": [
        {k: v for k, v in r.items() if k in ("name", "path")} if isinstance(r, dict) else r
        for r in descriptor.get("resources") or []
    ]})
    # A descriptor of the plain shape standard.py recognises is one frictionless certainly
    # accepts: importing it (~0.3 s) is skipped then, the problems are the same.
    certain = certain_package(shell)
    fpackage = None if certain else _frictionless_package()
    try:
        errors = [] if fpackage is None else fpackage.validate_descriptor(shell).errors
    except Exception as exc:  # frictionless raises on some malformed shapes
        yield Problem(rel, None, None, "descriptor-error", f"not a valid Data Package: {exc}")
        return
    for error in errors:
        yield Problem(rel, None, None, "descriptor-error", f"not a valid Data Package: {error.note}")
    for key in ("name", "version"):
        if not isinstance(descriptor.get(key), str):
            yield Problem(rel, None, key, "descriptor-error", f"the descriptor needs a {key!r} string")


def _read_resource(root: Path, rel_desc: str, i: int, raw: Any, seen: set[str]
                   ) -> tuple[Resource | None, list[Problem]]:
    where = f"resources[{i}]"
    if not isinstance(raw, dict):
        return None, [Problem(rel_desc, None, where, "descriptor-error", "a resource must be a JSON object")]
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9_][a-z0-9_.-]*", name):
        return None, [Problem(rel_desc, None, where, "descriptor-error",
                              f"resource name {name!r} must be lowercase letters, digits, '_', '.', '-'")]
    if name.startswith("sqlite_"):
        return None, [Problem(rel_desc, None, where, "descriptor-error",
                              f"resource name {name!r} starts with 'sqlite_', which SQLite reserves")]
    if name in seen:
        return None, [Problem(rel_desc, None, where, "descriptor-error", f"resource name {name!r} is used twice")]
    path = raw.get("path")
    _, why = safe_member(root, path)
    if why:
        return None, [Problem(rel_desc, None, f"{name}.path", "unsafe-path", why)]
    if not str(path).endswith(".csv"):
        return None, [Problem(rel_desc, None, f"{name}.path", "descriptor-error",
                              f"resource {name!r} must be a .csv file")]
    if "data" in raw:
        return None, [Problem(rel_desc, None, f"{name}.data", "descriptor-error",
                              "inline data is not accepted in the source package; use a CSV file")]
    schema_ref = raw.get("schema")
    if isinstance(schema_ref, dict):
        return None, [Problem(rel_desc, None, f"{name}.schema", "descriptor-error",
                              "the schema must be a path to a file under schemas/")]
    schema_file, why = safe_member(root, schema_ref)
    if why or schema_file is None:
        return None, [Problem(rel_desc, None, f"{name}.schema", "unsafe-path", why or "no schema")]
    if not schema_file.is_file():
        return None, [Problem(str(schema_ref), None, None, "schema-error", f"schema file for {name!r} is missing")]
    schema_raw, problem = _read_json(schema_file, str(schema_ref), "schema-error")
    if problem:
        return None, [problem]
    schema, problems = parse_schema(schema_raw, str(schema_ref))
    if schema is None:
        return None, problems
    return Resource(name, str(path), str(schema_ref), schema, str(raw.get("description", ""))), problems


def _finite(value: object) -> bool:
    """Whether a minimum or maximum is a finite number (or a string of one) the range check can compare."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return False
    if isinstance(value, str) and len(value) > 400:  # float() of a huge digit string is slow; no bound needs it
        return False
    try:
        return math.isfinite(float(value))
    except (ValueError, OverflowError):
        return False


def parse_schema(raw: Any, rel: str) -> tuple[Schema | None, list[Problem]]:
    """Check a Table Schema descriptor and build a Schema; None when it is unusable."""
    def bad(msg: str, fld: str | None = None) -> Problem:
        return Problem(rel, None, fld, "schema-error", msg)

    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list) or not raw["fields"]:
        return None, [bad("a Table Schema must be an object with a non-empty list of fields")]
    offline = _offline(raw)
    problems = [] if certain_schema(offline) else [  # see standard.py
        bad(f"not a valid Table Schema: {e.note}") for e in _frictionless_schema().validate_descriptor(offline).errors]
    fields: list[Field] = []
    for i, f in enumerate(raw["fields"]):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            problems.append(bad(f"field {i} needs a name"))
            continue
        name, ftype = f["name"], f.get("type", "string")
        if ftype not in SUPPORTED_TYPES:
            problems.append(bad(f"type {ftype!r} is not supported (use one of {', '.join(SUPPORTED_TYPES)})", name))
            continue
        constraints = f.get("constraints", {})
        if not isinstance(constraints, dict):
            problems.append(bad("constraints must be an object", name))
            continue
        for key, value in constraints.items():
            want = CONSTRAINTS.get(key)
            if want is None:
                problems.append(bad(f"constraint {key!r} is not supported", name))
            elif not isinstance(value, want) or (want is int and isinstance(value, bool)):
                problems.append(bad(f"constraint {key!r} has the wrong type", name))
            elif key in ("minimum", "maximum") and ftype in ("integer", "number", "year") and not _finite(value):
                problems.append(bad(f"constraint {key!r} must be a finite number for a {ftype} field", name))
        if isinstance(constraints.get("pattern"), str):
            from .checks.patterns import pattern_error

            try:  # the standard's regex syntax (frictionless reads it with Python's re)...
                re.compile(constraints["pattern"])
            except re.error as exc:
                problems.append(bad(f"pattern is not a valid regular expression: {exc}", name))
            else:
                why = pattern_error(constraints["pattern"])  # ...and one a linear-time engine runs
                if why:
                    problems.append(bad(f"pattern cannot be run by the linear-time regex engine (RE2): {why}",
                                        name))
        if name in {x.name for x in fields}:
            problems.append(bad(f"field name {name!r} is used twice", name))
            continue
        fields.append(Field(name, ftype, str(f.get("description", "")), dict(constraints),
                            bool(f.get("x-kuril-edtf")), bool(f.get("x-kuril-language")),
                            bool(f.get("x-kuril-verbatim"))))
    names = {f.name for f in fields}
    pk = raw.get("primaryKey", [])
    pk = [pk] if isinstance(pk, str) else pk
    if not isinstance(pk, list) or any(k not in names for k in pk):
        problems.append(bad(f"primary key {pk!r} names fields not in the schema"))
        pk = []
    fks: list[ForeignKey] = []
    for fk in raw.get("foreignKeys", []) or []:
        try:
            src = fk["fields"]
            ref = fk["reference"]
            src = [src] if isinstance(src, str) else list(src)
            dst = ref["fields"]
            dst = [dst] if isinstance(dst, str) else list(dst)
            target = ref.get("resource", "")
        except (KeyError, TypeError):
            problems.append(bad("a foreign key needs fields and a reference with resource and fields"))
            continue
        if len(src) != len(dst) or any(s not in names for s in src):
            problems.append(bad(f"foreign key {src} does not match the schema or its reference",
                                ",".join(map(str, src))))
            continue
        fks.append(ForeignKey(tuple(src), str(target), tuple(dst)))
    one_of = raw.get("x-kuril-exactly-one-of", [])
    if any(n not in names for n in one_of):
        problems.append(bad("x-kuril-exactly-one-of names fields not in the schema"))
        one_of = []
    if problems:
        return None, problems
    schema = Schema(tuple(fields), tuple(pk), tuple(fks), str(raw.get("description", "")), tuple(one_of))
    return schema, problems
