"""Read `datapackage.json` and its Table Schemas into frozen objects, refusing unsafe paths.

Nothing here opens a file outside the package folder or touches the network: every path is
checked before it is opened, and descriptors are checked against the standard offline.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from kuril_data.errors import KurilDataError
from kuril_data.extras import require
from kuril_data.model.dates import EARLIEST, LATEST
from kuril_data.model.layout import reserved_path, reserved_resource
from kuril_data.model.limits import DEFAULT_LIMITS, Limits
from kuril_data.model.standard import certain_package, certain_schema
from kuril_data.model.text import FORBIDDEN
from kuril_data.model.types import SUPPORTED_TYPES
from kuril_data.report import Problem

DESCRIPTOR = "datapackage.json"
CONSTRAINTS: dict[str, type | tuple[type, ...]] = {
    "required": bool, "unique": bool, "enum": list, "pattern": str,
    "minLength": int, "maxLength": int, "minimum": (int, float, str), "maximum": (int, float, str),
}
MAX_DESCRIPTOR_BYTES = DEFAULT_LIMITS.max_descriptor_bytes
# Names the SQLite export creates beside the tables: the metadata table, the convenience views and
# the full-text index of a table with its FTS5 shadow tables. A resource may not take one.
_RESERVED = re.compile(r"_.*|sqlite_.*|.*_fts(_(data|idx|content|docsize|config))?|quotations_with_speakers"
                       r"|events_with_actors_and_places")
_INT64 = (-(2**63), 2**63 - 1)
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Lone surrogates (from a `\\ud800` escape) cannot be written as UTF-8; control characters
# (C0, DEL, C1) would drive a terminal or break a file format: no descriptor or schema text holds one.
_UNSAFE_TEXT = re.compile(FORBIDDEN.pattern[:-1] + "\ud800-\udfff]")  # controls, invisible characters, surrogates
# Names SQLite gives every table's row id: a column of that name hides it (and breaks full-text search).
ROWID_NAMES = ("rowid", "oid", "_rowid_")


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
    # The schema file's JSON as read: the one-file JSON export embeds it, so no writer re-reads it.
    raw_schema: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


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


def unsafe_rel(rel: object) -> str | None:
    """Why a path written in a descriptor is refused (judged on the text alone), or None."""
    if not isinstance(rel, str) or not rel:
        return "path must be a non-empty string"
    if _URL.match(rel) and not re.match(r"^[A-Za-z]:[\\/]", rel):
        return f"path {rel!r} is a URL; only files inside the package are read"
    if "\\" in rel:
        return f"path {rel!r} contains a backslash; use forward slashes inside the package"
    if rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        return f"path {rel!r} is absolute; paths must be relative to the package folder"
    parts = PurePosixPath(rel).parts
    if ".." in parts:
        return f"path {rel!r} leaves the package folder"
    if any(ord(c) < 32 or ord(c) == 127 for c in rel):
        return f"path {rel!r} contains a control character"
    if any(":" in p for p in parts):
        return f"path {rel!r} contains a ':'; it could name a drive or a stream"
    return None


def normal_rel(rel: str) -> str:
    """A safe descriptor path in one spelling ('data//x.csv' and './data/x.csv' are 'data/x.csv')."""
    return PurePosixPath(rel).as_posix()


def safe_member(root: Path, rel: object) -> tuple[Path | None, str | None]:
    """Resolve a descriptor path inside `root`, or say why it is refused (before opening it)."""
    why = unsafe_rel(rel)
    if why:
        return None, why
    assert isinstance(rel, str)
    parts = PurePosixPath(rel).parts
    target = root.joinpath(*parts)
    # Refuse symlinks anywhere along the way: a link could lead out of the package.
    cur = root
    for part in parts:
        cur = cur / part
        if cur.is_symlink():
            return None, f"path {rel!r} goes through a symbolic link; links are not followed"
    return target, None


def read_package(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS
                 ) -> tuple[Package | None, list[Problem]]:
    """Read the descriptor and every schema. Returns the usable package and the problems found.

    Sizes and counts (descriptor and schema bytes, resources, fields, foreign keys) are checked
    against `limits` before the objects they would cost are built.
    """
    root, desc_path = locate(path)
    rel_desc = desc_path.name
    problems: list[Problem] = []
    if desc_path.is_symlink():
        return None, [Problem(rel_desc, None, None, "unsafe-path",
                              "the descriptor is a symbolic link; links are not followed")]
    if desc_path.stat().st_size > limits.max_descriptor_bytes:
        return None, [Problem(rel_desc, None, None, "descriptor-error",
                              f"descriptor is larger than {limits.max_descriptor_bytes} bytes")]
    descriptor, problem = _read_json(desc_path, rel_desc, "descriptor-error")
    if problem:
        return None, [problem]
    if not isinstance(descriptor, dict):
        return None, [Problem(rel_desc, 1, None, "descriptor-error", "the descriptor must be a JSON object")]
    text_problems = list(unsafe_text(descriptor, rel_desc))
    if text_problems:  # nothing built from such text could be written out: refuse it whole
        return None, text_problems
    problems += _check_descriptor(descriptor, rel_desc)
    raw_resources = descriptor.get("resources")
    if not isinstance(raw_resources, list) or not raw_resources:
        problems.append(Problem(rel_desc, None, "resources", "descriptor-error",
                                "the descriptor needs a non-empty list of resources"))
        return None, problems
    if len(raw_resources) > limits.max_resources:
        problems.append(Problem(rel_desc, None, "resources", "descriptor-error",
                                f"the descriptor has {len(raw_resources)} resources; the limit is "
                                f"{limits.max_resources}"))
        return None, problems
    resources: list[Resource] = []
    seen: set[str] = set()
    paths: set[str] = set()
    for i, raw in enumerate(raw_resources):
        res, res_problems = _read_resource(root, rel_desc, i, raw, seen, paths, limits)
        problems += res_problems
        if res:
            resources.append(res)
            seen.add(res.name)
            paths.add(normal_rel(res.path))
    declared = {r.get("name") for r in raw_resources if isinstance(r, dict) and isinstance(r.get("name"), str)}
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
            elif not _unique_key(target.schema, fk.reference):
                # SQLite (and any database) needs the referenced fields to be a unique key.
                problems.append(Problem(res.schema_path, None, ",".join(fk.fields), "schema-error",
                                        f"foreign key refers to ({', '.join(fk.reference)}) of {fk.resource!r}, "
                                        "which is neither its primary key nor a unique field"))
    return Package(root, descriptor, tuple(resources)), problems


def unsafe_text(doc: Any, rel: str, code: str = "unsafe-text") -> Iterator[Problem]:
    """A located problem for every string (key or value) of a JSON document holding a lone surrogate
    or a control character; the field is the JSON path, the character shown escaped."""
    def walk(value: Any, where: str) -> Iterator[Problem]:
        if isinstance(value, str):
            bad = _UNSAFE_TEXT.search(value)
            if bad:
                kind = "a lone surrogate" if 0xD800 <= ord(bad.group()) < 0xE000 else \
                    "a control or invisible character"
                yield Problem(rel, None, where or None, code,
                              f"text holds {kind} (U+{ord(bad.group()):04X}); write it as plain Unicode text")
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{where}.{key}" if where else str(key)
                if _UNSAFE_TEXT.search(str(key)):
                    yield from walk(str(key), where)
                    continue
                yield from walk(item, name)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from walk(item, f"{where}[{i}]")
    return walk(doc, "")


def _unique_key(schema: Schema, fields: tuple[str, ...]) -> bool:
    if set(fields) == set(schema.primary_key) and fields:
        return True
    return len(fields) == 1 and bool(schema.field(fields[0]).constraints.get("unique"))


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
    except ValueError as exc:  # an integer of thousands of digits (Python's int_max_str_digits)
        return None, Problem(rel, None, None, code, f"invalid JSON: {exc}")


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
    raw = descriptor.get("resources")
    shell = _offline({**descriptor, "resources": [
        {k: v for k, v in r.items() if k in ("name", "path")} if isinstance(r, dict) else r
        for r in (raw if isinstance(raw, list) else [])  # a number or an object: reported by the caller
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


def _read_resource(root: Path, rel_desc: str, i: int, raw: Any, seen: set[str], paths: set[str],
                   limits: Limits) -> tuple[Resource | None, list[Problem]]:
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
    if _RESERVED.fullmatch(name):
        return None, [Problem(rel_desc, None, where, "descriptor-error",
                              f"resource name {name!r} is a name the SQLite export uses for its metadata, "
                              "views or full-text indexes")]
    if name in seen:
        return None, [Problem(rel_desc, None, where, "descriptor-error", f"resource name {name!r} is used twice")]
    if clash := reserved_resource(name):
        return None, [Problem(rel_desc, None, where, "reserved-path",
                              f"resource name {name!r} is the site's own {clash!r}; the site has a folder per "
                              "resource")]
    path = raw.get("path")
    _, why = safe_member(root, path)
    if why:
        return None, [Problem(rel_desc, None, f"{name}.path", "unsafe-path", why)]
    for key, rel in (("path", path), ("schema", raw.get("schema"))):
        if isinstance(rel, str) and unsafe_rel(rel) is None and (clash := reserved_path(rel)):
            return None, [Problem(rel_desc, None, f"{name}.{key}", "reserved-path",
                                  f"path {rel!r} would land on the release's own {clash!r} when the package is "
                                  "copied into a release; keep data under data/ and schemas under schemas/")]
    if normal_rel(str(path)) in paths:
        return None, [Problem(rel_desc, None, f"{name}.path", "descriptor-error",
                              f"path {path!r} is used by another resource already")]
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
    if schema_file.stat().st_size > limits.max_descriptor_bytes:
        return None, [Problem(str(schema_ref), None, None, "schema-error",
                              f"schema file is larger than {limits.max_descriptor_bytes} bytes")]
    schema_raw, problem = _read_json(schema_file, str(schema_ref), "schema-error")
    if problem:
        return None, [problem]
    schema, problems = parse_schema(schema_raw, str(schema_ref), limits)
    if schema is None:
        return None, problems
    return Resource(name, str(path), str(schema_ref), schema, str(raw.get("description", "")),
                    schema_raw), problems


def _names(value: Any) -> list[str] | None:
    """A field name or a list of field names as a list, or None when the value has another shape."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _bound_problem(key: str, value: Any, ftype: str) -> str | None:
    """Why a minimum/maximum does not fit the field's type, or None."""
    if ftype in ("integer", "year"):
        ok = isinstance(value, int) and not isinstance(value, bool) and _INT64[0] <= value <= _INT64[1]
        return None if ok else f"constraint {key!r} must be a whole number within 64 bits for a {ftype} field"
    if ftype == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and abs(value) < float("inf")
        return None if ok else f"constraint {key!r} must be a finite number for a number field"
    if ftype == "date":
        if isinstance(value, str):
            import datetime as dt

            try:
                dt.date.fromisoformat(value)
                return None
            except ValueError:
                pass
        return f"constraint {key!r} must be a date (YYYY-MM-DD) for a date field"
    return f"constraint {key!r} does not apply to a {ftype} field"


def _constraint_problems(constraints: dict[str, Any], ftype: str) -> Iterator[str]:
    for key, value in constraints.items():
        want = CONSTRAINTS.get(key)
        if want is None:
            yield f"constraint {key!r} is not supported"
        elif key in ("minimum", "maximum"):
            why = _bound_problem(key, value, ftype)
            if why:
                yield why
        elif not isinstance(value, want) or (want is int and isinstance(value, bool)):
            yield f"constraint {key!r} has the wrong type"
        elif want is int and isinstance(value, int) and not 0 <= value <= _INT64[1]:
            yield f"constraint {key!r} must be a whole number from 0 to 2**63 - 1"
    enum = constraints.get("enum")
    if isinstance(enum, list):
        if not all(isinstance(v, str | int | float) and not isinstance(v, bool) for v in enum):
            yield "constraint 'enum' must list strings or numbers"
        elif len({str(v) for v in enum}) != len(enum):
            yield "constraint 'enum' lists a value twice"


def parse_schema(raw: Any, rel: str, limits: Limits = DEFAULT_LIMITS) -> tuple[Schema | None, list[Problem]]:
    """Check a Table Schema descriptor and build a Schema; None when it is unusable.

    The shape of every value is checked before it is used, so a malformed schema is a located
    problem, never a crash further on.
    """
    def bad(msg: str, fld: str | None = None) -> Problem:
        return Problem(rel, None, fld, "schema-error", msg)

    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list) or not raw["fields"]:
        return None, [bad("a Table Schema must be an object with a non-empty list of fields")]
    text_problems = list(unsafe_text(raw, rel))
    if text_problems:
        return None, text_problems
    if len(raw["fields"]) > limits.max_fields:
        return None, [bad(f"the schema has {len(raw['fields'])} fields; the limit is {limits.max_fields}")]
    fks_raw = raw.get("foreignKeys", []) or []
    if not isinstance(fks_raw, list):
        return None, [bad("foreignKeys must be a list")]
    if len(fks_raw) > limits.max_foreign_keys:
        return None, [bad(f"the schema has {len(fks_raw)} foreign keys; the limit is {limits.max_foreign_keys}")]
    offline = _offline(raw)
    try:
        problems = [] if certain_schema(offline) else [  # see standard.py
            bad(f"not a valid Table Schema: {e.note}")
            for e in _frictionless_schema().validate_descriptor(offline).errors]
    except Exception as exc:  # frictionless raises on some malformed shapes
        problems = [bad(f"not a valid Table Schema: {exc}")]
    fields: list[Field] = []
    for i, f in enumerate(raw["fields"]):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            problems.append(bad(f"field {i} needs a name"))
            continue
        name, ftype = f["name"], f.get("type", "string")
        if not isinstance(ftype, str) or ftype not in SUPPORTED_TYPES:
            problems.append(bad(f"type {ftype!r} is not supported (use one of {', '.join(SUPPORTED_TYPES)})", name))
            continue
        constraints = f.get("constraints", {})
        if not isinstance(constraints, dict):
            problems.append(bad("constraints must be an object", name))
            continue
        problems += [bad(why, name) for why in _constraint_problems(constraints, ftype)]
        if isinstance(constraints.get("pattern"), str):
            from kuril_data.model.patterns import pattern_error

            try:  # the standard's regex syntax (frictionless reads it with Python's re)...
                re.compile(constraints["pattern"])
            except (re.error, RecursionError, OverflowError) as exc:
                problems.append(bad(f"pattern is not a valid regular expression: {exc}", name))
            else:
                why = pattern_error(constraints["pattern"])  # ...and one a linear-time engine runs
                if why:
                    problems.append(bad(f"pattern cannot be run by the linear-time regex engine (RE2): {why}",
                                        name))
        if name in {x.name for x in fields}:
            problems.append(bad(f"field name {name!r} is used twice", name))
            continue
        if name.casefold() in ROWID_NAMES:
            problems.append(Problem(rel, None, name, "field-name",
                                    f"field name {name!r} is SQLite's name for the row id; rename the field"))
            continue
        if same := next((x.name for x in fields if x.name.casefold() == name.casefold()), None):
            problems.append(Problem(rel, None, name, "field-name",
                                    f"field name {name!r} differs from {same!r} only in case; SQLite (and "
                                    "case-insensitive tools) take them for one column"))
            continue
        fields.append(Field(name, ftype, str(f.get("description", "")), dict(constraints),
                            bool(f.get("x-kuril-edtf")), bool(f.get("x-kuril-language")),
                            bool(f.get("x-kuril-verbatim"))))
    names = {f.name for f in fields}
    for f in fields:
        if f.edtf:  # load and the exports add these columns; a field of that name would clash
            lower = {n.casefold(): n for n in names}  # SQLite compares column names without case
            clashes = [lower[c] for s in (EARLIEST, LATEST) if (c := (f.name + s).casefold()) in lower]
            problems += [bad(f"field {c!r} clashes with the column derived from the EDTF field {f.name!r}", c)
                         for c in clashes]
    pk = _names(raw.get("primaryKey", []))
    if pk is None or any(k not in names for k in pk):
        problems.append(bad(f"primary key {raw.get('primaryKey')!r} names fields not in the schema"))
        pk = []
    fks: list[ForeignKey] = []
    for fk in fks_raw:
        ref = fk.get("reference") if isinstance(fk, dict) else None
        src = _names(fk.get("fields")) if isinstance(fk, dict) else None
        dst = _names(ref.get("fields")) if isinstance(ref, dict) else None
        target = ref.get("resource", "") if isinstance(ref, dict) else None
        if src is None or dst is None or not isinstance(target, str):
            problems.append(bad("a foreign key needs fields and a reference with resource and fields "
                                "(field names as strings)"))
            continue
        if len(src) != len(dst) or any(s not in names for s in src):
            problems.append(bad(f"foreign key {src} does not match the schema or its reference", ",".join(src)))
            continue
        fks.append(ForeignKey(tuple(src), target, tuple(dst)))
    one_of = raw.get("x-kuril-exactly-one-of", [])
    if not isinstance(one_of, list) or not all(isinstance(n, str) for n in one_of):
        problems.append(bad("x-kuril-exactly-one-of must be a list of field names"))
        one_of = []
    elif any(n not in names for n in one_of):
        problems.append(bad("x-kuril-exactly-one-of names fields not in the schema"))
        one_of = []
    if problems:
        return None, problems
    schema = Schema(tuple(fields), tuple(pk), tuple(fks), str(raw.get("description", "")), tuple(one_of))
    return schema, problems
