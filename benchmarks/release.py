"""Time `release`, `validate` and `load()` of the real package, before and after, in one run.

    python -m benchmarks.release [--before REV] [--repeat 5] [--output FILE]

"Before" is the toolkit at git revision REV (default: the layout commit that preceded issue 19's
one-contract work), checked out in a temporary worktree; "after" is this checkout. Both run on this
checkout's package, each command in a fresh process (imports included, as a user pays them), the
two trees' runs interleaved so that a noisy machine weighs on both alike. Each figure is the median
of --repeat runs. The release is built without recording it in the registry.

Targets (issue 19): release ≤ 1.5 s; validate and load() no slower than before.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "46e7e6c"  # Layout: src/kuril_data in layers (no behaviour changed yet)
TARGET_RELEASE = 1.5

TASKS = {
    # The "before" toolkit's build_release(record=True) wrote the repository's registry; never let it.
    "release": "import inspect\nfrom kuril_data.release.build import build_release\n"
               "no_record = {{'record': False}} if 'record' in inspect.signature(build_release).parameters else {{}}\n"
               "build_release({pkg!r}, {out!r}, **no_record)\n",
    "validate": "import kuril_data\nassert kuril_data.validate({pkg!r}).valid\n",
    "load()": "import kuril_data\nassert len(kuril_data.load(source={pkg!r})) == 17\n",
}


def run(src: Path, code: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "SOURCE_DATE_EPOCH": "1796044796"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' toolkit")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--output", type=Path, help="also write the markdown table to this file")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        old = work / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.before], check=True)
        try:
            trees = {"before": old / "src", "after": ROOT / "src"}
            times: dict[tuple[str, str], list[float]] = {}
            for i in range(args.repeat):
                for task, template in TASKS.items():
                    for label, src in trees.items():
                        code = template.format(pkg=str(ROOT), out=str(work / f"out-{label}-{task}-{i}"))
                        times.setdefault((task, label), []).append(run(src, code))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)], check=True)

    lines = [f"Real package, fresh process each, median of {args.repeat} (before: {args.before}; after: this checkout)",
             "", "| | before | after | after/before |", "|---|---|---|---|"]
    for task in TASKS:
        before, after = (statistics.median(times[(task, label)]) for label in ("before", "after"))
        lines.append(f"| {task} | {before:.2f} s | {after:.2f} s | {after / before:.2f} |")
    release = statistics.median(times[("release", "after")])
    lines += ["", f"release target ≤ {TARGET_RELEASE} s: {'met' if release <= TARGET_RELEASE else 'NOT met'}"]
    table = "\n".join(lines)
    print(table)
    if args.output:
        args.output.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
