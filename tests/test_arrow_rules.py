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
from kuril_data.model.package import Field, read_package
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


_TEXT_CHARS = ["a", "Z", "0", " ", "=", "+", "-", "@", "\t", "\n", "\x00", "\x7f", "\x85", "\xa0", "\u3000",
               "\u200b", "\u2028", "é", "ą", "ł", "ก", "ุ", "่", "ู", "้", "\u0301", "\u0323", "\u0308",
               "\u05b0", "\u05bc", "\u093c", "\u094d", "\u212b", "\u0344", "\u3099", "か", "й", "\u1161"]
_PLAIN = Field("x", "string", "", {})


def _objected(value: str) -> bool:
    from kuril_data.model.text import FORMULA_START
    from kuril_data.validate.checks import cell_verdict

    return bool(value) and (cell_verdict(_PLAIN, value) is not None or value.startswith(FORMULA_START))


def _suspect(values: list[str]) -> list[bool]:
    import pyarrow as pa

    from kuril_data.validate.checks.vector import suspect_mask

    return suspect_mask(pa.array(values, pa.string())).to_pylist()


@settings(max_examples=300, deadline=None)
@given(odd=st.lists(st.text(st.sampled_from(_TEXT_CHARS), max_size=8), max_size=12),
       ascii=st.lists(st.text(st.sampled_from(["a", "b", " ", "=", "-", "x"]), max_size=6), max_size=40))
def test_text_finder_keeps_every_value_the_judgement_objects_to(odd: list[str], ascii: list[str]) -> None:
    """The suspect mask of a text column (printable-ASCII values told apart by cheap kernels, the
    others by the regex, copied out or in one pass over all) is true for every value `cell_verdict`
    objects to or that starts like a formula."""
    for values in (odd + ascii, ascii + odd, odd):
        suspect = _suspect(values)
        assert [v for v, s in zip(values, suspect, strict=True) if _objected(v) and not s] == []


def test_text_finder_narrowing() -> None:
    """A not-NFC value, a blank or control one, formula starts and ends with spaces are kept in a
    printable-ASCII column (one odd value: copied out) and in a mostly non-ASCII one (one pass);
    Thai and other marks stacked in canonical order are not, marks out of order or in a long run are."""
    kept = ["cafe\u0301", "\u212b", " ", "\u3000", "\t", "x\x00", "=1", "+1", "-1", "@x", " x", "x ", "x\u00a0",
            "ก\u0e48\u0e38", "ก" + "\u0e48" * 31, "a" + "\u0301" * 31, "\u05bc\u05b0"]
    fine = ["กุ่ม", "ปู่", "Łódź", "zażółć", "ภาษาไทย", "日本語", "Москва", "Tiếng Việt", "x", "a b"]
    assert all(_objected(v) for v in kept) and not any(_objected(v) for v in fine)
    for value in kept:
        assert _suspect(["plain ascii"] * 10 + [value]) == [False] * 10 + [True]
        assert _suspect([*fine, value]) == [False] * len(fine) + [True]
    assert _suspect(fine) == [False] * len(fine)


def test_text_finder_and_judgement_agree_in_a_package(tmp_path: Path) -> None:
    """The values above, in a real text column of a package: both engines report the same, and
    the finder names every reported row."""
    pkg = build_package(tmp_path)
    path = pkg / "data" / "places.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    width = lines[0].count(",")
    names = ["cafe\u0301", " x", "x ", "=1", "@x", "\u3000", "ก\u0e48\u0e38", "กุ่ม", "ก" + "\u0e48" * 31,
             "\u05bc\u05b0", "Łódź", "\u212b"]
    path.write_text("\n".join([*lines, *(f'place-x{i},"{n}"' + "," * (width - 1)
                                         for i, n in enumerate(names))]) + "\n", encoding="utf-8")
    found = [p for p in _same(pkg) if p.field == "name" and p.file.endswith("places.csv")]
    assert {p.line for p in found} == {len(lines) + 1 + i for i, n in enumerate(names) if _objected(n)}
    assert _missed(pkg) == []


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.text(st.sampled_from(["a", "é", "ก", "😀", "\u0301"]), max_size=12), max_size=20),
       low=st.one_of(st.none(), st.integers(0, 6)), high=st.one_of(st.none(), st.integers(0, 8)))
def test_length_finder_keeps_every_value_of_a_wrong_length(values: list[str], low: int | None,
                                                           high: int | None) -> None:
    """The length finder (from byte lengths, characters counted only when those cannot tell) keeps
    every non-empty value shorter than minLength or longer than maxLength, in characters."""
    import pyarrow as pa

    from kuril_data.validate.checks.vector import bad_length

    found = bad_length(pa.array(values, pa.string()), low, high)
    kept = [False] * len(values) if found is None else found.to_pylist()
    wrong = [bool(v) and ((low is not None and len(v) < low) or (high is not None and len(v) > high)) for v in values]
    assert [v for v, k, w in zip(values, kept, wrong, strict=True) if w and not k] == []


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.sampled_from(["a", "b", "=x", "", "cafe\u0301", "กุ่ม", "x ", "\x00"]), max_size=60),
       block=st.integers(1, 9), budget=st.integers(1, 40))
def test_distinct_values_judged_once_give_the_same_mask(values: list[str], block: int, budget: int) -> None:
    """A repetitive column's mask computed once per distinct value of each block (blocks judged
    together up to a byte budget) is the mask computed on every value."""
    import pyarrow as pa

    from kuril_data.validate.checks import vector

    array = pa.array(values, pa.string())
    saved = vector.SAMPLE, vector.BLOCK, vector.DISTINCT_BYTES
    try:
        vector.SAMPLE, vector.BLOCK, vector.DISTINCT_BYTES = 16, block, budget
        once = vector.per_distinct(array, vector.suspect_mask).to_pylist()
    finally:
        vector.SAMPLE, vector.BLOCK, vector.DISTINCT_BYTES = saved
    assert once == vector.suspect_mask(array).to_pylist()


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.sampled_from(["", "a", "=b", "é", "xy ", "ก่"]), min_size=1, max_size=8),
       start=st.integers(0, 7))
def test_edge_bytes_are_each_values_first_and_last_byte(values: list[str], start: int) -> None:
    """The first and last bytes read through the offsets are each non-empty value's own, in sliced
    arrays and with empty values at either end."""
    import pyarrow as pa

    from kuril_data.validate.checks.vector import edge_bytes

    array = pa.array(values, pa.string()).slice(min(start, len(values) - 1))
    first, last = edge_bytes(array).to_pylist(), edge_bytes(array, last=True).to_pylist()
    for value, a, z in zip(array.to_pylist(), first, last, strict=True):
        assert not value or (a, z) == (value.encode()[0], value.encode()[-1])
