"""The site's work budgets (issue 23): time, peak memory and bytes written by `kuril-data site` on
packages blown up in one place, before and after, in one run.

    python -m benchmarks.sitebudget [--before REV] [--output FILE] [--no-before]

Each case is made from the repository's own package by tests/amplify.py: N translations of one
quotation, a source whose title has N characters, a disagreement with N more accounts (citing as
many records), or N more one-row tables. Every build runs in a fresh process under GNU
time. "Before" is the toolkit at git revision REV (default `main`, unpacked with `git archive`),
run only at the sizes the issue reported first (its larger sizes write gigabytes); "after" is this
checkout, at every size. Target: every case within 2 s and 256 MB after the fix, and the bytes
written linear in the input (the regression tests in tests/test_site_budget.py assert the bytes).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.hostile import RSS_LIMIT_MB, WALL_LIMIT, run
from tests.amplify import CASES, copy_real, input_bytes

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
# (case, size, also run before the fix)
RUNS = [("real", 0, True), ("translations", 500, True), ("translations", 800, False),
        ("title", 150_000, True), ("title", 900_000, False), ("accounts", 300, True), ("tables", 180, True)]


def site_cmd(src: Path, pkg: Path, out: Path) -> list[str]:
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from kuril_data.cli import cli; "
            "cli(['site', '--out', sys.argv[3], sys.argv[2]])")
    return [PYTHON, "-c", code, str(src), str(pkg), str(out)]


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="main", help="git revision of the 'before' toolkit")
    parser.add_argument("--no-before", action="store_true", help="measure this checkout only")
    parser.add_argument("--output", type=Path, help="also write the markdown table to this file")
    args = parser.parse_args(argv)
    rows = ["| case | input (bytes) | toolkit | exit | wall (s) | peak RSS (MB) | site (bytes) | site/input "
            "| within 2 s and 256 MB |", "|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory(prefix="kuril-sitebudget-") as tmp:
        work = Path(tmp)
        trees = {"after": ROOT / "src"}
        if not args.no_before:
            old = work / "before"
            old.mkdir()
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before, "src"], check=True,
                                     capture_output=True).stdout
            subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
            trees = {"before": old / "src", **trees}
        for case, size, with_before in RUNS:
            pkg = work / f"{case}-{size}"
            copy_real(pkg) if case == "real" else CASES[case](pkg, size)
            name = "real package" if case == "real" else f"{case} {size:,}"
            for label, src in trees.items():
                if label == "before" and not with_before:
                    continue
                out = work / f"site-{label}"
                code, wall, rss, _ = run(site_cmd(src, pkg, out))
                written = folder_bytes(out)
                subprocess.run(["rm", "-rf", str(out)], check=True)
                ok = code == 0 and wall <= WALL_LIMIT and rss <= RSS_LIMIT_MB
                rows.append(f"| {name} | {input_bytes(pkg):,} | {label} | {code} | {wall:.2f} | {rss:.0f} | "
                            f"{written:,} | {written / input_bytes(pkg):.1f} | {'yes' if ok else 'no'} |")
                print(rows[-1], file=sys.stderr)
    text = "\n".join(rows)
    print(text)
    if args.output:
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
