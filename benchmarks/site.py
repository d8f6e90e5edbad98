"""Time the static site and the release of the repository's own package, and weigh the site's pages.

    python -m benchmarks.site [--repeat 3] [--output FILE]

In one run, on the real package:

- validate (baseline): `kuril-data validate` from a cold process;
- site: `kuril-data site` from a cold process (validation included), and the page writing alone
  (`kuril_data.outputs.site.write_site` on an already validated package, in this process);
- timeline: `kuril_data.outputs.timeline.render` alone;
- release: `kuril-data release` from a cold process, the whole bundle (exports, site, zip);
- weight: bytes of every record page (the shared search index and assets not counted), and of the
  search index, the timeline page and the largest index page.

Each time is the fastest of --repeat runs, with its ratio to the cold `validate` of the same run.
Targets (issue 12): site ≤ 2 s, release ≤ 2 s, every record page ≤ 100 KB.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import timed
from tests.generate import ROOT

BIN = Path(sys.executable).parent
TARGET_SECONDS = 2.0
TARGET_PAGE_BYTES = 100_000


def cold(cmd: list[str], repeat: int) -> float:
    """The fastest wall time of `cmd` run as its own process."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return min(times)


def page_weights(site: Path) -> dict[str, float]:
    """Bytes of the record pages (<kind>/<id>.html) and of the shared files, for the table."""
    records = [p.stat().st_size for p in site.glob("*/*.html") if p.name != "index.html"]
    indexes = [p.stat().st_size for p in site.glob("*/index.html")]
    return {"pages": len(records), "mean": statistics.mean(records), "median": statistics.median(records),
            "max": max(records), "index_max": max(indexes), "search": (site / "search-index.js").stat().st_size,
            "timeline": (site / "timeline.html").stat().st_size,
            "total": sum(p.stat().st_size for p in site.rglob("*") if p.is_file())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--output", type=Path, help="also write the markdown table to this file")
    args = parser.parse_args(argv)

    from kuril_data.dataset import Dataset
    from kuril_data.outputs import timeline
    from kuril_data.outputs.export import build_timestamp
    from kuril_data.outputs.site import write_site
    from kuril_data.validate import check

    kuril = str(BIN / "kuril-data")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        base = cold([kuril, "validate", str(ROOT)], args.repeat)
        site_cold = cold([kuril, "site", "--out", str(work / "site"), str(ROOT)], args.repeat)
        checked = check(ROOT)
        assert checked.package is not None
        stamp = build_timestamp(checked.package)
        runs = iter(range(args.repeat))
        site_warm = timed(lambda: write_site(Dataset(checked), work / f"warm{next(runs)}", stamp=stamp), args.repeat)
        draw = timed(lambda: timeline.render(Dataset(checked)), args.repeat)
        release = cold([kuril, "release", "--out", str(work / "dist"), str(ROOT)], args.repeat)
        weights = page_weights(work / "site")

    def row(what: str, seconds: float, target: float | None) -> str:
        verdict = "" if target is None else ("meets" if seconds <= target else "MISSES") + f" ≤ {target:g} s"
        shown = f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"
        return f"| {what} | {shown} | {seconds / base:.2f}× | {verdict} |"

    kb = 1000
    lines = [
        "| measurement (real package) | time | × validate | target |",
        "|---|---|---|---|",
        row("`kuril-data validate` (cold, the baseline)", base, None),
        row("`kuril-data site` (cold, validation included)", site_cold, TARGET_SECONDS),
        row("writing the site (validated package, in process)", site_warm, None),
        row("timeline SVG (in process)", draw, None),
        row("`kuril-data release` (cold, everything)", release, TARGET_SECONDS),
        "",
        "| page weight | bytes |",
        "|---|---|",
        f"| record pages | {weights['pages']:.0f} pages, mean {weights['mean'] / kb:.1f} KB, median "
        f"{weights['median'] / kb:.1f} KB, largest {weights['max'] / kb:.1f} KB "
        f"({'meets' if weights['max'] <= TARGET_PAGE_BYTES else 'MISSES'} ≤ 100 KB) |",
        f"| largest index page | {weights['index_max'] / kb:.1f} KB |",
        f"| timeline page | {weights['timeline'] / kb:.1f} KB |",
        f"| shared search index (`search-index.js`) | {weights['search'] / kb:.1f} KB |",
        f"| whole site | {weights['total'] / kb / kb:.1f} MB |",
    ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
