"""Time and peak memory of `kuril-data validate` on every case of the hostile-input corpus.

Issue 8 asks that each case ends within 2 s and 256 MB. Each case is built exactly as the test
suite builds it (tests/test_hostile.py), then validated in a fresh process under GNU time:

    .venv/bin/python -m benchmarks.hostile [--output FILE] [--second]

Prints a markdown table: case, exit code, wall seconds, peak RSS, and whether both limits hold;
then the same for the cases of the second attack (issue 15, `benchmarks/hostile2.py`) at the sizes
reported and at ten times them (`--second`: only those).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, help="also write the tables to this file")
    parser.add_argument("--second", action="store_true", help="only the cases of the second attack (issue 15)")
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
    for name, mutate, *_ in CASES:
        with tempfile.TemporaryDirectory(prefix="kuril-hostile-") as tmp:
            pkg = Path(tmp) / "pkg"
            pkg.mkdir()
            build_package(pkg)
            mutate(pkg)
            code, wall, rss = measure(pkg)
        ok = wall <= WALL_LIMIT and rss <= RSS_LIMIT_MB
        failures += not ok
        rows.append(f"| {name} | {code} | {wall:.2f} | {rss:.0f} | {'yes' if ok else '**no**'} |")
    rows.append("")
    rows.append(f"{len(CASES) - failures} of {len(CASES)} cases within both limits.")
    from .hostile2 import table as second

    table = "\n".join(rows) + "\n\n" + second()
    print(table)
    if args.output:
        args.output.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
