"""Time and peak memory of `kuril-data validate` on every case of the hostile-input corpus.

Issue 8 asks that each case ends within 2 s and 256 MB. Each case is built exactly as the test
suite builds it (tests/test_hostile.py), then validated in a fresh process under GNU time:

    .venv/bin/python -m benchmarks.hostile [--output FILE] [--only-scaling] [--second]

Prints a markdown table: case, exit code, wall seconds, peak RSS, and whether both limits hold.
Then, for the inputs of issue 15 whose cost used to grow faster than their size (a nested
quantifier pattern, a long part_of chain, a run of combining marks, a long EDTF set), the same
case at the issue's size and at ten times it: `kuril-data validate` in a new process, and the one
registry check the case stresses timed alone in this process, with the ratio of those times
(~10 for linear work, ~100 or more for quadratic; less where a fixed cost dominates).
Last, the same for the other cases of issue 15 (`benchmarks/hostile2.py`: zips, SQLite, inline
JSON, fmt, many rows) at the sizes reported and at ten times them (`--second`: only those).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WALL_LIMIT, RSS_LIMIT_MB = 2.0, 256


def run(cmd: list[str]) -> tuple[int, float, float, str]:
    """Run `cmd` in a fresh process under GNU time: exit code, wall seconds, peak RSS in MB, output."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True, check=False,
                          errors="replace")
    wall = time.perf_counter() - start
    peak_kb = int(re.findall(r"^(\d+)$", proc.stderr, flags=re.M)[-1])
    errors = [line for line in proc.stderr.splitlines()[:-1] if not line.startswith("Command exited")]
    output = "\n".join([*proc.stdout.splitlines(), *errors])
    return proc.returncode, wall, peak_kb / 1024, output


def measure(pkg: Path) -> tuple[int, float, float]:
    cmd = [str(ROOT / ".venv" / "bin" / "kuril-data"), "validate", str(pkg),
           "--sources", str(ROOT / "tests" / "fixtures" / "sources")]
    code, wall, rss, _ = run(cmd)
    return code, wall, rss


def _edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def _pattern(n: int) -> Callable[[Path], None]:
    """events.note must match ^(a+)+$; one note is n a's and a '!'."""
    def mutate(pkg: Path) -> None:
        path = pkg / "schemas" / "events.json"
        schema = json.loads(path.read_text(encoding="utf-8"))
        next(f for f in schema["fields"] if f["name"] == "note")["constraints"] = {"pattern": "^(a+)+$"}
        path.write_text(json.dumps(schema), encoding="utf-8")
        _edit(pkg / "data" / "events.csv", "moscow,\n", "moscow," + "a" * n + "!\n")
    return mutate


def _chain(n: int) -> Callable[[Path], None]:
    """n places, each part_of the next: no cycle."""
    def mutate(pkg: Path) -> None:
        rows = [f"p{i:07d},Place {i},island,{f'p{i + 1:07d}' if i < n - 1 else ''}," for i in range(n)]
        rows += ["moscow,Moscow,city,,", "kuril-islands,Kuril Islands,island-group,,",
                 "shikotan,Shikotan,island,kuril-islands,"]
        (pkg / "data" / "places.csv").write_text("place_id,name,kind,part_of,description\n" + "\n".join(rows) + "\n",
                                                 encoding="utf-8")
    return mutate


def _self_loops(n: int) -> Callable[[Path], None]:
    """n places, each part_of itself: n cycles."""
    def mutate(pkg: Path) -> None:
        rows = [f"p{i:07d},Place {i},island,p{i:07d}," for i in range(n)]
        rows += ["moscow,Moscow,city,,", "kuril-islands,Kuril Islands,island-group,,",
                 "shikotan,Shikotan,island,kuril-islands,"]
        (pkg / "data" / "places.csv").write_text("place_id,name,kind,part_of,description\n" + "\n".join(rows) + "\n",
                                                 encoding="utf-8")
    return mutate


def _combining(n: int) -> Callable[[Path], None]:
    """An actor key of n alternating U+0301 U+0323."""
    def mutate(pkg: Path) -> None:
        _edit(pkg / "data" / "actors.csv", "gromyko,A.", "gromyko" + "\u0301\u0323" * (n // 2) + ",A.")
    return mutate


def _edtf(n: int) -> Callable[[Path], None]:
    """An event date that is an EDTF set of n members."""
    def mutate(pkg: Path) -> None:
        huge = "{" + ",".join(f"1956-10-{1 + i % 28:02d}" for i in range(n)) + "}"
        _edit(pkg / "data" / "events.csv", "signing,1956-10-19,", f'signing,"{huge}",')
    return mutate


# (case, what n counts, the size, the builder, the registry check it stresses): at n and 10 n.
SCALING: list[tuple[str, str, int, Callable[[int], Callable[[Path], None]], str]] = [
    # 90,000: at 10 n the cell stays under the 1 MB cell limit
    ("pattern ^(a+)+$ on one cell (item 3)", "characters", 90_000, _pattern, "Cells"),
    ("part_of chain, no cycle (item 4)", "places", 3_000, _chain, "Cycles"),
    ("places each part_of itself (item 4)", "cycles", 3_000, _self_loops, "Cycles"),
    ("combining marks in one key (item 5)", "marks", 99_000, _combining, "Cells"),
    ("EDTF set in one date (item 6)", "members", 1_500, _edtf, "EventDates"),
]


def _check_alone(pkg: Path, name: str) -> float:
    """Seconds the one registry check takes on the package, in this process (per-row engine; caches
    of values already judged are per run, except dates.parse's, which an over-long value never enters)."""
    from kuril_data.model.package import read_package
    from kuril_data.validate import read_tables
    from kuril_data.validate.checks import REGISTRY, Context, View

    package, _ = read_package(pkg)
    assert package is not None
    tables, _ = read_tables(package)
    ctx = Context(package, tables)
    check = next(c for c in REGISTRY if c.name == name)
    best = float("inf")
    for _ in range(3):  # the best of three: the first also pays for imports and compiled patterns
        start = time.perf_counter()
        for unit in check.units(ctx):
            for _ in check.judge(ctx, unit, View(unit.table, None)):
                pass
        best = min(best, time.perf_counter() - start)
    return best


@contextlib.contextmanager
def _package(build: Callable[[Path], None], mutate: Callable[[Path], None]) -> Iterator[Path]:
    """A package built in a temporary folder, then mutated into the case."""
    with tempfile.TemporaryDirectory(prefix="kuril-hostile-") as tmp:
        pkg = Path(tmp) / "pkg"
        pkg.mkdir()
        build(pkg)
        mutate(pkg)
        yield pkg


def _run(build: Callable[[Path], None], mutate: Callable[[Path], None], check: str) -> tuple[float, float, float]:
    with _package(build, mutate) as pkg:
        _, wall, rss = measure(pkg)
        return wall, rss, _check_alone(pkg, check)


def scaling(build: Callable[[Path], None]) -> list[str]:
    rows = ["| case | check | n | validate wall (s) | peak RSS (MB) | check alone (s) | 10 n | validate wall (s) "
            "| peak RSS (MB) | check alone (s) | check time ratio | within 2 s and 256 MB |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, unit, n, builder, check in SCALING:
        small, small_rss, small_check = _run(build, builder(n), check)
        large, large_rss, large_check = _run(build, builder(10 * n), check)
        ok = max(small, large) <= WALL_LIMIT and max(small_rss, large_rss) <= RSS_LIMIT_MB
        rows.append(f"| {name} | {check} | {n:,} {unit} | {small:.2f} | {small_rss:.0f} | {small_check:.3f} | "
                    f"{10 * n:,} | {large:.2f} | {large_rss:.0f} | {large_check:.3f} | "
                    f"{large_check / max(small_check, 1e-6):.1f} | {'yes' if ok else '**no**'} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, help="also write the tables to this file")
    parser.add_argument("--only-scaling", action="store_true", help="only the issue-15 scaling cases")
    parser.add_argument("--second", action="store_true",
                        help="only the other cases of issue 15 (benchmarks/hostile2.py)")
    args = parser.parse_args()
    if args.second:
        from .hostile2 import table as second

        print(second(output=args.output))
        return
    sys.path.insert(0, str(ROOT))
    from tests.conftest import build_package
    from tests.test_hostile import CASES

    rows = ["| case | exit | wall (s) | peak RSS (MB) | within 2 s and 256 MB |", "|---|---|---|---|---|"]
    failures = 0
    for name, mutate, *_ in ([] if args.only_scaling else CASES):
        with _package(build_package, mutate) as pkg:
            code, wall, rss = measure(pkg)
        ok = wall <= WALL_LIMIT and rss <= RSS_LIMIT_MB
        failures += not ok
        rows.append(f"| {name} | {code} | {wall:.2f} | {rss:.0f} | {'yes' if ok else '**no**'} |")
    if args.only_scaling:
        rows = []
    else:
        rows += ["", f"{len(CASES) - failures} of {len(CASES)} cases within both limits.", ""]
    rows += scaling(build_package)
    if not args.only_scaling:
        from .hostile2 import table as second

        rows += ["", second()]
    table = "\n".join(rows)
    print(table)
    if args.output:
        args.output.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
