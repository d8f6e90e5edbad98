"""Validation at the floor (issue 24): before and after, frictionless and pyarrow's read_csv, in one run.

    python -m benchmarks.floor [--before REV] [--sizes 1M] [--frictionless-max-rows 1M]
                               [--repeat 3] [--real-repeat 5] [--workdir DIR] [--keep] [--output FILE]

"Before" is the toolkit at git revision REV (default: main where issue 24's work started), checked
out in a temporary git worktree; "after" is this checkout. Every command runs in its own fresh
process under GNU time (wall time and that process's peak RSS), before and after interleaved so a
busy machine weighs on both alike; each figure is the median of --repeat runs. For each size:

- validate (clean package): before, after, `frictionless validate` (once, only up to
  --frictionless-max-rows; above it "not run", nothing extrapolated) and the floor: a process
  that imports pyarrow and reads every data file with `pyarrow.csv.read_csv` (all threads, every
  column text), i.e. the same start-up and the same bytes as the validator, and nothing else;
- the fault corpus (`tests.generate --faults`, same size): before and after must report exactly
  the same problems (file, line, field, code, message, severity, in order; --max-problems 0);
- real: `kuril-data validate --sources SEEDS` on the repository's package, cold process, median
  of --real-repeat after one warm-up.

Targets (issue 24): at 1 M rows ≥ 40× faster than frictionless, peak ≤ ½ of frictionless's,
≤ 4× the read_csv floor; 10 M rows peak ≤ 2 GB; real package with sources ≤ 0.2 s.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.run import Run, frictionless_cmd, machine, run_process
from tests.generate import ROOT, generate, parse_size

BEFORE = "924d9fa"  # main when issue 24's work started
SEEDS = ROOT.parent / "shared" / "seeds"
TARGET_SPEED, TARGET_MEMORY, TARGET_FLOOR, TARGET_10M_MB, TARGET_COLD = 40.0, 0.5, 4.0, 2048, 0.2

FLOOR = """import sys, pyarrow as pa, pyarrow.csv as pcsv
from pathlib import Path
for path in sorted(Path(sys.argv[1], "data").glob("*.csv")):
    names = path.open(encoding="utf-8").readline().rstrip("\\n").split(",")
    pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))
"""


def kuril(src: Path, *args: str) -> list[str]:
    """kuril-data from the tree `src` (before or after), started the same way for both."""
    boot = f"import sys; sys.path.insert(0, {str(src)!r}); from kuril_data.__main__ import main; sys.exit(main())"
    return [sys.executable, "-c", boot, *args]


def median(runs: list[Run]) -> Run:
    walls = sorted(r.wall for r in runs)
    return Run(statistics.median(walls), statistics.median(r.rss for r in runs), runs[0].status, runs[0].stdout)


def interleaved(cmds: dict[str, list[str]], repeat: int) -> dict[str, Run]:
    runs: dict[str, list[Run]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for label, cmd in cmds.items():
            runs[label].append(run_process(cmd))
    return {k: median(v) for k, v in runs.items()}


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' toolkit")
    parser.add_argument("--sizes", default="1M")
    parser.add_argument("--frictionless-max-rows", type=parse_size, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--real-repeat", type=int, default=5)
    parser.add_argument("--no-faults", action="store_true", help="skip the fault corpus")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="kuril-floor-", dir=args.workdir))
    old = work / "before"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.before], check=True)
    trees = {"before": old / "src", "after": ROOT / "src"}
    out = [f"Machine: {machine()}", "", f"Command: python -m benchmarks.floor {' '.join(argv or sys.argv[1:])}", "",
           f"before: {args.before} (temporary worktree); after: this checkout; median of {args.repeat} "
           "fresh processes each, interleaved", "",
           row("size", "measure", "before", "after", "baseline", "after vs baseline", "target", "met"),
           "|---|---|---|---|---|---|---|---|"]

    def emit(line: str) -> None:
        out.append(line)
        print(line, file=sys.stderr)

    try:
        if SEEDS.is_dir():
            cmds = {k: kuril(src, "validate", "--sources", str(SEEDS), str(ROOT), "--format", "json")
                    for k, src in trees.items()}
            interleaved(cmds, 1)  # warm-up: page cache
            real = interleaved(cmds, args.real_repeat)
            b, a = real["before"], real["after"]
            emit(row("real + sources", f"validate, cold process (median of {args.real_repeat}; exit {a.status})",
                     f"{b.wall:.3f} s", f"{a.wall:.3f} s", "—", "—", f"≤ {TARGET_COLD} s",
                     "yes" if a.wall <= TARGET_COLD else "no"))
            emit(row("real + sources", "peak RSS", f"{b.rss:.0f} MB", f"{a.rss:.0f} MB", "—", "—", "—", "—"))
        for label, rows in [(s.strip(), parse_size(s)) for s in args.sizes.split(",") if s.strip()]:
            pkg = work / label
            start = time.perf_counter()
            manifest = generate(pkg, rows, seed=7)
            print(f"generated {pkg} ({manifest['rows']} rows) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
            size = f"{label} ({manifest['rows']:,} rows)"
            cmds = {k: kuril(src, "validate", str(pkg), "--format", "json", "--max-problems", "0")
                    for k, src in trees.items()}
            cmds["floor"] = [sys.executable, "-c", FLOOR, str(pkg)]
            got = interleaved(cmds, args.repeat)
            b, a, floor = got["before"], got["after"], got["floor"]
            clean = all(json.loads(r.stdout or "{}").get("valid") is True for r in (b, a))
            fl = run_process(frictionless_cmd(pkg)) if rows <= args.frictionless_max_rows else None
            at_1m = rows >= 1_000_000
            wall = f"validate wall{'' if clean else ' (NOT clean)'}"
            if fl is not None:
                speed = fl.wall / a.wall
                emit(row(size, f"{wall} vs frictionless", f"{b.wall:.2f} s ({fl.wall / b.wall:.1f}×)",
                         f"{a.wall:.2f} s", f"{fl.wall:.1f} s", f"{speed:.1f}× faster", f"≥ {TARGET_SPEED:.0f}×",
                         ("yes" if speed >= TARGET_SPEED else "no") if at_1m else "(1 M only)"))
                mem = a.rss / fl.rss
                emit(row(size, "validate peak RSS vs frictionless", f"{b.rss:.0f} MB ({b.rss / fl.rss:.2f}×)",
                         f"{a.rss:.0f} MB", f"{fl.rss:.0f} MB", f"{mem:.2f}×", f"≤ {TARGET_MEMORY}×",
                         ("yes" if mem <= TARGET_MEMORY else "no") if at_1m else "(1 M only)"))
            else:
                emit(row(size, f"{wall}; frictionless not run (> {args.frictionless_max_rows:,} rows)",
                         f"{b.wall:.2f} s", f"{a.wall:.2f} s", "—", "—", "—", "—"))
                emit(row(size, "validate peak RSS", f"{b.rss:.0f} MB", f"{a.rss:.0f} MB", "—", "—",
                         f"≤ {TARGET_10M_MB} MB at 10 M", ("yes" if a.rss <= TARGET_10M_MB else "no")
                         if rows >= 10_000_000 else "—"))
            ratio = a.wall / floor.wall
            emit(row(size, "validate wall vs read_csv floor (fresh process, pyarrow import included)",
                     f"{b.wall / floor.wall:.1f}×", f"{a.wall:.2f} s", f"{floor.wall:.2f} s", f"{ratio:.1f}×",
                     f"≤ {TARGET_FLOOR:.0f}×", ("yes" if ratio <= TARGET_FLOOR else "no") if at_1m else "(1 M only)"))
            if not args.keep:
                shutil.rmtree(pkg)
            if args.no_faults:
                continue
            pkg = work / f"{label}-faults"
            manifest = generate(pkg, rows, faults=True, seed=7)
            cmds = {k: kuril(src, "validate", str(pkg), "--format", "json", "--max-problems", "0")
                    for k, src in trees.items()}
            got = interleaved(cmds, 1)
            reports = {k: json.loads(r.stdout)["problems"] for k, r in got.items()}
            same = reports["before"] == reports["after"]
            emit(row(f"{label} faults ({manifest['rows']:,} rows)",
                     f"report of the fault corpus, after = before ({len(reports['after'])} problems)",
                     f"{got['before'].wall:.2f} s", f"{got['after'].wall:.2f} s", "—", "identical" if same
                     else "DIFFERENT", "identical", "yes" if same else "no"))
            if not args.keep:
                shutil.rmtree(pkg)
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=False)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    text = "\n".join(out) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
