"""Time `kuril-data validate` against `frictionless validate`, and each export against its floor.

    python -m benchmarks.run [--sizes 10k,100k,1M] [--parts validate,frictionless,export,real]
                             [--faults] [--frictionless-max-rows 100000] [--repeat 1]
                             [--workdir DIR] [--keep] [--output FILE]

For each size a synthetic package is generated (tests/generate.py; sizes count data rows
across all tables), then, in one run:

- validate: `kuril-data validate` and `frictionless validate` each run as their own process on the
  same package; wall time and that process's peak RSS (from `os.wait4`, so it is exactly that
  child's) are compared. Above --frictionless-max-rows frictionless is not run and the table
  says "not measured": nothing is extrapolated.
- export: the package is read and validated once in this process (`kuril_data.validate.check`),
  then each `kuril_data.outputs.export` writer is timed against its floor, measured in the same run on the
  same input: Parquet against pyarrow CSV → Parquet (same compression); SQLite against a plain
  `executemany` into untyped tables plus the same FTS5 indexes rebuilt; JSON against `json.dump`
  of the same rows as dicts.
- real: `kuril-data validate` on the repository's own package from a cold process, five times.

The result is a markdown table on stdout (and in --output). Generated packages are removed at the
end unless --keep.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from resource import RUSAGE_CHILDREN, getrusage

from tests.generate import MANIFEST, ROOT, generate, parse_size

PARTS = ("validate", "frictionless", "export", "real")
BIN = Path(sys.executable).parent
TIME = Path("/usr/bin/time")
TARGET_SPEED = 20.0  # kuril-data validate at 1 M rows: at least this many times faster than frictionless
TARGET_EXPORT = 1.3  # each export at 1 M rows: at most this many times its floor
TARGET_COLD = 0.5  # seconds, kuril-data validate on the real package from a cold process


@dataclass
class Run:
    wall: float  # seconds
    rss: float  # peak resident set size, MB
    status: int
    stdout: str = ""


def run_process(cmd: list[str]) -> Run:
    """Run `cmd`; its wall time, its own peak RSS and its exit status (stdout kept for parsing).

    Peak RSS comes from GNU time (`/usr/bin/time -f %M`): a child forked straight from this
    (large) Python process would report this process's RSS as its own high-water mark.
    """
    with tempfile.TemporaryDirectory() as tmp:
        usage = Path(tmp) / "usage"
        wrapped = [str(TIME), "-f", "%M", "-o", str(usage), *cmd] if TIME.exists() else cmd
        with (Path(tmp) / "out").open("w+b") as out:
            start = time.perf_counter()
            proc = subprocess.run(wrapped, stdout=out, stderr=subprocess.DEVNULL, check=False)
            wall = time.perf_counter() - start
            out.seek(0)
            text = out.read(50_000_000).decode("utf-8", errors="replace")
        if TIME.exists():
            lines = usage.read_text().split()
            rss = int(lines[-1]) / 1024
        else:
            rss = getrusage(RUSAGE_CHILDREN).ru_maxrss / 1024  # an upper bound only
    return Run(wall, rss, proc.returncode, text)


def best(runs: list[Run]) -> Run:
    return min(runs, key=lambda r: r.wall)


def kuril_cmd(path: Path) -> list[str]:
    exe = BIN / "kuril-data"
    head = [str(exe)] if exe.exists() else [sys.executable, "-m", "kuril_data"]
    return [*head, "validate", str(path), "--format", "json"]


def frictionless_cmd(path: Path) -> list[str]:
    exe = BIN / "frictionless"
    head = [str(exe)] if exe.exists() else [sys.executable, "-m", "frictionless"]
    return [*head, "validate", str(path / "datapackage.json")]


def timed(fn: Callable[[], object], repeat: int = 1) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# ---------------------------------------------------------------- floors


def parquet_floor(package_dir: Path, resources: list, out: Path) -> None:
    """pyarrow reads each CSV (every column text, empty = null) and writes it as zstd-9 Parquet."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    out.mkdir()
    for resource in resources:
        names = resource.schema.names
        table = pacsv.read_csv(package_dir / resource.path, convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=True))
        pq.write_table(table, out / f"{resource.name}.parquet", compression="zstd", compression_level=9)


def json_floor(checked: object, target: Path) -> None:
    """json.dump of every table's rows as dicts (empty = null), indented like the export."""
    tables = checked.tables  # type: ignore[attr-defined]
    data = {name: [{k: v or None for k, v in zip(t.columns, vals, strict=True)}
                   for vals in zip(*t.columns.values(), strict=True)] for name, t in tables.items()}
    with target.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=2)


def sqlite_floor(checked: object, target: Path) -> None:
    """executemany into untyped tables, then the export's FTS5 indexes created and rebuilt."""
    from kuril_data.outputs.sqlite import FTS_SUFFIX, FTS_TOKENIZE, fts_fields

    package = checked.package  # type: ignore[attr-defined]
    db = sqlite3.connect(target, isolation_level=None)
    try:
        db.execute("BEGIN")
        for resource in package.resources:
            table = checked.tables[resource.name]  # type: ignore[attr-defined]
            names = list(table.columns)
            cols = ", ".join(f'"{n}"' for n in names)
            db.execute(f'CREATE TABLE "{resource.name}" ({cols})')
            db.executemany(f'INSERT INTO "{resource.name}" VALUES ({", ".join("?" * len(names))})',
                           zip(*table.columns.values(), strict=True))
            fts = fts_fields(resource)
            if fts:
                name = resource.name + FTS_SUFFIX
                db.execute(f'CREATE VIRTUAL TABLE "{name}" USING fts5({", ".join(fts)}, content="{resource.name}", '
                           f"content_rowid='rowid', tokenize='{FTS_TOKENIZE}')")
                db.execute(f"INSERT INTO \"{name}\" (\"{name}\") VALUES ('rebuild')")
        db.execute("COMMIT")
    finally:
        db.close()


# ---------------------------------------------------------------- the parts


@dataclass
class Line:
    size: str
    what: str
    ours: str
    base: str
    ratio: str
    target: str
    met: str


def _s(x: float) -> str:
    return f"{x:.2f} s" if x < 100 else f"{x:.0f} s"


def _mb(x: float) -> str:
    return f"{x:.0f} MB"


def validate_part(label: str, pkg: Path, rows: int, args: argparse.Namespace, faulty: bool,
                  at_1m: bool) -> list[Line]:
    lines: list[Line] = []
    ours = best([run_process(kuril_cmd(pkg)) for _ in range(args.repeat)])
    kind = "faulty " if faulty else ""
    note = ""
    try:
        report = json.loads(ours.stdout)
    except ValueError:
        report = None
    if report is None:
        note = f" (exit {ours.status}, output not JSON)"
    elif faulty:
        manifest = json.loads((pkg / MANIFEST).read_text(encoding="utf-8"))
        want = {(e["code"], e["file"], e["line"]) for e in manifest["expected"]}
        got = {(p["code"], p["file"], p["line"]) for p in report["problems"]}
        note = f" ({len(want & got)}/{len(want)} injected faults found, {len(got - want)} other problem(s))"
    elif not report["valid"] or report["problems"]:
        note = f" (NOT clean: {len(report['problems'])} problem(s))"
    fl: Run | None = None
    if "frictionless" in args.parts and rows <= args.frictionless_max_rows:
        fl = best([run_process(frictionless_cmd(pkg)) for _ in range(args.repeat)])
    if fl is None:
        why = "frictionless not measured" + (f" (> {args.frictionless_max_rows} rows)"
                                             if "frictionless" in args.parts else "")
        lines.append(Line(label, f"{kind}validate wall{note}", _s(ours.wall), why, "—", "—", "—"))
        lines.append(Line(label, f"{kind}validate peak RSS", _mb(ours.rss), "not measured", "—", "—", "—"))
        return lines
    fl_note = "" if faulty or fl.status == 0 else f" (frictionless exit {fl.status})"
    speed = fl.wall / ours.wall
    lines.append(Line(label, f"{kind}validate wall{note}{fl_note}", _s(ours.wall), _s(fl.wall),
                      f"{speed:.1f}× faster", f"≥ {TARGET_SPEED:.0f}× at 1 M",
                      ("yes" if speed >= TARGET_SPEED else "no") if at_1m and not faulty else
                      f"({'yes' if speed >= TARGET_SPEED else 'no'} at this size)"))
    mem = ours.rss / fl.rss
    lines.append(Line(label, f"{kind}validate peak RSS", _mb(ours.rss), _mb(fl.rss), f"{mem:.2f}×", "≤ 1× at 1 M",
                      ("yes" if mem <= 1 else "no") if at_1m and not faulty else
                      f"({'yes' if mem <= 1 else 'no'} at this size)"))
    return lines


def export_part(label: str, pkg: Path, work: Path, repeat: int, at_1m: bool) -> list[Line]:
    import pyarrow as pa
    import pyarrow.csv  # imported before timing, so no floor pays for the import
    import pyarrow.parquet as pq

    from kuril_data.dataset import Dataset
    from kuril_data.outputs.datasette import write_datasette_metadata
    from kuril_data.outputs.json import write_json
    from kuril_data.outputs.parquet import write_parquet
    from kuril_data.outputs.sqlite import write_sqlite
    from kuril_data.validate import check

    # pq.write_table imports pandas on its first call: do that once, untimed, so neither side pays for it.
    pq.write_table(pa.table({"x": ["warm-up"]}), work / "warm-up.parquet")
    (work / "warm-up.parquet").unlink()

    start = time.perf_counter()
    checked = check(pkg)
    read = time.perf_counter() - start
    assert checked.package is not None and checked.report.valid, "the generated package must validate"
    version = checked.package.version
    resources = list(checked.package.resources)
    lines = [Line(label, "read + validate in process (check)", _s(read), "—", "—", "—", "—")]
    k = 0

    def fresh() -> Path:
        nonlocal k
        k += 1
        d = work / f"out-{k}"
        d.mkdir()
        return d

    pairs: list[tuple[str, Callable[[Path], object], Callable[[Path], object]]] = [
        # A fresh Dataset each time: the typing is timed with the writer that needs it.
        ("Parquet", lambda d: write_parquet(Dataset(checked), d / "parquet", version),
         lambda d: parquet_floor(pkg, resources, d / "parquet")),
        ("SQLite", lambda d: (write_sqlite(Dataset(checked), d / "x.sqlite", version, 0),
                              write_datasette_metadata(checked.package, d / "metadata.json", version)),
         lambda d: sqlite_floor(checked, d / "x.sqlite")),
        ("JSON", lambda d: write_json(Dataset(checked), d / "x.json", version),
         lambda d: json_floor(checked, d / "x.json")),
    ]
    for name, ours_fn, floor_fn in pairs:
        ours_t = min(timed(lambda f=ours_fn: f(fresh())) for _ in range(repeat))
        floor_t = min(timed(lambda f=floor_fn: f(fresh())) for _ in range(repeat))
        ratio = ours_t / floor_t
        ok = ratio <= TARGET_EXPORT
        lines.append(Line(label, f"export {name} (vs floor)", _s(ours_t), _s(floor_t), f"{ratio:.2f}×",
                          f"≤ {TARGET_EXPORT}× at 1 M", ("yes" if ok else "no") if at_1m else
                          f"({'yes' if ok else 'no'} at this size)"))
        for d in work.glob("out-*"):
            shutil.rmtree(d)
    return lines


def real_part() -> list[Line]:
    # One unmeasured run first, so every measured run finds the files and the venv in the page cache.
    run_process(kuril_cmd(ROOT))
    runs = [run_process(kuril_cmd(ROOT)) for _ in range(5)]
    walls = sorted(r.wall for r in runs)
    med = statistics.median(walls)
    valid = "clean" if all(r.status == 0 for r in runs) else f"exit {runs[0].status}"
    return [Line("real", f"validate the repository's package, new process each time ({valid}; median of 5, "
                 f"min {walls[0]:.2f} s)", _s(med), "—", "—", f"≤ {TARGET_COLD} s",
                 "yes" if med <= TARGET_COLD else f"no ({med / TARGET_COLD:.1f}× over)"),
            Line("real", "  peak RSS of that process", _mb(max(r.rss for r in runs)), "—", "—", "—", "—")]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = next(int(x.split()[1]) for x in Path("/proc/meminfo").read_text().splitlines()
                   if x.startswith("MemTotal")) / 1024 / 1024
        memory = f", {mem:.0f} GB RAM"
    except (OSError, StopIteration, ValueError):
        memory = ""
    versions = []
    for dist in ("kuril-data", "frictionless", "pyarrow"):
        try:
            from importlib.metadata import version
            versions.append(f"{dist} {version(dist)}")
        except Exception:  # a missing distribution is only not shown
            pass
    return (f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; {', '.join(versions)}; sqlite {sqlite3.sqlite_version}")


def render(lines: list[Line]) -> str:
    head = ["size", "measure", "kuril-data", "baseline", "ratio", "target", "met"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join([x.size, x.what, x.ours, x.base, x.ratio, x.target, x.met]) + " |" for x in lines]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k", help="comma-separated data-row totals, e.g. 10k,100k,1M")
    parser.add_argument("--parts", default=",".join(PARTS), help=f"comma-separated, from {', '.join(PARTS)}")
    parser.add_argument("--faults", action="store_true", help="also validate a package with injected faults")
    parser.add_argument("--frictionless-max-rows", type=parse_size, default=100_000,
                        help="do not run frictionless above this many rows (reported as not measured)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement; the fastest counts")
    parser.add_argument("--workdir", type=Path, help="where packages are generated (default: a temp folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated packages")
    parser.add_argument("--output", type=Path, help="also write the markdown table to this file")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(args.parts) - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s) {', '.join(sorted(unknown))}; use {', '.join(PARTS)}")
    sizes = [(s.strip(), parse_size(s)) for s in args.sizes.split(",") if s.strip()]
    work = Path(tempfile.mkdtemp(prefix="kuril-bench-", dir=args.workdir))
    lines: list[Line] = []
    try:
        if "real" in args.parts:
            lines += real_part()
            print(render(lines), file=sys.stderr)
        for label, rows in sizes:
            variants = [False, True] if args.faults else [False]
            for faulty in variants:
                pkg = work / f"{label}{'-faults' if faulty else ''}"
                start = time.perf_counter()
                manifest = generate(pkg, rows, faults=faulty, seed=args.seed)
                print(f"generated {pkg} ({manifest['rows']} rows) in {time.perf_counter() - start:.1f} s",
                      file=sys.stderr)
                size = f"{label} ({manifest['rows']:,} rows)"
                if "validate" in args.parts or "frictionless" in args.parts:
                    lines += validate_part(size, pkg, int(manifest["rows"]), args, faulty,  # type: ignore[call-overload]
                                           rows >= 1_000_000)
                if "export" in args.parts and not faulty:
                    lines += export_part(size, pkg, work, args.repeat, rows >= 1_000_000)
                    gc.collect()
                print(render(lines[-8:]), file=sys.stderr)
                if not args.keep:
                    shutil.rmtree(pkg)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    text = f"Machine: {machine()}\n\nCommand: python -m benchmarks.run {' '.join(argv or sys.argv[1:])}\n\n" \
        + render(lines) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
