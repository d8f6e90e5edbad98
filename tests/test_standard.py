"""standard.py skips frictionless's descriptor check only where frictionless certainly finds
nothing: the problems reported are the same with and without the shortcut.

Regenerate the snapshot of what the recognisers were derived from (after reviewing standard.py
against the new frictionless) with `.venv/bin/python -m tests.test_standard`.
"""

from __future__ import annotations

import copy
import hashlib
import inspect
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuril_data.model import package as package_module
from kuril_data.model.package import _offline, read_package
from kuril_data.model.standard import certain_package, certain_schema

from .conftest import INVALID, ROOT, build_package
from .test_hostile import CASES as HOSTILE

SNAPSHOT = Path(__file__).parent / "fixtures" / "frictionless-descriptor-checks.json"


def frictionless_checks() -> dict[str, Any]:
    """The profiles and Python checks of frictionless that standard.py mirrors."""
    import frictionless
    from frictionless import Field, Package, Resource, Schema, settings
    from frictionless.fields import StringField
    from frictionless.helpers import general
    from frictionless.metadata import metadata, names
    from frictionless.schema import missing_values

    def digest(obj: Any) -> str:
        return hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()

    classes = {"Package": Package, "Resource": Resource, "Schema": Schema, "Field": Field,
               "StringField": StringField}
    return {
        "_note": "Derived from frictionless (MIT licence, https://github.com/frictionlessdata/frictionless-py); "
                 "regenerate with `python -m tests.test_standard`.",
        "version": frictionless.__version__,
        "profiles": {name: cls.metadata_ensure_profile() for name, cls in classes.items()},
        "name_pattern": settings.NAME_PATTERN,
        "type_pattern": settings.TYPE_PATTERN,
        "string_constraints": StringField.supported_constraints,
        "code": {
            **{f"{name}.{method}": digest(getattr(cls, method)) for name, cls in classes.items()
               for method in ("metadata_validate", "metadata_transform", "metadata_import")},
            "Metadata.from_descriptor": digest(metadata.Metadata.from_descriptor),
            "validate_name": digest(names.validate_name),
            "is_safe_path": digest(general.is_safe_path),
            "missing_values": digest(missing_values),
        },
    }


def _package_errors(shell: dict[str, Any]) -> list[str]:
    from frictionless import Package

    return [e.note for e in Package.validate_descriptor(shell).errors]


def _schema_errors(raw: dict[str, Any]) -> list[str]:
    from frictionless import Schema

    return [e.note for e in Schema.validate_descriptor(raw).errors]


def _shell(descriptor: dict[str, Any]) -> dict[str, Any]:
    """What package.py hands frictionless for the package descriptor."""
    return _offline({**descriptor, "resources": [
        {k: v for k, v in r.items() if k in ("name", "path")} if isinstance(r, dict) else r
        for r in descriptor.get("resources") or []]})


DESCRIPTOR = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
SCHEMAS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "schemas").glob("*.json"))}


def test_frictionless_checks_unchanged() -> None:
    """The frictionless profiles and checks standard.py was written against are still the installed ones."""
    assert json.loads(SNAPSHOT.read_text(encoding="utf-8")) == json.loads(json.dumps(frictionless_checks()))


def test_real_descriptors_take_the_shortcut() -> None:
    """The repository's descriptor and every schema are recognised, and frictionless agrees they are valid."""
    assert certain_package(_shell(DESCRIPTOR))
    assert _package_errors(_shell(DESCRIPTOR)) == []
    for name, raw in SCHEMAS.items():
        assert certain_schema(_offline(raw)), name
        assert _schema_errors(_offline(raw)) == [], name


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(doc: Any) -> None:
        for step in path[:-1]:
            doc = doc[step]
        if value is _DELETE:
            del doc[path[-1]]
        else:
            doc[path[-1]] = value
    return change


_DELETE = object()
RES0 = ("resources", 0)
# (what, change of the package descriptor) — frictionless reports each, so none may be recognised.
PACKAGE_BREAKS = [
    ("name-upper", _set(("name",), "Kuril Data")),
    ("name-number", _set(("name",), 7)),
    ("version-number", _set(("version",), 1)),
    ("keywords-not-strings", _set(("keywords",), [1])),
    ("license-no-name-or-path", _set(("licenses",), [{"title": "x"}])),
    ("license-not-object", _set(("licenses",), ["CC-BY-4.0"])),
    ("contributor-bad-email", _set(("contributors",), [{"title": "x", "email": "not-an-email"}])),
    ("source-bad-email", _set(("sources",), [{"title": "x", "email": "nope"}])),
    ("created-not-datetime", _set(("created",), "yesterday")),
    ("type-bad", _set(("type",), "Package!")),
    ("misleading-fields", _set(("fields",), [])),
    ("resource-not-object", _set(RES0, "sources")),
    ("resource-name-upper", _set((*RES0, "name"), "Sources")),
    ("resource-name-missing", _set((*RES0, "name"), _DELETE)),
    ("resource-path-missing", _set((*RES0, "path"), _DELETE)),
    ("resource-path-unsafe", _set((*RES0, "path"), "../outside.csv")),
    ("resource-path-absolute", _set((*RES0, "path"), "/etc/passwd")),
    ("resource-path-variable", _set((*RES0, "path"), "$HOME/x.csv")),
    ("resource-names-twice", _set(("resources", 1, "name"), "sources")),
]
FIELD0 = ("fields", 0)
SCHEMA_BREAKS = [
    ("fields-empty", _set(("fields",), [])),
    ("field-name-missing", _set((*FIELD0, "name"), _DELETE)),
    ("field-type-unknown", _set((*FIELD0, "type"), "text")),
    ("field-format-bad", _set((*FIELD0, "format"), "fancy")),
    ("field-required-misplaced", _set((*FIELD0, "required"), True)),
    ("constraint-unsupported", _set((*FIELD0, "constraints"), {"minimum": 1})),
    ("constraint-wrong-type", _set((*FIELD0, "constraints"), {"minLength": "3"})),
    ("constraint-bool-as-int", _set((*FIELD0, "constraints"), {"maxLength": True})),
    ("enum-not-list", _set((*FIELD0, "constraints"), {"enum": "a"})),
    ("field-names-twice", _set(("fields", 1, "name"), "source_id")),
    ("primary-key-unknown", _set(("primaryKey",), ["nope"])),
    ("primary-key-empty-string", _set(("primaryKey",), "")),
    ("foreign-key-unknown-field", _set(("foreignKeys",), [{"fields": ["nope"], "reference": {
        "resource": "sources", "fields": ["source_id"]}}])),
    ("foreign-key-lengths", _set(("foreignKeys",), [{"fields": ["source_id"], "reference": {
        "resource": "sources", "fields": ["source_id", "title"]}}])),
    ("foreign-key-resource-not-string", _set(("foreignKeys",), [{"fields": ["source_id"], "reference": {
        "resource": 1, "fields": ["source_id"]}}])),
    ("missing-values-objects", _set(("missingValues",), [{"value": ""}])),
    ("missing-values-not-strings", _set(("missingValues",), [1])),
    ("schema-name-bad", _set(("name",), "Bad Name")),
    ("example-invalid", _set((*FIELD0, "example"), 5)),
]


@pytest.mark.parametrize(("what", "change"), PACKAGE_BREAKS, ids=[c[0] for c in PACKAGE_BREAKS])
def test_package_breaks_are_left_to_frictionless(what: str, change: Any) -> None:
    """A package descriptor frictionless objects to is never taken for certainly valid."""
    desc = copy.deepcopy(DESCRIPTOR)
    change(desc)
    shell = _shell(desc)
    try:
        errors = _package_errors(shell)
    except Exception:  # frictionless raising counts as an objection
        errors = ["raised"]
    assert errors, f"{what}: frictionless accepts it; pick another case"
    assert not certain_package(shell)


@pytest.mark.parametrize(("what", "change"), SCHEMA_BREAKS, ids=[c[0] for c in SCHEMA_BREAKS])
def test_schema_breaks_are_left_to_frictionless(what: str, change: Any) -> None:
    """A Table Schema frictionless objects to is never taken for certainly valid."""
    raw = copy.deepcopy(SCHEMAS["sources.json"])
    change(raw)
    try:
        errors = _schema_errors(_offline(raw))
    except Exception:  # frictionless raising counts as an objection
        errors = ["raised"]
    assert errors, f"{what}: frictionless accepts it; pick another case"
    assert not certain_schema(_offline(raw))


def _problems(pkg: Path, monkeypatch: pytest.MonkeyPatch, shortcut: bool) -> list[Any]:
    with monkeypatch.context() as m:
        if not shortcut:
            m.setattr(package_module, "certain_package", lambda shell: False)
            m.setattr(package_module, "certain_schema", lambda raw: False)
        _, problems = read_package(pkg)
    return problems


INVALID_CASES = sorted(p for p in INVALID.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", INVALID_CASES, ids=[c.name for c in INVALID_CASES])
def test_fixture_problems_unchanged(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On every broken fixture the descriptor and schema problems are the same with the shortcut as
    with frictionless always asked."""
    pkg = build_package(tmp_path, case)
    assert _problems(pkg, monkeypatch, True) == _problems(pkg, monkeypatch, False)


@pytest.mark.parametrize("case", HOSTILE, ids=[c[0] for c in HOSTILE])
def test_hostile_problems_unchanged(case: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On every hostile case the descriptor and schema problems are the same with and without the shortcut."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    case[1](pkg)
    if not (pkg / "datapackage.json").is_file():
        pytest.skip("no descriptor")
    try:
        with_shortcut = _problems(pkg, monkeypatch, True)
    except Exception as exc:  # both ways must fail alike
        with pytest.raises(type(exc)):
            _problems(pkg, monkeypatch, False)
        return
    assert with_shortcut == _problems(pkg, monkeypatch, False)


# Random edits of the real descriptors: wherever a recogniser says "certainly valid",
# frictionless must find nothing (and not raise).
KEYS = sorted({
    "name", "title", "description", "homepage", "version", "keywords", "licenses", "sources",
    "contributors", "resources", "created", "image", "type", "profile", "profiles", "path", "data",
    "email", "role", "roles", "organisation", "schema", "format", "encoding", "fields", "primaryKey",
    "foreignKeys", "reference", "resource", "missingValues", "constraints", "required", "unique",
    "enum", "pattern", "minLength", "maxLength", "minimum", "example", "rdfType", "x-kuril-edtf",
    "x-kuril-exactly-one-of", "x-other", "$schema", "fieldsMatch", "label", "value", "id",
})
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 5), st.floats(allow_nan=False, width=16),
    st.sampled_from(["", "string", "default", "integer", "email", "sources", "source_id", "title",
                     "data/x.csv", "../x.csv", "/x.csv", "$HOME/x.csv", "~/x.csv", "file:///x.csv",
                     "Name", "name-1", "a b", "[a-z]+", "(", "a@b.org", "2020-01-01T00:00:00Z",
                     "tabular-data-package", "data-resource", "CC-BY-4.0"]),
    st.text(max_size=6),
)
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)), max_leaves=8)
NAMES = st.sampled_from(["source_id", "title", "language", "nope", "sources", "x", "", "Source"])
TEXTS = st.one_of(NAMES, st.text(max_size=6))
# Values close to valid ones for a property, so that many edits stay recognisable.
PLAUSIBLE: dict[str, Any] = {
    **dict.fromkeys(["name", "title", "description", "homepage", "version", "resource", "organisation",
                     "role", "image"], TEXTS),
    **dict.fromkeys(["keywords", "primaryKey", "roles", "enum", "missingValues", "x-kuril-exactly-one-of"],
                    st.one_of(NAMES, st.lists(TEXTS, max_size=3))),
    "path": st.sampled_from(["data/x.csv", "x.csv", "a/b/c.csv", "../x.csv", "/x.csv", "x.txt", "~x.csv",
                             "%x%.csv", "$x.csv", "a:b.csv", "a\\b.csv", ".x.csv", "https://a.org/x.csv"]),
    "type": st.sampled_from(["string", "integer", "table", "String", ""]),
    "id": st.one_of(TEXTS, st.integers(0, 2), st.just("https://example.org/releases/tag/v1.0.0")),
    "created": st.sampled_from(["2026-11-30T12:00:00Z", "2026-02-30T12:00:00Z", "2026-11-30T25:00:00Z",
                                "2026-11-30", "2026-11-30T12:00:00+01:00", "0001-01-01T00:00:00Z", "", "x", 5]),
    "format": st.sampled_from(["default", "email", "uri", "fmt:default", "csv", ""]),
    "pattern": st.sampled_from(["[a-z]+", "(", "a|b", "", "\\d"]),
    **dict.fromkeys(["required", "unique", "x-kuril-edtf"], st.one_of(st.booleans(), st.integers(0, 1))),
    **dict.fromkeys(["minLength", "maxLength"], st.one_of(st.integers(-1, 3), st.booleans(), st.just(1.0))),
    "licenses": st.lists(st.dictionaries(st.sampled_from(["name", "path", "title", "email"]), TEXTS,
                                         max_size=3), max_size=2),
    **dict.fromkeys(["sources", "contributors"], st.lists(st.dictionaries(
        st.sampled_from(["title", "path", "email", "role", "roles", "organisation"]),
        st.one_of(TEXTS, st.sampled_from(["a@b.org", "not-an-email"])), max_size=3), max_size=2)),
    "constraints": st.dictionaries(st.sampled_from(["required", "unique", "pattern", "enum", "minLength",
                                                    "maxLength", "minimum", "exclusiveMinimum"]),
                                   st.one_of(st.booleans(), st.integers(0, 3), TEXTS, st.lists(TEXTS, max_size=2)),
                                   max_size=3),
    "foreignKeys": st.lists(st.fixed_dictionaries({
        "fields": st.one_of(NAMES, st.lists(NAMES, max_size=2)),
        "reference": st.fixed_dictionaries({"resource": TEXTS,
                                            "fields": st.one_of(NAMES, st.lists(NAMES, max_size=2))}),
    }), max_size=2),
}


def _containers(doc: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for key, value in items:
        if isinstance(value, (dict, list)):
            found += _containers(value, (*path, key))
    return found


def _mutate(doc: Any, data: st.DataObject, edits: int) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(edits):
        path = data.draw(st.sampled_from(_containers(doc)))
        node = doc
        for step in path:
            node = node[step]
        op = data.draw(st.integers(0, 7))
        if isinstance(node, dict):
            if node and op < 5:  # change an existing property
                key = data.draw(st.sampled_from(sorted(node)))
                if op == 0:
                    del node[key]
                    continue
            else:  # add one
                key = data.draw(st.sampled_from(KEYS))
            plausible = key in PLAUSIBLE and op != 4
            node[key] = data.draw(PLAUSIBLE[key] if plausible else VALUES)
        elif node and op < 3:
            node[data.draw(st.integers(0, len(node) - 1))] = data.draw(VALUES)
        elif node and op < 6:
            node.append(copy.deepcopy(node[data.draw(st.integers(0, len(node) - 1))]))
        else:
            node.append(data.draw(VALUES))
    return doc


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), edits=st.integers(1, 3))
def test_recognised_packages_are_valid_for_frictionless(data: st.DataObject, edits: int) -> None:
    """Any edited package descriptor recognised as certainly valid is one frictionless finds valid."""
    shell = _mutate(_shell(DESCRIPTOR), data, edits)
    if certain_package(shell):
        assert _package_errors(shell) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), name=st.sampled_from(sorted(SCHEMAS)), edits=st.integers(1, 3))
def test_recognised_schemas_are_valid_for_frictionless(data: st.DataObject, name: str, edits: int) -> None:
    """Any edited Table Schema recognised as certainly valid is one frictionless finds valid."""
    raw = _mutate(_offline(SCHEMAS[name]), data, edits)
    if certain_schema(raw):
        assert _schema_errors(raw) == []


if __name__ == "__main__":
    SNAPSHOT.write_text(json.dumps(frictionless_checks(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {SNAPSHOT}")
