"""The benchmark generator: its packages are what it says they are (keeps the benchmarks honest)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from kuril_data.model import dates
from kuril_data.model.package import read_package
from kuril_data.report import CODES
from kuril_data.validate import check

from .generate import MANIFEST, NOT_INJECTED, ROOT, Build, build_rows, counts, generate, parse_size

ROWS = 1_500


def _found(path: Path) -> set[tuple[str, str, int | None, str]]:
    return {(p.code, p.file, p.line, p.severity) for p in check(path).report.problems}


def test_valid_package_validates_clean(tmp_path: Path) -> None:
    """A generated package without faults has no problem at all, not even a warning."""
    manifest = generate(tmp_path / "pkg", ROWS)
    assert manifest["expected"] == []
    assert check(tmp_path / "pkg").report.problems == ()


def test_every_injected_fault_is_found_where_the_manifest_says(tmp_path: Path) -> None:
    """The validator reports exactly the manifest's problems: each code, file, line and severity."""
    manifest = generate(tmp_path / "pkg", ROWS, faults=True)
    expected = {(e["code"], e["file"], e["line"], e["severity"]) for e in manifest["expected"]}  # type: ignore[index, union-attr]
    assert _found(tmp_path / "pkg") == expected


def test_every_problem_code_is_injected_or_explained(tmp_path: Path) -> None:
    """Each problem code is either injected by --faults or listed with the reason it is not."""
    manifest = generate(tmp_path / "pkg", ROWS, faults=True)
    injected = {e["code"] for e in manifest["expected"]}  # type: ignore[union-attr]
    assert injected.isdisjoint(NOT_INJECTED)
    assert injected | set(NOT_INJECTED) == set(CODES)
    assert (tmp_path / "pkg" / MANIFEST).is_file()


def test_sizes_count_rows_across_all_tables() -> None:
    """--rows is the total of data rows over every table, within rounding; sizes read like 10k and 1M."""
    assert parse_size("10k") == 10_000 and parse_size("1M") == 1_000_000 and parse_size("2500") == 2_500
    for total in (10_000, 100_000, 1_000_000):
        assert abs(sum(counts(total).values()) - total) < total * 0.001 + 20


def test_generated_text_is_multilingual_with_commas_and_quotes(tmp_path: Path) -> None:
    """Valid packages carry Thai and Polish text and cells that need CSV quoting, but no control characters."""
    generate(tmp_path / "pkg", ROWS)
    text = (tmp_path / "pkg" / "data" / "quotations.csv").read_text(encoding="utf-8")
    assert any("\u0e00" <= ch <= "\u0e7f" for ch in text)  # Thai
    assert "ł" in text and '""' in text and '",' in text
    assert not any(ch < " " and ch != "\n" for ch in text)


def test_site_benchmark_weighs_record_pages_only(tmp_path: Path) -> None:
    """benchmarks/site.py counts every record page (not the indexes, search index or assets) and their bytes."""
    from benchmarks.site import page_weights
    from kuril_data.outputs.site import build_site

    from .conftest import build_package

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    out = tmp_path / "site"
    result = build_site(build_package(pkg), out)
    weights = page_weights(out)
    records = [p for p in out.glob("*/*.html") if p.name != "index.html"]
    assert weights["pages"] == result.pages == len(records)
    assert weights["max"] == max(p.stat().st_size for p in records)
    assert weights["search"] == (out / "search-index.js").stat().st_size


def _rows(total: int, seed: int) -> Build:
    package, problems = read_package(ROOT)
    assert package is not None and not problems
    b = Build(package, random.Random(seed))
    build_rows(b, counts(total))
    return b


def _answered(b: Build, docs: dict[str, list[str]], doc: str) -> dt.date | None:
    """The earliest day of the nearest dated document `doc` replies to, through undated replies."""
    target = b.value("documents", docs[doc], "in_reply_to")
    while target and not b.value("documents", docs[target], "date"):
        target = b.value("documents", docs[target], "in_reply_to")
    found = dates.date_range(b.value("documents", docs[target], "date")) if target else None
    return found.earliest if found else None


def test_events_of_undated_documents_keep_after_what_they_reply_to() -> None:
    """An event of an undated document does not start before the earliest day of what the document replies
    to (through undated replies in turn): at 10 M rows a dispatch of an undated reply was dated '1951' while
    the document it answers is dated 1951-03 (date-vaguer-than-bounds)."""
    checked = 0
    for seed in range(5):
        b = _rows(20_000, seed)
        docs = {b.value("documents", r, "document_id"): r for r in b.rows["documents"]}
        for event in b.rows["events"]:
            doc = b.value("events", event, "document_id")
            floor = _answered(b, docs, doc) if doc and not b.value("documents", docs[doc], "date") else None
            if floor is None:
                continue
            checked += 1
            when = dates.date_range(b.value("events", event, "date"))
            assert when is not None and when.earliest is not None
            assert when.earliest >= floor, (seed, event)
    assert checked > 20  # enough such events to tell


def test_undated_reply_events_validate_clean_at_a_size_that_reproduced_the_bug(tmp_path: Path) -> None:
    """Seed 81 at 20k rows made a dispatch of an undated reply dated '1971', vaguer than the 1971-11 of the
    document it answers; the validator must find nothing."""
    generate(tmp_path / "pkg", 20_000, seed=81)
    assert check(tmp_path / "pkg").report.problems == ()
