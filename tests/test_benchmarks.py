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


# --- benchmarks/floor.py (issue 24): the harness's own logic, on tiny sizes; no timing is asserted ---


def test_floor_arguments_sizes_packages_and_limits_of_what_runs() -> None:
    """Sizes parse as in the generator; --package takes SIZE=DIR for a size being measured; before
    (main at session 19's start), frictionless and the fault corpus stop at 1 M rows by default."""
    import pytest

    from benchmarks.floor import BEFORE, parse_args

    args = parse_args(["--sizes", "1M, 10M", "--package", "10M=/tmp/p10m"])
    assert args.sizes == [("1M", 1_000_000), ("10M", 10_000_000)]
    assert args.package == {"10M": Path("/tmp/p10m")}
    assert (args.before, args.before_tree) == (BEFORE, None) and BEFORE == "b796335"
    assert args.frictionless_max_rows == args.before_max_rows == args.faults_max_rows == 1_000_000
    for bad in (["--package", "10M"], ["--package", "=/tmp/x"], ["--sizes", "1M", "--package", "10M=/tmp/x"],
                ["--before", "HEAD", "--before-tree", "/tmp"], ["--repeat", "0"]):
        with pytest.raises(SystemExit):
            parse_args(bad)


def test_floor_raises_a_limit_only_where_the_package_exceeds_it(tmp_path: Path) -> None:
    """A package whose largest data file or longest table is above the validator's limits is
    validated with those limits raised to what it holds (the 10 M-row citations.csv is ~726 MB);
    within the defaults nothing is passed."""
    from benchmarks.floor import limit_options
    from kuril_data.model.limits import Limits

    manifest = generate(tmp_path / "pkg", ROWS)
    assert limit_options(tmp_path / "pkg", manifest) == []
    largest = max(p.stat().st_size for p in (tmp_path / "pkg" / "data").glob("*.csv"))
    longest = max(manifest["tables"].values())  # type: ignore[union-attr]
    small = Limits(max_file_bytes=largest - 1, max_rows=longest - 1)
    assert limit_options(tmp_path / "pkg", manifest, small) == ["--max-file-bytes", str(largest),
                                                                "--max-rows", str(longest)]


def test_floor_reuses_a_generated_package_and_refuses_what_it_did_not_generate(tmp_path: Path) -> None:
    """A package generated into the work folder is reused as it is by the next run (not rewritten);
    --package must name a package of that size from the generator; a folder in the way is refused,
    never removed."""
    import pytest

    from benchmarks.floor import package

    work = tmp_path / "work"
    pkg, manifest = package("1k", 1_000, faults=False, at={}, work=work)
    stamps = {p: p.stat().st_mtime_ns for p in pkg.rglob("*")}
    assert package("1k", 1_000, faults=False, at={}, work=work) == (pkg, manifest)
    assert {p: p.stat().st_mtime_ns for p in pkg.rglob("*")} == stamps
    with pytest.raises(SystemExit, match="manifest says 1000 rows"):
        package("2k", 2_000, faults=False, at={"2k": pkg}, work=tmp_path / "other")
    (work / "3k").mkdir()
    (work / "3k" / "mine.txt").write_text("keep me")
    with pytest.raises(SystemExit, match="exists but is not a complete package"):
        package("3k", 3_000, faults=False, at={}, work=work)
    assert (work / "3k" / "mine.txt").read_text() == "keep me"


def test_floor_prints_every_part_of_one_run_on_a_tiny_size(tmp_path: Path) -> None:
    """One run of the harness on 2k rows, frictionless skipped, this checkout as both trees: the
    table has the real package (when the source texts are there), the size's wall, peak and floor
    rows saying frictionless was not run, the fault corpus compared (identical: same code), and
    the load average. Figures are not asserted, only that each part ran and is said."""
    import pytest

    from benchmarks.floor import SEEDS, TIME, main
    from tests.generate import ROOT as REPO

    if not TIME.exists():
        pytest.skip(f"GNU time ({TIME}) is not installed: the harness needs it for each process's peak RSS")
    out = tmp_path / "floor.md"
    assert main(["--before-tree", str(REPO), "--sizes", "2k", "--repeat", "1", "--real-repeat", "1",
                 "--frictionless-max-rows", "0", "--workdir", str(tmp_path / "work"), "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert "| size | measure | before | after | baseline | after vs baseline | target | met |" in lines
    assert "Load average (1/5/15 min) at the start: " in text and "- 2k: load average " in text and " after" in text
    if SEEDS.is_dir():
        assert any(x.startswith("| real + sources | validate wall, cold process (median of 1; exit 0) |")
                   and "| ≤ 0.2 s |" in x for x in lines)
    else:
        assert f"- real package: not run, no source texts at {SEEDS}" in lines
    size = [x for x in lines if x.startswith("| 2k (")]
    assert len(size) == 4
    assert "frictionless not run at this size (> 0 rows) |" in size[0]
    assert size[0].endswith("| not run | — | completes | yes |")
    assert "| ≤ 2048 MB at 10 M | — |" in size[1]
    assert "read_csv floor" in size[2] and size[2].endswith("| ≤ 4× at 1 M | (1 M only) |")
    faults = [x for x in lines if x.startswith("| 2k faults (")]
    assert len(faults) == 1 and "(43 problems)" in faults[0] and faults[0].endswith("| identical | identical | yes |")
    assert (tmp_path / "work" / "2k" / MANIFEST).is_file()  # kept for the next run


def test_floor_says_what_it_did_not_run_above_its_limits(tmp_path: Path) -> None:
    """Above --before-max-rows (as 10 M rows by default) the before tree is not run, nor the fault
    corpus (it compares with before), nor frictionless above its limit: each row says "not run"
    and nothing is extrapolated; after and the floor still are."""
    import pytest

    from benchmarks.floor import TIME, main
    from tests.generate import ROOT as REPO

    if not TIME.exists():
        pytest.skip(f"GNU time ({TIME}) is not installed: the harness needs it for each process's peak RSS")
    out = tmp_path / "floor.md"
    assert main(["--before-tree", str(REPO), "--sizes", "2k", "--repeat", "1", "--real-repeat", "0",
                 "--frictionless-max-rows", "1k", "--before-max-rows", "1k", "--workdir", str(tmp_path),
                 "--output", str(out)]) == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    size = [x for x in lines if x.startswith("| 2k (")]
    assert len(size) == 4 and all("| not run (> 1,000 rows) |" in x for x in size)
    assert "frictionless not run at this size (> 1,000 rows)" in size[0] and "| not run | — |" in size[0]
    assert [x for x in lines if x.startswith("| 2k faults")] == [
        "| 2k faults | report of the fault corpus, after = before: not run (> 1,000 rows) | — | — | — | — "
        "| identical | not checked |"]
    assert not (tmp_path / "2k-faults").exists()  # not generated either
    assert not any(x.startswith("| real + sources") for x in lines)  # --real-repeat 0


def test_floor_names_the_problems_of_a_package_that_is_not_clean(tmp_path: Path) -> None:
    """When a validate run is not clean (a generated package should be), the table says which
    problem codes it reported, counted: here those of a package with the generator's faults."""
    from collections import Counter

    import pytest

    from benchmarks.floor import TIME, found, kuril, measure
    from tests.generate import ROOT as REPO

    if not TIME.exists():
        pytest.skip(f"GNU time ({TIME}) is not installed: the harness needs it for each process's peak RSS")
    manifest = generate(tmp_path / "pkg", ROWS, faults=True)
    run = measure(kuril(REPO / "src", "validate", str(tmp_path / "pkg"), "--format", "json", "--max-problems", "0"))
    assert run.status == 1
    codes = Counter(e["code"] for e in manifest["expected"])  # type: ignore[union-attr]
    assert found(run) == ", ".join(f"{code} ×{n}" for code, n in sorted(codes.items()))
    assert found(measure(kuril(REPO / "src", "validate", str(tmp_path / "none")))) == "no report"


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
