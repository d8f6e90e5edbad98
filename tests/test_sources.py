"""`kuril-data sources fetch` against a real HTTP mirror on 127.0.0.1, and validate's default sources.

Each test runs twice: with the fixture package and its two small texts (always), and with the
repository's package and the real seed texts (skipped with its reason outside CI, run in CI).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.io.sources import fetch_sources, listed_sources

from .conftest import FIXTURE_SOURCES, ROOT, build_package, closed_port_url, seeds_or_skip, serve


@pytest.fixture(params=["fixture", "seeds"])
def texts(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """(a package, a folder holding exactly the source texts its sources table pins)."""
    if request.param == "seeds":
        return ROOT, seeds_or_skip()
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    return build_package(pkg), FIXTURE_SOURCES


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh user cache for this test (KURIL_DATA_CACHE_DIR); returns the folder `sources fetch` fills."""
    monkeypatch.setenv("KURIL_DATA_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "sources"


def mirror_copy(folder: Path, dest: Path) -> Path:
    shutil.copytree(folder, dest)
    return dest


def files(folder: Path) -> dict[str, bytes]:
    """Every file (hidden ones too) under `folder`, by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} \
        if folder.exists() else {}


def fetch(pkg: Path, *args: str) -> object:
    return CliRunner().invoke(cli, ["sources", "fetch", str(pkg), *args])


def test_fetch_downloads_and_verifies_every_source(texts: tuple[Path, Path], cache: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Every listed text is downloaded from the mirror into the user cache, byte for byte, with its pinned hash."""
    pkg, folder = texts
    listed = listed_sources(pkg)
    with serve(folder) as url:
        monkeypatch.setenv("KURIL_DATA_SOURCES_URL", url)
        result = fetch(pkg)
    assert result.exit_code == 0, result.output
    assert result.output == f"{len(listed)} source file(s) downloaded, 0 already there and verified, in {cache}\n"
    assert files(cache) == {f.path: (folder / f.path).read_bytes() for f in listed}
    assert all(hashlib.sha256((cache / f.path).read_bytes()).hexdigest() == f.sha256 for f in listed)


def test_fetch_to_a_folder(texts: tuple[Path, Path], cache: Path, tmp_path: Path,
                           monkeypatch: pytest.MonkeyPatch) -> None:
    """--to DIR stores the texts there and leaves the cache alone."""
    pkg, folder = texts
    with serve(folder) as url:
        monkeypatch.setenv("KURIL_DATA_SOURCES_URL", url)
        result = fetch(pkg, "--to", str(tmp_path / "texts"))
    assert result.exit_code == 0, result.output
    assert files(tmp_path / "texts") == {f.path: (folder / f.path).read_bytes() for f in listed_sources(pkg)}
    assert not cache.exists()


def test_tampered_file_is_refused_and_nothing_is_cached(texts: tuple[Path, Path], cache: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """One changed byte in one served text: exit 2 naming the source and the mismatch; the cache stays empty."""
    pkg, folder = texts
    mirror = mirror_copy(folder, tmp_path / "mirror")
    victim = listed_sources(pkg)[-1]
    data = bytearray((mirror / victim.path).read_bytes())
    data[len(data) // 2] ^= 1
    (mirror / victim.path).write_bytes(bytes(data))
    with serve(mirror) as url:
        monkeypatch.setenv("KURIL_DATA_SOURCES_URL", url)
        result = fetch(pkg)
    assert result.exit_code == 2
    assert f"Error: source {victim.source_id!r}: {url}/{victim.path}: checksum mismatch" in result.output
    assert files(cache.parent) == {}


def test_missing_file_is_refused(texts: tuple[Path, Path], cache: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A text the mirror lacks: exit 2 with the HTTP status; nothing is cached."""
    pkg, folder = texts
    mirror = mirror_copy(folder, tmp_path / "mirror")
    victim = listed_sources(pkg)[0]
    (mirror / victim.path).unlink()
    with serve(mirror) as url:
        monkeypatch.setenv("KURIL_DATA_SOURCES_URL", url)
        result = fetch(pkg)
    assert result.exit_code == 2
    assert f"{url}/{victim.path}: the server answered HTTP 404 (not found)" in result.output
    assert files(cache.parent) == {}


def test_network_failure_is_refused(valid_package: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No server at the mirror's address: exit 2, one line, nothing cached."""
    monkeypatch.setenv("KURIL_DATA_SOURCES_URL", closed_port_url())
    result = fetch(valid_package)
    assert result.exit_code == 2
    assert "download failed (Connection refused: network or server unreachable)" in result.output
    assert "Traceback" not in result.output
    assert files(cache.parent) == {}


def test_no_mirror_configured(valid_package: Path, cache: Path) -> None:
    """Without KURIL_DATA_SOURCES_URL: exit 2 saying what to set."""
    result = fetch(valid_package)
    assert result.exit_code == 2
    assert result.output.startswith("Error: no mirror configured: set KURIL_DATA_SOURCES_URL")


def test_failed_fetch_leaves_the_previous_cache_as_it_was(cache: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache holding one good text and one stale text: a refused download changes neither."""
    (tmp_path / "pkg").mkdir()
    pkg = build_package(tmp_path / "pkg")
    cache.mkdir(parents=True)
    shutil.copy(FIXTURE_SOURCES / "article-en.txt", cache / "article-en.txt")
    (cache / "article-pl.txt").write_text("stale\n", encoding="utf-8")
    before = files(cache)
    mirror = mirror_copy(FIXTURE_SOURCES, tmp_path / "mirror")
    (mirror / "article-pl.txt").write_text("tampered\n", encoding="utf-8")
    with serve(mirror) as url:
        result = CliRunner().invoke(cli, ["sources", "fetch", str(pkg)], env={"KURIL_DATA_SOURCES_URL": url})
    assert result.exit_code == 2
    assert files(cache) == before


def test_cache_is_reused_offline_and_a_stale_file_replaced(texts: tuple[Path, Path], cache: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Once fetched, a second fetch needs no network; a cached file that no longer verifies is downloaded again."""
    pkg, folder = texts
    listed = listed_sources(pkg)
    with serve(folder) as url:
        first = fetch_sources(pkg, base_url=url)
        (cache / listed[0].path).write_text("edited by hand\n", encoding="utf-8")
        second = fetch_sources(pkg, base_url=url)
    assert first.downloaded == tuple(f.path for f in listed)
    assert second.downloaded == (listed[0].path,)
    monkeypatch.setenv("KURIL_DATA_SOURCES_URL", closed_port_url())  # the server is gone
    result = fetch(pkg)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"0 source file(s) downloaded, {len(listed)} already there and verified")
    assert files(cache) == {f.path: (folder / f.path).read_bytes() for f in listed}


# --- validate's default --sources, and the one-line statement ------------------------------------


def statement(folder: Path, pkg: Path) -> str:
    names = [f.path for f in listed_sources(pkg)]
    return f"verbatim checks ran against {len(names)} source file(s) in {folder}: {', '.join(names)}"


def test_validate_uses_the_fetched_cache_without_a_flag(texts: tuple[Path, Path], cache: Path) -> None:
    """After one `sources fetch`, plain `validate` runs the verbatim checks against the cache and says so."""
    pkg, folder = texts
    with serve(folder) as url:
        fetch_sources(pkg, base_url=url)
    result = CliRunner().invoke(cli, ["validate", str(pkg)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"checked kuril-data 0.1.0 from {pkg} (folder)", statement(cache, pkg),
                                          "valid"]


def test_validate_uses_kuril_data_sources(texts: tuple[Path, Path], cache: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """$KURIL_DATA_SOURCES names the texts' folder; it wins over the cache, and --sources wins over both."""
    pkg, folder = texts
    monkeypatch.setenv("KURIL_DATA_SOURCES", str(folder))
    result = CliRunner().invoke(cli, ["validate", str(pkg), "--format", "json"])
    assert result.exit_code == 0, result.output
    verbatim = json.loads(result.output)["verbatim"]
    assert verbatim["ran"] is True and verbatim["folder"] == str(folder) and verbatim["missing"] == []
    assert verbatim["checked"] == [f.path for f in listed_sources(pkg)]
    assert verbatim["statement"] == statement(folder, pkg)
    empty = cache.parent / "empty"
    empty.mkdir(parents=True)
    result = CliRunner().invoke(cli, ["validate", str(pkg), "--sources", str(empty)])
    assert result.exit_code == 1
    assert f"verbatim checks NOT run: none of the {len(verbatim['checked'])} source file(s) is in {empty}" \
        in result.output


def test_kuril_data_sources_not_a_folder(valid_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A KURIL_DATA_SOURCES that is no folder: exit 2, never a silent run without the checks."""
    monkeypatch.setenv("KURIL_DATA_SOURCES", str(tmp_path / "nowhere"))
    result = CliRunner().invoke(cli, ["validate", str(valid_package)])
    assert result.exit_code == 2
    assert result.output == f"Error: KURIL_DATA_SOURCES={str(tmp_path / 'nowhere')!r} is not a folder\n"


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_a_run_without_sources_says_so(valid_package: Path, cache: Path, fmt: str) -> None:
    """No flag, no variable, empty cache: every format states that the verbatim checks did not run."""
    result = CliRunner().invoke(cli, ["validate", str(valid_package), "--format", fmt])
    assert result.exit_code == 0
    said = ("verbatim checks NOT run: no source texts given (pass --sources DIR, set KURIL_DATA_SOURCES, or run "
            "`kuril-data sources fetch`); quotations, evidence and names were not compared with their sources")
    if fmt == "text":
        assert result.output.splitlines() == [f"checked kuril-data 0.1.0 from {valid_package} (folder)", said,
                                              "valid"]
    elif fmt == "json":
        out = json.loads(result.output)
        assert out["verbatim"] == {"ran": False, "folder": None, "checked": [], "missing": [], "statement": said}
    else:
        assert result.output.splitlines() == [f"::warning title=verbatim checks::{said}"]


def test_one_changed_character_fails_with_an_annotation(texts: tuple[Path, Path], cache: Path, tmp_path: Path) -> None:
    """The issue's promise: after `sources fetch`, a quotation changed by one character fails validate with an
    annotation on its line."""
    pkg, folder = texts
    work = tmp_path / "work"
    work.mkdir()
    for rel in ("datapackage.json", "data", "schemas"):
        (shutil.copytree if (pkg / rel).is_dir() else shutil.copy)(pkg / rel, work / rel)
    quotes = work / "data" / "quotations.csv"
    lines = quotes.read_text(encoding="utf-8").split("\n")
    header = lines[0].split(",")
    assert header[:2] == ["quotation_id", "text"]  # the text is the second column
    first = lines[1]
    comma = first.index(",")
    start = comma + 2 if first[comma + 1] == '"' else comma + 1
    lines[1] = first[:start] + ("X" if first[start] != "X" else "Y") + first[start + 1:]
    quotes.write_text("\n".join(lines), encoding="utf-8")
    with serve(folder) as url:
        fetch_sources(work, base_url=url)
    result = CliRunner().invoke(cli, ["validate", str(work), "--format", "github"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        "::error file=data/quotations.csv,line=2,title=not-in-source::text: ")
    assert result.output.splitlines()[-1].startswith("::notice title=verbatim checks::verbatim checks ran against")


def test_statement_when_no_sources_table_is_readable(valid_package: Path) -> None:
    """--sources given but the sources table is missing: the line says the checks did not run, and why."""
    (valid_package / "data" / "sources.csv").unlink()
    result = CliRunner().invoke(cli, ["validate", str(valid_package), "--sources", str(FIXTURE_SOURCES)])
    assert result.exit_code == 1
    assert "verbatim checks NOT run: no readable sources table lists a source file" in result.output


# --- verbatim checks against a locator's span (issue #23) -----------------------------------------


def _quotation_at(tmp_path: Path, text: str, locator: str, copies: int = 1) -> Path:
    """The fixture package with its English quotation's text and locator replaced (and `copies` rows of it)."""
    import csv
    import io

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    path = pkg / "data" / "quotations.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    header, row = rows[0], rows[1]
    assert row[0] == "gromyko-contradiction-en"
    row[header.index("text")], row[header.index("locator")] = text, locator
    extra = [[f"{row[0]}-{i}", *row[1:]] for i in range(1, copies)]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, row, *extra, *rows[2:]])
    path.write_text(out.getvalue(), encoding="utf-8")
    return pkg


def _verbatim_codes(pkg: Path) -> list[tuple[str, int | None]]:
    from kuril_data.validate import validate

    report = validate(pkg, sources=FIXTURE_SOURCES)
    return [(p.code, p.line) for p in report.problems
            if p.file == "data/quotations.csv" and p.code in ("not-at-locator", "not-in-source", "locator-range")]


@pytest.mark.parametrize(("text", "locator", "found"), [
    ("The project is in gross contradiction with the commitments.", "line 5", True),
    ("The project is in gross contradiction with the commitments.", "lines 1-6", True),
    ("The project is in gross contradiction with the commitments.", "lines 2-5", True),
    ("The project is in gross contradiction with the commitments.", "lines 3-4", False),
    ("The project is in gross contradiction with the commitments.", "line 2", False),  # a blank line
    ("The project is in gross contradiction with the commitments.", "line 6", False),
    ("signed in Moscow.\n  It promised", "lines 3-4", True),  # across a line end, white space folded
    ("signed in Moscow. It promised", "line 3", False),
    ("signed in Moscow. It promised", "line 4", False),
    ("the USSR", "line 6", True),  # also earlier in the text (line 3): searched within the span
    ("the USSR", "line 4", False),
    ("Fixture article On October", "lines 1-3", True),  # the blank line 2 between them
])
def test_a_value_is_found_exactly_within_its_locators_span(tmp_path: Path, text: str, locator: str,
                                                           found: bool) -> None:
    pkg = _quotation_at(tmp_path, text, locator)
    assert _verbatim_codes(pkg) == ([] if found else [("not-at-locator", 2)])


def test_a_value_nowhere_in_the_source_is_not_in_source(tmp_path: Path) -> None:
    pkg = _quotation_at(tmp_path, "The project is in grave contradiction", "lines 1-6")
    assert _verbatim_codes(pkg) == [("not-in-source", 2)]


def test_verbatim_work_is_linear_in_the_text_whatever_the_locators(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """200 rows whose locator spans the whole source: the text is folded once, not once per row
    (the issue: 0.3 s became 18 s when every locator spanned the source)."""
    from kuril_data.model import text as text_module
    from kuril_data.validate.checks import sources as checks

    value = "The project is in gross contradiction with the commitments."
    pkg = _quotation_at(tmp_path, value, "lines 1-6", copies=200)
    folded: list[int] = []

    def counting(s: str) -> str:
        folded.append(len(s))
        return text_module.fold(s)

    monkeypatch.setattr(checks, "fold", counting)
    assert _verbatim_codes(pkg) == []
    source = sum(len(p.read_text(encoding="utf-8")) for p in FIXTURE_SOURCES.glob("*.txt"))
    assert sum(folded) <= source + 200 * len(value) + 2_000  # every text once, every value once (+ the fixture's)


def test_source_text_folds_each_line_as_fold_does() -> None:
    """Normalised whole or line by line, the folded text and each line's offsets are `fold`'s:
    a decomposed é, white space runs, blank lines, and a line with an over-long run of combining
    marks (which `fold` leaves unnormalised while the other lines are normalised)."""
    from kuril_data.model.text import MAX_COMBINING_RUN, fold
    from kuril_data.validate.checks.sources import SourceText

    plain = "Caf\u0065\u0301  au\tlait\n\n  Moscow, 1956 \nЯпония — 日本"
    run = "x" + "\u0301\u0323" * MAX_COMBINING_RUN + " e\u0301"
    for text in (plain, plain + "\n" + run + "\nCafe\u0301"):
        source = SourceText.of(text)
        lines = [fold(line) for line in text.split("\n")]
        assert source.folded == " ".join(x for x in lines if x)
        assert [source.folded[a:b] for a, b in zip(source.starts, source.ends, strict=True)] == lines


def test_find_within_a_span_long_or_short_is_what_a_plain_search_says() -> None:
    """A short span is searched first, a long one (over SHORT_SPAN characters) after the whole
    text: either way 1 exactly when the value lies within the span, 0 elsewhere, -1 nowhere."""
    from kuril_data.validate.checks.sources import SHORT_SPAN, SourceText

    words = [f"w{i} the USSR and Japan" for i in range(SHORT_SPAN // 10)]
    source = SourceText.of("\n".join(words))
    assert source.ends[-1] - source.starts[0] > SHORT_SPAN
    n = source.count
    spans = [(1, 1), (2, 2), (n, n), (1, n), (n // 2, n), (2, n // 2), (5, 9)]
    for value in ("w1 the", f"w{n - 1} the", "the USSR", "w5 the USSR and Japan w6", "Japan w3", "nowhere"):
        for span in [*spans, None]:
            first = source.folded.find(value)
            if span is None:
                expected = min(first, 0)
            else:
                begin, end = source.starts[span[0] - 1], source.ends[span[1] - 1]
                expected = 1 if source.folded.find(value, begin, end) >= 0 else min(first, 0)
            assert source.find(value, span) == expected, (value, span)
            assert source.find(value, span) == expected  # and again, remembered
