"""What changed between two versions of the package, record by record, and the version bump it calls for.

A version is anything `kuril_data.io.versions` reads: a package or release folder (or its
`datapackage.json`), a release zip, an inline Data Package JSON file, a SQLite file, or a git
revision of the repository the command runs in (`git:HEAD~1`; a bare `HEAD~1`, `main`, `v0.1.0`
when no path of that name exists, refused as ambiguous when one does).

Cells are compared as the raw strings the CSV reader returns, so a diff works on a package that
does not validate. Records are matched by the primary key; only fields both schemas share are
compared cell by cell (fields added or removed are reported once, as schema changes).

Semantic-version bump: major for removed or retyped fields, changed primary or foreign keys, removed
tables or records; minor for added fields, tables, records or foreign keys and changed constraints;
patch for corrected values and descriptions only; none when nothing changed.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from kuril_data.errors import KurilDataError
from kuril_data.io.versions import VersionError
from kuril_data.model.limits import DEFAULT_LIMITS, Limits
from kuril_data.model.package import PackageError, Schema
from kuril_data.report import escape_controls, json_text
from kuril_data.validate import Checked, check

BUMPS = ("none", "patch", "minor", "major")
FORMATS = ("text", "json", "markdown")
MARKDOWN_ROWS = 100  # per section: a GitHub step summary is capped at 1 MiB
MARKDOWN_CELL = 160
_SEMVER = re.compile(r"^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")

__all__ = [
    "BUMPS", "DiffError", "FieldChange", "PackageDiff", "RecordChange", "SchemaChange", "Snapshot",
    "TableDiff", "check_version_bump", "diff_packages", "load_version", "required_bump",
]


class DiffError(KurilDataError):
    """A version cannot be read: no package there, an unsafe archive, an unknown git revision."""


def _max_bump(bumps: Iterable[str]) -> str:
    return max(bumps, key=BUMPS.index, default="none")


# ---------------------------------------------------------------------------------------------
# Reading a version into memory


@dataclass(frozen=True)
class TableSnapshot:
    """One table of one version: its schema and its rows as raw strings ('' for empty)."""

    name: str
    schema: Schema
    description: str
    rows: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class Snapshot:
    """One version of the package, read whole into memory (temporary files are gone by then)."""

    label: str
    descriptor: dict[str, Any]
    tables: dict[str, TableSnapshot]

    @property
    def version(self) -> str:
        return str(self.descriptor.get("version", ""))


def load_version(spec: str | os.PathLike[str], *, repo: str | os.PathLike[str] | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> Snapshot:
    """Read a version: a package or release folder, `datapackage.json`, release zip, inline JSON,
    SQLite file, `git:REV`, or a bare git revision when no path of that name exists (a name that is
    both is refused as ambiguous). See `kuril_data.io.versions`.

    A git revision is looked up in the repository holding `repo` (default: the current folder), and
    the package is taken from the same sub-folder of the revision as `repo` is of the work tree.
    Raises DiffError when the version cannot be read.
    """
    label = os.fspath(spec)
    try:
        checked = check(label, repo=repo, limits=limits, rules=False, bare_git=True)
    except PackageError as exc:
        raise DiffError(f"{label}: {exc}") from None
    except VersionError as exc:
        raise DiffError(str(exc)) from None
    except OSError as exc:  # unreadable input, or no room for a temporary copy
        raise DiffError(f"{label}: {exc.strerror or exc}") from None
    return _snapshot(checked)


def _snapshot(checked: Checked) -> Snapshot:
    """The version as read through the door (rules not judged): every table's raw text values."""
    label, package, problems = checked.label, checked.package, checked.report.problems
    if package is None:
        raise DiffError(f"{label}: cannot read the package: " + "; ".join(p.to_text() for p in problems))
    declared = [r.get("name") for r in package.descriptor.get("resources", []) if isinstance(r, dict)]
    unread = [str(n) for n in declared if not isinstance(n, str) or package.resource(n) is None]
    if unread:
        why = "; ".join(p.to_text() for p in problems) or "its descriptor entry is not usable"
        raise DiffError(f"{label}: cannot read the schema of {', '.join(unread)}: {why}")
    tables: dict[str, TableSnapshot] = {}
    for resource in package.resources:
        table = checked.tables.get(resource.name)
        if table is None:
            why = "; ".join(p.to_text() for p in problems if p.file == resource.path)
            raise DiffError(f"{label}: cannot read the cells of {resource.path}: {why}")
        names = resource.schema.names
        cols = [table.column(n) for n in names]
        rows = tuple(dict(zip(names, values, strict=True)) for values in zip(*cols, strict=True)) if names else ()
        tables[resource.name] = TableSnapshot(resource.name, resource.schema, resource.description, rows)
    return Snapshot(label, package.descriptor, tables)


# ---------------------------------------------------------------------------------------------
# The diff


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class RecordChange:
    """A record present in both versions (same key) whose cells differ."""

    key: dict[str, str]
    fields: tuple[FieldChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "fields": {c.field: {"old": c.old, "new": c.new} for c in self.fields}}


@dataclass(frozen=True)
class SchemaChange:
    """One change to a table's schema (or to the package's metadata when `table` is None)."""

    change: str  # field-added, field-removed, field-retyped, constraints-changed, ...
    bump: str
    message: str
    field: str | None = None
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.change, "field": self.field, "old": self.old, "new": self.new,
                "bump": self.bump, "message": self.message}


@dataclass(frozen=True)
class TableDiff:
    name: str
    status: str  # added, removed, changed, unchanged
    key: tuple[str, ...]
    schema: tuple[SchemaChange, ...] = ()
    added: tuple[dict[str, str], ...] = ()
    removed: tuple[dict[str, str], ...] = ()
    changed: tuple[RecordChange, ...] = ()

    @property
    def bump(self) -> str:
        bumps = [c.bump for c in self.schema]
        bumps += ["major"] * bool(self.removed or self.status == "removed")
        bumps += ["minor"] * bool(self.added or self.status == "added")
        bumps += ["patch"] * bool(self.changed)
        return _max_bump(bumps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "status": self.status, "bump": self.bump, "primary_key": list(self.key),
            "schema": [c.to_dict() for c in self.schema],
            "records": {"added": list(self.added), "removed": list(self.removed),
                        "changed": [c.to_dict() for c in self.changed]},
        }

    def key_of(self, record: dict[str, str]) -> dict[str, str]:
        return {k: record.get(k, "") for k in self.key}


@dataclass(frozen=True)
class PackageDiff:
    """Every change between two versions, and the semantic-version bump they call for."""

    old_label: str
    new_label: str
    old_version: str
    new_version: str
    metadata: tuple[SchemaChange, ...] = ()
    tables: tuple[TableDiff, ...] = field(default=())

    @property
    def bump(self) -> str:
        return _max_bump([c.bump for c in self.metadata] + [t.bump for t in self.tables])

    @property
    def changed(self) -> bool:
        return self.bump != "none"

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": {"label": self.old_label, "version": self.old_version},
            "new": {"label": self.new_label, "version": self.new_version},
            "bump": self.bump,
            "package": [c.to_dict() for c in self.metadata],
            "tables": [t.to_dict() for t in self.tables],
        }

    def to_json(self) -> str:
        return json_text(self.to_dict())

    def to_text(self) -> str:
        return "\n".join(map(escape_controls, _text_lines(self)))  # no key or name can drive a terminal

    def to_markdown(self) -> str:
        return "\n".join(map(escape_controls, _markdown_lines(self)))

    def render(self, fmt: str) -> str:
        return {"text": self.to_text, "json": self.to_json, "markdown": self.to_markdown}[fmt]()


def diff_packages(old: str | os.PathLike[str] | Snapshot, new: str | os.PathLike[str] | Snapshot, *,
                  repo: str | os.PathLike[str] | None = None) -> PackageDiff:
    """Compare two versions (see `load_version` for what each may be). Raises DiffError if one cannot be read."""
    a = old if isinstance(old, Snapshot) else load_version(old, repo=repo)
    b = new if isinstance(new, Snapshot) else load_version(new, repo=repo)
    names = list(b.tables) + [n for n in a.tables if n not in b.tables]
    tables = [_diff_table(a.tables.get(n), b.tables.get(n)) for n in names]
    return PackageDiff(a.label, b.label, a.version, b.version, tuple(_diff_metadata(a.descriptor, b.descriptor)),
                       tuple(t for t in tables if t.status != "unchanged"))


def required_bump(old: str | os.PathLike[str] | Snapshot, new: str | os.PathLike[str] | Snapshot, *,
                  repo: str | os.PathLike[str] | None = None) -> str:
    """The semantic-version bump the changes from `old` to `new` call for: none, patch, minor or major."""
    return diff_packages(old, new, repo=repo).bump


def check_version_bump(previous_version: str, new_version: str, bump: str) -> str | None:
    """An error message when `new_version` is lower than `previous_version` bumped by `bump`, else None.

    Versions are MAJOR.MINOR.PATCH (a leading `v`, as in git tags, is allowed). Strict semantic
    versioning, also below 1.0.0: a major bump from 0.3.1 needs at least 1.0.0.
    """
    if bump not in BUMPS:
        raise ValueError(f"bump must be one of {', '.join(BUMPS)}, not {bump!r}")
    parsed = []
    for what, v in (("previous", previous_version), ("new", new_version)):
        m = _SEMVER.match(v)
        if not m:
            return f"the {what} version {v!r} is not a MAJOR.MINOR.PATCH version"
        parsed.append(tuple(int(x) for x in m.groups()))
    (ma, mi, pa), new = parsed
    need = {"none": (ma, mi, pa), "patch": (ma, mi, pa + 1), "minor": (ma, mi + 1, 0), "major": (ma + 1, 0, 0)}[bump]
    if new < need:
        shown = ".".join(map(str, need))
        return (f"version {new_version} is too low: the changes since {previous_version} call for a {bump} "
                f"bump, so at least {shown}")
    return None


def _diff_metadata(old: dict[str, Any], new: dict[str, Any]) -> Iterator[SchemaChange]:
    from kuril_data.release.describe import BUILD_PROPERTIES

    for key in sorted((set(old) | set(new)) - {"resources", "version"} - BUILD_PROPERTIES):
        if old.get(key) != new.get(key):
            yield SchemaChange("metadata-changed", "patch", f"package property {key!r} changed", key,
                               old.get(key), new.get(key))


def _diff_table(old: TableSnapshot | None, new: TableSnapshot | None) -> TableDiff:
    if old is None and new is not None:
        return TableDiff(new.name, "added", new.schema.primary_key, added=new.rows)
    if new is None and old is not None:
        return TableDiff(old.name, "removed", old.schema.primary_key, removed=old.rows)
    assert old is not None and new is not None
    schema = tuple(_diff_schema(old, new))
    common = [n for n in new.schema.names if n in old.schema.names]
    key = next((k for k in (old.schema.primary_key, new.schema.primary_key) if k and set(k) <= set(common)),
               tuple(common))
    added, removed, changed = _diff_rows(old.rows, new.rows, key, common)
    status = "changed" if schema or added or removed or changed else "unchanged"
    return TableDiff(new.name, status, key, schema, added, removed, changed)


def _diff_rows(old: Iterable[dict[str, str]], new: Iterable[dict[str, str]], key: tuple[str, ...],
               common: list[str]) -> tuple[tuple[dict[str, str], ...], tuple[dict[str, str], ...],
                                           tuple[RecordChange, ...]]:
    def index(rows: Iterable[dict[str, str]]) -> dict[tuple[str, ...], list[dict[str, str]]]:
        out: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
        for r in rows:
            out[tuple(r.get(k, "") for k in key)].append(r)
        return out

    a, b = index(old), index(new)
    added: list[dict[str, str]] = []
    removed: list[dict[str, str]] = []
    changed: list[RecordChange] = []
    for k in sorted(set(a) | set(b)):
        olds, news = a.get(k, []), b.get(k, [])  # more than one only when the key is repeated
        for o, n in zip(olds, news, strict=False):
            fields = tuple(FieldChange(f, o.get(f, ""), n.get(f, "")) for f in common if o.get(f, "") != n.get(f, ""))
            if fields:
                changed.append(RecordChange(dict(zip(key, k, strict=True)), fields))
        removed += olds[len(news):]
        added += news[len(olds):]
    return tuple(added), tuple(removed), tuple(changed)


def _field_props(f: Any) -> dict[str, bool]:
    return {"x-kuril-edtf": f.edtf, "x-kuril-language": f.language, "x-kuril-verbatim": f.verbatim}


def _diff_schema(old: TableSnapshot, new: TableSnapshot) -> Iterator[SchemaChange]:
    a, b = old.schema, new.schema
    for f in a.fields:
        if f.name not in b.names:
            yield SchemaChange("field-removed", "major", f"field {f.name!r} removed", f.name, f.type, None)
    for f in b.fields:
        if f.name not in a.names:
            yield SchemaChange("field-added", "minor", f"field {f.name!r} added ({f.type})", f.name, None, f.type)
            continue
        g = a.field(f.name)
        if g.type != f.type:
            yield SchemaChange("field-retyped", "major", f"field {f.name!r} retyped from {g.type} to {f.type}",
                               f.name, g.type, f.type)
        if g.constraints != f.constraints:
            yield SchemaChange("constraints-changed", "minor", f"constraints of field {f.name!r} changed",
                               f.name, g.constraints, f.constraints)
        if _field_props(g) != _field_props(f):
            yield SchemaChange("properties-changed", "minor", f"x-kuril properties of field {f.name!r} changed",
                               f.name, _field_props(g), _field_props(f))
        if g.description != f.description:
            yield SchemaChange("description-changed", "patch", f"description of field {f.name!r} changed",
                               f.name, g.description, f.description)
    common_old = [n for n in a.names if n in b.names]
    common_new = [n for n in b.names if n in a.names]
    if common_old != common_new:
        yield SchemaChange("fields-reordered", "patch", "fields reordered", None, a.names, b.names)
    if a.primary_key != b.primary_key:
        yield SchemaChange("primary-key-changed", "major",
                           f"primary key changed from ({', '.join(a.primary_key)}) to ({', '.join(b.primary_key)})",
                           None, list(a.primary_key), list(b.primary_key))
    for fk in a.foreign_keys:
        if fk not in b.foreign_keys:
            yield SchemaChange("foreign-key-removed", "major", f"foreign key {_fk(fk)} removed", ",".join(fk.fields),
                               _fk(fk), None)
    for fk in b.foreign_keys:
        if fk not in a.foreign_keys:
            yield SchemaChange("foreign-key-added", "minor", f"foreign key {_fk(fk)} added", ",".join(fk.fields),
                               None, _fk(fk))
    if a.exactly_one_of != b.exactly_one_of:
        yield SchemaChange("constraints-changed", "minor", "x-kuril-exactly-one-of changed", None,
                           list(a.exactly_one_of), list(b.exactly_one_of))
    if a.description != b.description:
        yield SchemaChange("description-changed", "patch", "schema description changed", None,
                           a.description, b.description)
    if old.description != new.description:
        yield SchemaChange("description-changed", "patch", "table description changed", None,
                           old.description, new.description)


def _fk(fk: Any) -> str:
    return f"({', '.join(fk.fields)}) → {fk.resource} ({', '.join(fk.reference)})"


# ---------------------------------------------------------------------------------------------
# Rendering


def _q(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _key_text(key: dict[str, str]) -> str:
    if len(key) == 1:
        return next(iter(key.values()))
    return ", ".join(f"{k}={_q(v)}" for k, v in key.items())


def _counts(t: TableDiff) -> str:
    parts = [f"{len(t.added)} added", f"{len(t.removed)} removed", f"{len(t.changed)} changed"]
    if t.schema:
        parts.append(f"{len(t.schema)} schema change(s)")
    return ", ".join(parts)


def _header(d: PackageDiff) -> str:
    def side(label: str, version: str) -> str:
        return f"{label} ({version})" if version else label

    return f"{side(d.old_label, d.old_version)} → {side(d.new_label, d.new_version)}"


def _text_lines(d: PackageDiff) -> Iterator[str]:
    yield f"diff {_header(d)}"
    if not d.changed:
        yield "no changes; version bump: none"
        return
    yield f"version bump: {d.bump}"
    if d.metadata:
        yield ""
        yield "package:"
        for c in d.metadata:
            yield f"  ~ {c.message}: {_q(c.old)} → {_q(c.new)}  [{c.bump}]"
    for t in d.tables:
        yield ""
        status = {"added": "table added", "removed": "table removed"}.get(t.status, _counts(t))
        yield f"{t.name}: {status}  [{t.bump}]"
        for c in t.schema:
            yield f"  schema: {c.message}" + ("" if c.old is None or c.new is None else f": {_q(c.old)} → {_q(c.new)}")
        for sign, records in (("+", t.added), ("-", t.removed)):
            for r in records:
                yield f"  {sign} {_key_text(t.key_of(r))}"
                for name, value in r.items():
                    if value and name not in t.key:
                        yield f"      {name}: {_q(value)}"
        for rc in t.changed:
            yield f"  ~ {_key_text(rc.key)}"
            for fc in rc.fields:
                yield f"      {fc.field}: {_q(fc.old)} → {_q(fc.new)}"


def _md(value: Any, limit: int = MARKDOWN_CELL) -> str:
    text = value if isinstance(value, str) else _q(value)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "\\`"), ("*", "\\*"),
                 ("_", "\\_"), ("[", "\\["), ("]", "\\]"), ("~", "\\~")):
        text = text.replace(a, b)
    return text


def _capped(rows: list[str], total: int) -> Iterator[str]:
    yield from rows[:MARKDOWN_ROWS]
    if total > MARKDOWN_ROWS:
        yield ""
        yield f"… and {total - MARKDOWN_ROWS} more (run `kuril-data diff` for the full list)."


def _markdown_lines(d: PackageDiff) -> Iterator[str]:
    yield f"## kuril-data diff: {_md(_header(d))}"
    yield ""
    if not d.changed:
        yield "No changes. Version bump: **none**."
        return
    yield f"Version bump: **{d.bump}**"
    yield ""
    yield "| table | status | added | removed | changed | schema changes | bump |"
    yield "|---|---|--:|--:|--:|--:|---|"
    for t in d.tables:
        yield (f"| {_md(t.name)} | {t.status} | {len(t.added)} | {len(t.removed)} | {len(t.changed)} | "
               f"{len(t.schema)} | {t.bump} |")
    if d.metadata:
        yield ""
        yield "### Package metadata"
        yield ""
        for c in d.metadata:
            yield f"- {_md(c.message)}: {_md(c.old)} → {_md(c.new)} ({c.bump})"
    for t in d.tables:
        yield ""
        yield f"### {_md(t.name)}"
        if t.schema:
            yield ""
            for c in t.schema:
                detail = "" if c.old is None or c.new is None else f": {_md(c.old)} → {_md(c.new)}"
                yield f"- schema: {_md(c.message)}{detail} ({c.bump})"
        for title, records in (("Added", t.added), ("Removed", t.removed)):
            if records:
                yield ""
                yield f"{title} records:"
                yield ""
                yield "| key | record |"
                yield "|---|---|"
                rows = [f"| {_md(_key_text(t.key_of(r)))} | "
                        + _md("; ".join(f"{k}: {v}" for k, v in r.items() if v and k not in t.key)) + " |"
                        for r in records[:MARKDOWN_ROWS]]
                yield from _capped(rows, len(records))
        if t.changed:
            yield ""
            yield "Changed records:"
            yield ""
            yield "| key | field | old | new |"
            yield "|---|---|---|---|"
            rows = [f"| {_md(_key_text(rc.key))} | {_md(fc.field)} | {_md(fc.old)} | {_md(fc.new)} |"
                    for rc in t.changed for fc in rc.fields]
            yield from _capped(rows, len(rows))
