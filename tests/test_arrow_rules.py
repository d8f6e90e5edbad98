"""The Arrow engine (the checks' finders and the Arrow CSV reader) reports exactly what the per-row
engine (every row judged, the Python reader) reports: code, file, line, field, message and
severity, on every broken fixture, every hostile case, generated faulty packages and random edits.
(test_checks.py holds each finder to naming every reported row on its own.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuril_data.io.read import read_table
from kuril_data.model import _unicode_tables
from kuril_data.model.package import read_package
from kuril_data.model.patterns import re2_safe as _re2_safe
from kuril_data.validate import check
from kuril_data.validate.checks.vector import stored as _stored
from kuril_data.validate.checks.vector import unicode_tables

from .conftest import FIXTURE_SOURCES, INVALID, build_package
from .generate import generate
from .test_checks import _missed
from .test_hostile import CASES as HOSTILE

FIXTURE_CASES = sorted(p for p in INVALID.iterdir() if p.is_dir())


def _same(pkg: Path, sources: Path | None = None) -> tuple:
    fast = check(pkg, sources=sources, engine="arrow").report.problems
    reference = check(pkg, sources=sources, engine="python").report.problems
    assert fast == reference
    return fast


@pytest.mark.parametrize("case", FIXTURE_CASES, ids=[c.name for c in FIXTURE_CASES])
def test_broken_fixture_same_problems(case: Path, tmp_path: Path) -> None:
    """Each broken fixture gives the same problems with both engines."""
    expect = json.loads((case / "expect.json").read_text(encoding="utf-8"))
    pkg = build_package(tmp_path, case)
    _same(pkg, FIXTURE_SOURCES if expect.get("sources") else None)


HOSTILE_CASES = [c for c in HOSTILE if c[0] not in {"ten-mb-cell", "million-cells", "million-column-header"}]


@pytest.mark.parametrize("case", HOSTILE_CASES, ids=[c[0] for c in HOSTILE_CASES])
def test_hostile_case_same_problems(case: tuple, tmp_path: Path) -> None:
    """Each hostile mutation of the valid fixture gives the same problems with both engines."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    case[1](pkg)
    _same(pkg, FIXTURE_SOURCES)


@pytest.mark.parametrize("seed", [7, 11])
def test_generated_faulty_package_same_problems(tmp_path: Path, seed: int) -> None:
    """A generated package with a fault of every code gives the same problems with both engines,
    and they are the injected ones."""
    manifest = generate(tmp_path / "pkg", 2_000, faults=True, seed=seed)
    found = _same(tmp_path / "pkg")
    expected = {(e["code"], e["file"], e["line"], e["severity"]) for e in manifest["expected"]}  # type: ignore[index, union-attr]
    assert {(p.code, p.file, p.line, p.severity) for p in found} == expected


def test_valid_generated_package_is_read_by_arrow(tmp_path: Path) -> None:
    """Well-formed files take the Arrow reader (no per-row line list) and validate clean."""
    generate(tmp_path / "pkg", 2_000)
    package, _ = read_package(tmp_path / "pkg")
    assert package is not None
    for resource in package.resources:
        table = read_table(package, resource, arrow=True)
        assert table._lines is None, resource.name
        assert list(table.lines) == list(range(2, table.num_rows + 2))
        assert table._lines is None, resource.name  # nor kept once asked for
        python = read_table(package, resource)
        assert {n: table.column(n) for n in table.columns} == dict(python.columns)
    assert _same(tmp_path / "pkg") == ()


@pytest.mark.parametrize("data", [
    b'event_id,title\n"a"b,c\n',  # text after a closing quote: Arrow would read ab
    b'event_id,title\n"a,b\n',  # unbalanced quote
    b'event_id,title\na,b,c\n',  # extra cell
    b'event_id,title\n,\n',  # blank row
    b'event_id,title\na,"b\nc"\n',  # a line break inside quotes
])
def test_arrow_reader_refuses_what_it_cannot_read_exactly(data: bytes) -> None:
    """The Arrow reader leaves anything but strictly well-formed CSV to the Python reader."""
    from kuril_data.io.read import DEFAULT_LIMITS, Table, _parse_arrow
    from kuril_data.model.package import Field, Resource, Schema

    fields = tuple(Field(n, "string", "", {}) for n in ("event_id", "title"))
    table = Table(Resource("events", "events.csv", "", Schema(fields, (), ())), "events.csv")
    assert not _parse_arrow(table, data, DEFAULT_LIMITS)


def test_stored_unicode_tables_match_this_python() -> None:
    """The stored combining and not-quick-NFC tables are what this Python's unicodedata gives."""
    import unicodedata

    if unicodedata.unidata_version != _unicode_tables.UNIDATA_VERSION:
        pytest.skip("another Unicode version: the tables are computed at run time")
    combining, not_quick = unicode_tables()
    assert _stored(_unicode_tables.COMBINING) == combining
    assert _stored(_unicode_tables.NOT_QUICK_NFC) == not_quick


def test_only_patterns_with_the_same_meaning_go_to_re2() -> None:
    """Patterns of the schemas are RE2-safe; constructs that differ between re and RE2 are not."""
    for pattern in (r"^[a-z0-9]+(?:-[a-z0-9]+)*$", r"^(line [1-9][0-9]*|lines [1-9][0-9]*-[1-9][0-9]*)$",
                    r"^[A-Za-z0-9_.-]+\.txt$", r"^[0-9a-f]{64}$"):
        assert _re2_safe(pattern)
    for pattern in (r"\d+", r"\w", r"a.b", r"(?i)a", r"(a)\1", r"a*+", r"(?=a)", "é"):
        assert not _re2_safe(pattern)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 10_000), insert=st.sampled_from(
    [b'"', b",", b"\n", b" ", b"\x00", b"\xcc\x81", b"=", b"-", "\u200b".encode(),
     b"x", b"\n\n", b'""', b"/", b"?"]), delete=st.integers(0, 5), name=st.sampled_from(
    ["events.csv", "citations.csv", "actors.csv", "quotations.csv", "documents.csv"]))
def test_random_edits_same_problems(tmp_path_factory: pytest.TempPathFactory, cut: int, insert: bytes,
                                    delete: int, name: str) -> None:
    """Random small edits of a valid data file give the same problems with both engines."""
    pkg = build_package(tmp_path_factory.mktemp("pkg"))
    path = pkg / "data" / name
    data = path.read_bytes()
    at = cut % (len(data) + 1)
    path.write_bytes(data[:at] + insert + data[at + delete:])
    _same(pkg)


def test_page_id_finder_folds_as_the_judgement(tmp_path: Path) -> None:
    """The unsafe-id finder keeps every id the judgement objects to: unsafe characters, a leading
    dot, over-long ids, 'index' in any case, and ids equal after casefold, non-ASCII ones
    included (ß/SS, the Kelvin sign/k), which Arrow's ASCII folding alone would miss."""
    pkg = build_package(tmp_path)
    path = pkg / "data" / "places.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    width = lines[0].count(",")
    ids = ["a/b", "a\\b", ".hidden", "a:b", "INDEX", "x" * 201, "Straße", "strasse", "STRASSE", "\u212a", "k",
           "Ab", "aB", "café", "CAFÉ"]
    path.write_text("\n".join([*lines, *(f'"{i}",name' + "," * (width - 1) for i in ids)]) + "\n",
                    encoding="utf-8")
    found = [p for p in _same(pkg) if p.code == "unsafe-id"]
    assert {p.line for p in found} >= {len(lines) + 1 + k for k in (0, 1, 2, 3, 4, 5, 7, 8, 10, 12, 14)}
    assert _missed(pkg) == []


def test_known_language_tags_are_what_langcodes_accepts() -> None:
    """The tags language_ok answers without importing langcodes are valid to langcodes itself."""
    import langcodes

    from kuril_data.validate.checks.cells import KNOWN_LANGUAGE_TAGS

    assert all(langcodes.tag_is_valid(tag) for tag in KNOWN_LANGUAGE_TAGS)
