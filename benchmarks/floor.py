"""Validation at the floor (issue 24): before and after, frictionless and pyarrow's read_csv, in one run.

    python -m benchmarks.floor [--before REV | --before-tree DIR] [--sizes 1M,10M]
                               [--frictionless-max-rows 1M] [--before-max-rows 1M] [--faults-max-rows 1M]
                               [--repeat 3] [--real-repeat 5] [--package SIZE=DIR ...]
                               [--workdir DIR] [--keep] [--output FILE]

"Before" is the toolkit at git revision REV (default: main where issue 24's session 19 started),
checked out in a temporary git worktree (or the checkout at --before-tree); "after" is this
checkout. Both trees are byte-compiled first, so no run pays for compiling (whatever
PYTHONDONTWRITEBYTECODE says). Every command runs in its own fresh process under GNU time (wall
time, user + system CPU time and that process's peak RSS), before and after interleaved so a busy
machine weighs on both alike; each figure is the median of --repeat runs, and the load average is
printed for each part. In one run, every target of the issue:

- real: `kuril-data validate --sources SEEDS` on the repository's package, cold process, median of
  --real-repeat after one warm-up (target ≤ 0.2 s);
- for each size, validate (clean package, `--format json --max-problems 0`): before, after, the
  floor (a process that imports pyarrow and reads every data file with `pyarrow.csv.read_csv`, all
  threads, every column text: the same start-up and the same bytes as the validator, nothing else)
  and `frictionless validate` (once, only up to --frictionless-max-rows; above it the table says
  "not run", nothing is extrapolated). At 1 M rows: ≥ 40× faster than frictionless, peak ≤ ½ of
  frictionless's, ≤ 4× the floor; at 10 M rows: peak ≤ 2 GB. Above --before-max-rows the before
  tree is not run (main holds every table in memory: ~5 GB at 10 M rows);
- the fault corpus (`tests.generate --faults`, same size), up to --faults-max-rows: before and after
  must report exactly the same problems (file, line, field, code, message, severity, in order).

A data file larger than the validator's default --max-file-bytes (or a table longer than its
--max-rows), as citations.csv at 10 M rows (~726 MB), would be refused (`file-too-large`): such a
size is validated by both trees with the limit raised to what the package holds, and the output
says so. Packages are generated with seed 7 (`tests.generate`, ~3 min at 10 M rows); with
--workdir they are written there and reused by later runs (a folder is reused when its manifest
says the same rows, seed and faults); --package SIZE=DIR validates an existing generated package
instead, read-only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks.run import frictionless_cmd, machine
from kuril_data.model.limits import DEFAULT_LIMITS, Limits
from tests.generate import MANIFEST, ROOT, generate, parse_size

BEFORE = "b796335"  # main when issue 24's session 19 started
SEED = 7
SEEDS = ROOT.parent / "shared" / "seeds"
TIME = Path("/usr/bin/time")
TARGET_SPEED, TARGET_MEMORY, TARGET_FLOOR, TARGET_10M_MB, TARGET_COLD = 40.0, 0.5, 4.0, 2048, 0.2
HEADER = ["size", "measure", "before", "after", "baseline", "after vs baseline", "target", "met"]

FLOOR = """import sys, pyarrow as pa, pyarrow.csv as pcsv
from pathlib import Path
for path in sorted(Path(sys.argv[1], "data").glob("*.csv")):
    names = path.open(encoding="utf-8").readline().rstrip("\\n").split(",")
    pcsv.read_csv(path, convert_options=pcsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())))
"""


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds, GNU time's elapsed real time
    cpu: float  # seconds, user + system
    rss: float  # peak resident set size of that process, MB
    status: int
    stdout: str = ""


def measure(cmd: list[str]) -> Timing:
    """Run `cmd` in a fresh process under GNU time: its wall and CPU time, peak RSS, exit status and stdout."""
    if not TIME.exists():
        raise SystemExit(f"{TIME} (GNU time) is needed: it gives each process's own peak RSS")
    with tempfile.TemporaryDirectory(prefix="kuril-floor-run-") as tmp:
        usage, out_path = Path(tmp) / "usage", Path(tmp) / "out"
        with out_path.open("w+b") as out:
            proc = subprocess.run([str(TIME), "-f", "%e %U %S %M", "-o", str(usage), *cmd], stdout=out,
                                  stderr=subprocess.DEVNULL, check=False)
            out.seek(0)
            text = out.read(50_000_000).decode("utf-8", errors="replace")
        wall, user, system, rss = usage.read_text().split()[-4:]  # a killed child's line comes first
    return Timing(float(wall), float(user) + float(system), int(rss) / 1024, proc.returncode, text)


def median(runs: list[Timing]) -> Timing:
    return Timing(statistics.median(r.wall for r in runs), statistics.median(r.cpu for r in runs),
                  statistics.median(r.rss for r in runs), runs[0].status, runs[0].stdout)


def interleaved(cmds: dict[str, list[str]], repeat: int) -> dict[str, Timing]:
    """Each command `repeat` times, in turn (a, b, c, a, b, c, ...); the median of each."""
    runs: dict[str, list[Timing]] = {k: [] for k in cmds}
    for _ in range(repeat):
        for label, cmd in cmds.items():
            runs[label].append(measure(cmd))
    return {k: median(v) for k, v in runs.items()}


def kuril(src: Path, *args: str) -> list[str]:
    """kuril-data from the tree `src` (before or after), started the same way for both."""
    boot = f"import sys; sys.path.insert(0, {str(src)!r}); from kuril_data.__main__ import main; sys.exit(main())"
    return [sys.executable, "-c", boot, *args]


def limit_options(pkg: Path, manifest: dict[str, object], default: Limits = DEFAULT_LIMITS) -> list[str]:
    """--max-file-bytes / --max-rows raised to what the package at `pkg` holds, where it holds more
    than the validator's defaults allow (else nothing: the defaults apply)."""
    largest = max((p.stat().st_size for p in (pkg / "data").glob("*.csv")), default=0)
    longest = max(manifest["tables"].values(), default=0)  # type: ignore[attr-defined]
    options = []
    if largest > default.max_file_bytes:
        options += ["--max-file-bytes", str(largest)]
    if longest > default.max_rows:
        options += ["--max-rows", str(longest)]
    return options


def package(label: str, rows: int, *, faults: bool, at: dict[str, Path], work: Path) -> tuple[Path, dict[str, object]]:
    """The generated package of `label` (`rows` rows, faults or not): given with --package (read
    as it is), reused from `work` when its manifest matches, else generated there."""
    given = at.get(label) if not faults else None
    pkg = given or work / (f"{label}-faults" if faults else label)
    manifest_path = pkg / MANIFEST
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if (manifest.get("requested_rows"), manifest.get("seed"), manifest.get("faults")) == (rows, SEED, faults):
            print(f"reusing {pkg} ({manifest['rows']:,} rows)", file=sys.stderr)
            return pkg, manifest
        if given:
            raise SystemExit(f"--package {label}={given}: its manifest says {manifest.get('requested_rows')} "
                             f"rows, seed {manifest.get('seed')}, faults {manifest.get('faults')}; "
                             f"expected {rows}, seed {SEED}, no faults")
    if given:
        raise SystemExit(f"--package {label}={given}: no {MANIFEST} (not a package from tests.generate)")
    if pkg.exists():  # never removed here: it may be someone's
        raise SystemExit(f"{pkg} exists but is not a complete package of {rows:,} rows, seed {SEED}"
                         f"{', with faults' if faults else ''} ({MANIFEST} is written last); remove it or "
                         "use another --workdir")
    start = time.perf_counter()
    manifest = generate(pkg, rows, faults=faults, seed=SEED)
    print(f"generated {pkg} ({manifest['rows']} rows) in {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return pkg, manifest


def report(run: Timing) -> dict[str, object]:
    """The JSON report a validate run printed ({} when it printed none: it failed)."""
    try:
        value = json.loads(run.stdout)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def found(run: Timing) -> str:
    """The problem codes a validate run reported, counted (what made a generated package not clean)."""
    problems = report(run).get("problems")
    codes = Counter(p.get("code") for p in problems if isinstance(p, dict)) if isinstance(problems, list) else {}
    return ", ".join(f"{code} ×{n}" for code, n in sorted(codes.items())) or "no report"


def row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def met(ok: bool) -> str:
    return "yes" if ok else "no"


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def package_arg(text: str) -> tuple[str, Path]:
    label, sep, path = text.partition("=")
    if not sep or not label.strip() or not path.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: expected SIZE=DIR, e.g. 10M=/tmp/p10m")
    parse_size(label)  # a size like 10k or 1M
    return label.strip(), Path(path.strip())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    before = parser.add_mutually_exclusive_group()
    before.add_argument("--before", default=BEFORE, help="git revision of the 'before' toolkit")
    before.add_argument("--before-tree", type=Path, help="a checkout to run as 'before' instead of a revision")
    parser.add_argument("--sizes", default="1M", help="comma-separated sizes (rows across all tables): 1M,10M")
    parser.add_argument("--frictionless-max-rows", type=parse_size, default=1_000_000)
    parser.add_argument("--before-max-rows", type=parse_size, default=1_000_000,
                        help="above this size the before tree is not run (main holds ~5 GB at 10M)")
    parser.add_argument("--faults-max-rows", type=parse_size, default=1_000_000,
                        help="above this size the fault corpus is not generated nor compared")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--real-repeat", type=int, default=5, help="0: skip the real package")
    parser.add_argument("--package", type=package_arg, action="append", default=[], metavar="SIZE=DIR",
                        help="validate this generated package (read only) for that size instead of generating one")
    parser.add_argument("--workdir", type=Path, help="generate packages here and reuse them in later runs (kept)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (without --workdir)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    args.sizes = [(s.strip(), parse_size(s)) for s in args.sizes.split(",") if s.strip()]
    args.package = dict(args.package)
    unknown = set(args.package) - {label for label, _ in args.sizes}
    if unknown:
        parser.error(f"--package for a size not in --sizes: {', '.join(sorted(unknown))}")
    if args.repeat < 1 or args.real_repeat < 0:
        parser.error("--repeat must be at least 1, --real-repeat at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    temp = Path(tempfile.mkdtemp(prefix="kuril-floor-"))
    work = args.workdir or temp
    work.mkdir(parents=True, exist_ok=True)
    worktree = None
    if args.before_tree is not None:
        old, before_name = args.before_tree, f"the checkout at {args.before_tree}"
    else:
        worktree = old = temp / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.before], check=True)
        before_name = f"{args.before} (temporary git worktree)"
    trees = {"before": old / "src", "after": ROOT / "src"}
    for src in trees.values():  # compiled once here, so no timed run compiles
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=True, stdout=subprocess.DEVNULL)
    out = [f"Machine: {machine()}", "",
           f"Command: python -m benchmarks.floor {' '.join(sys.argv[1:] if argv is None else argv)}", "",
           f"before: {before_name}; after: this checkout ({ROOT}); both byte-compiled first. Each command in "
           f"a fresh process under GNU time, median of {args.repeat} (real package: {args.real_repeat}), "
           "before/after/floor interleaved. Load average (1/5/15 min) at the start: " + load_average(), "",
           row(*HEADER), "|" + "---|" * len(HEADER)]
    notes: list[str] = []

    def emit(*cells: str) -> None:
        out.append(row(*cells))
        print(out[-1], file=sys.stderr)

    try:
        if args.real_repeat and SEEDS.is_dir():
            cmds = {k: kuril(src, "validate", "--sources", str(SEEDS), str(ROOT), "--format", "json")
                    for k, src in trees.items()}
            interleaved(cmds, 1)  # warm-up: page cache
            start = load_average()
            real = interleaved(cmds, args.real_repeat)
            notes.append(f"real package: load average {start} before its runs, {load_average()} after")
            b, a = real["before"], real["after"]
            emit("real + sources", f"validate wall, cold process (median of {args.real_repeat}; exit {a.status})",
                 f"{b.wall:.2f} s", f"{a.wall:.2f} s", "—", "—", f"≤ {TARGET_COLD} s", met(a.wall <= TARGET_COLD))
            emit("real + sources", "validate CPU, user + system (median)", f"{b.cpu:.2f} s", f"{a.cpu:.2f} s",
                 "—", "—", "—", "—")
            emit("real + sources", "peak RSS", f"{b.rss:.0f} MB", f"{a.rss:.0f} MB", "—", "—", "—", "—")
        elif args.real_repeat:
            notes.append(f"real package: not run, no source texts at {SEEDS}")
        for label, rows in args.sizes:
            measure_size(label, rows, args, trees, work, emit, notes)
    finally:
        if worktree is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=False)
        if not args.keep:
            shutil.rmtree(temp, ignore_errors=True)
    text = "\n".join([*out, "", *(f"- {n}" for n in notes)]) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


def measure_size(label: str, rows: int, args: argparse.Namespace, trees: dict[str, Path], work: Path,
                 emit: Callable[..., None], notes: list[str]) -> None:
    """The rows of one size: validate before/after against frictionless and the floor, then the fault corpus."""
    pkg, manifest = package(label, rows, faults=False, at=args.package, work=work)
    size = f"{label} ({manifest['rows']:,} rows)"
    limits = limit_options(pkg, manifest)
    if limits:
        notes.append(f"{label}: validated by both trees with {' '.join(limits)} (a data file or table is larger "
                     "than the default limit, which would refuse it)")
    run_before = rows <= args.before_max_rows
    cmds = {k: kuril(src, "validate", str(pkg), "--format", "json", "--max-problems", "0", *limits)
            for k, src in trees.items() if k == "after" or run_before}
    cmds["floor"] = [sys.executable, "-c", FLOOR, str(pkg)]
    start = load_average()
    got = interleaved(cmds, args.repeat)
    notes.append(f"{label}: load average {start} before its runs, {load_average()} after")
    a, floor, b = got["after"], got["floor"], got.get("before")
    clean = all(report(r).get("valid") is True for r in (a, b) if r is not None)
    wall = "validate wall" if clean else f"validate wall (NOT clean: exit {a.status}; {found(a)})"
    at_1m, at_10m = rows == 1_000_000, rows >= 10_000_000  # the sizes
    skipped = f"not run (> {args.before_max_rows:,} rows)"
    fl = measure(frictionless_cmd(pkg)) if rows <= args.frictionless_max_rows else None
    if fl is not None:
        speed, mem = fl.wall / a.wall, a.rss / fl.rss
        emit(size, f"{wall} vs frictionless", f"{b.wall:.2f} s ({fl.wall / b.wall:.1f}×)" if b else skipped,
             f"{a.wall:.2f} s", f"{fl.wall:.1f} s", f"{speed:.1f}× faster", f"≥ {TARGET_SPEED:.0f}× at 1 M",
             met(speed >= TARGET_SPEED) if at_1m else "(1 M only)")
        emit(size, "validate peak RSS vs frictionless", f"{b.rss:.0f} MB ({b.rss / fl.rss:.2f}×)" if b else skipped,
             f"{a.rss:.0f} MB", f"{fl.rss:.0f} MB", f"{mem:.2f}×", f"≤ {TARGET_MEMORY}× at 1 M",
             met(mem <= TARGET_MEMORY) if at_1m else "(1 M only)")
    else:
        why = f"frictionless not run at this size (> {args.frictionless_max_rows:,} rows)"
        emit(size, f"{wall}; {why}", f"{b.wall:.2f} s" if b else skipped, f"{a.wall:.2f} s", "not run", "—",
             "completes", met(a.status in (0, 1) and "valid" in report(a)))  # a report, clean or not (said)
        emit(size, f"validate peak RSS; {why}", f"{b.rss:.0f} MB" if b else skipped, f"{a.rss:.0f} MB", "not run",
             "—", f"≤ {TARGET_10M_MB} MB at 10 M", met(a.rss <= TARGET_10M_MB) if at_10m else "—")
    ratio = a.wall / floor.wall
    emit(size, "validate wall vs read_csv floor (fresh process, pyarrow import included)",
         f"{b.wall:.2f} s ({b.wall / floor.wall:.1f}×)" if b else skipped, f"{a.wall:.2f} s", f"{floor.wall:.2f} s",
         f"{ratio:.1f}×", f"≤ {TARGET_FLOOR:.0f}× at 1 M", met(ratio <= TARGET_FLOOR) if at_1m else "(1 M only)")
    emit(size, "validate CPU, user + system (median)", f"{b.cpu:.2f} s" if b else skipped, f"{a.cpu:.2f} s",
         f"{floor.cpu:.2f} s", f"{a.cpu / floor.cpu:.1f}×", "—", "—")
    if not args.keep and args.workdir is None and label not in args.package:
        shutil.rmtree(pkg)
    faults = f"{label} faults"
    if rows > args.faults_max_rows or not run_before:
        limit = args.faults_max_rows if rows > args.faults_max_rows else args.before_max_rows
        emit(faults, f"report of the fault corpus, after = before: not run (> {limit:,} rows)", "—", "—", "—",
             "—", "identical", "not checked")
        return
    pkg, manifest = package(label, rows, faults=True, at=args.package, work=work)
    limits = limit_options(pkg, manifest)
    cmds = {k: kuril(src, "validate", str(pkg), "--format", "json", "--max-problems", "0", *limits)
            for k, src in trees.items()}
    got = interleaved(cmds, 1)
    reports = {k: report(r).get("problems") for k, r in got.items()}
    after = reports["after"] if isinstance(reports["after"], list) else []
    same = isinstance(reports["before"], list) and reports["before"] == after
    emit(f"{faults} ({manifest['rows']:,} rows)",
         f"report of the fault corpus, after = before ({len(after)} problems)",
         f"{got['before'].wall:.2f} s", f"{got['after'].wall:.2f} s", "—", "identical" if same else "DIFFERENT",
         "identical", met(same))
    if not args.keep and args.workdir is None:
        shutil.rmtree(pkg)


if __name__ == "__main__":
    sys.exit(main())
