"""Time and peak memory of the amplification cases of the third hostile-input attack (issue 23)
that `validate` and the version reader answer, at the size reported and at ten times it.

Each case builds its input in a temporary folder and runs one command in a fresh process under GNU
time (`benchmarks.hostile.run`). Issue 23 asks that each ends within 2 s and 256 MB:

    .venv/bin/python -m benchmarks.hostile3 [--output FILE] [--only NAME]

- verbatim-whole-span: the repository's package validated against its source texts
  (/work/shared/seeds, or $KURIL_DATA_SOURCES) with every locator of a verbatim row changed to
  span its whole source; at 10x each source text is ten copies of itself (the locators span them).
- zip-million-members: `validate` of a zip of 1 M (10 M) empty members; at 10x only the central
  directory and end records are written (what the reader looks at), 10 M entries.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import os
import shutil
import struct
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KURIL = str(ROOT / ".venv" / "bin" / "kuril-data")
SEEDS = Path(os.environ.get("KURIL_DATA_SOURCES") or ROOT.parent / "shared" / "seeds")
Build = Callable[[Path, int], list[str]]


def verbatim_whole_span(tmp: Path, scale: int) -> list[str]:
    pkg = tmp / "pkg"
    pkg.mkdir()
    for rel in ("datapackage.json", "data", "schemas"):
        (shutil.copytree if (ROOT / rel).is_dir() else shutil.copy)(ROOT / rel, pkg / rel)
    texts = tmp / "sources"
    texts.mkdir()
    lines: dict[str, int] = {}
    sources = pkg / "data" / "sources.csv"
    rows = list(csv.reader(io.StringIO(sources.read_text(encoding="utf-8"))))
    header = rows[0]
    for row in rows[1:]:
        sid, name = row[header.index("source_id")], row[header.index("path")]
        raw = (SEEDS / name).read_bytes()
        raw = b"\n".join([raw.rstrip(b"\n")] * scale) + b"\n"
        (texts / name).write_bytes(raw)
        row[header.index("sha256")] = hashlib.sha256(raw).hexdigest()
        lines[sid] = raw.count(b"\n") + 1
    _write(sources, rows)
    for path in (pkg / "data").glob("*.csv"):
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        if "locator" in rows[0] and "source_id" in rows[0]:
            at, sid = rows[0].index("locator"), rows[0].index("source_id")
            for row in rows[1:]:
                if row[sid] in lines and row[at].startswith("line"):
                    row[at] = f"lines 1-{lines[row[sid]]}"
            _write(path, rows)
    return [KURIL, "validate", str(pkg), "--sources", str(texts)]


def _write(path: Path, rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def zip_million_members(tmp: Path, scale: int) -> list[str]:
    """A zip of 1 M empty stored members written by hand (zipfile takes minutes for this); at 10x,
    10 M central-directory entries (pointing at one local header) and the zip64 end records."""
    path = tmp / "many.zip"
    count = 1_000_000 * scale
    crc = zlib.crc32(b"")
    with path.open("wb") as f:
        offsets = []
        if scale == 1:
            for i in range(count):
                name = b"m/%07d" % i
                offsets.append(f.tell())
                f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, 0, 0, len(name), 0) + name)
        else:
            name = b"m/0"
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, crc, 0, 0, len(name), 0) + name)
        start = f.tell()
        chunk = []
        for i in range(count):
            name = b"m/%07d" % i if scale == 1 else b"m/0"
            chunk.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 0, 0, 0x21, crc, 0, 0,
                                     len(name), 0, 0, 0, 0, 0, offsets[i] if scale == 1 else 0) + name)
            if len(chunk) == 100_000:
                f.write(b"".join(chunk))
                chunk = []
        f.write(b"".join(chunk))
        end = f.tell()
        size = end - start
        f.write(struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, start))
        f.write(struct.pack("<4sLQL", b"PK\x06\x07", 0, end, 1))
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    return [KURIL, "validate", str(path)]


CASES: dict[str, Build] = {f.__name__.replace("_", "-"): f for f in (verbatim_whole_span, zip_million_members)}


def table(only: list[str] | None = None, output: Path | None = None) -> str:
    from .hostile import RSS_LIMIT_MB, WALL_LIMIT, run

    rows = ["| case (issue 23) | size | input | exit | wall (s) | peak RSS (MB) | within 2 s and 256 MB | output |",
            "|---|---|---|---|---|---|---|---|"]
    failures = total = 0
    for name, build in CASES.items():
        if only and name not in only:
            continue
        for scale in (1, 10):
            with tempfile.TemporaryDirectory(prefix="kuril-hostile3-") as tmp:
                cmd = build(Path(tmp), scale)
                size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
                code, wall, rss, out = run(cmd)
            ok = wall <= WALL_LIMIT and rss <= RSS_LIMIT_MB and code in (0, 1, 2)
            failures += not ok
            total += 1
            lines = [line for line in out.splitlines() if line.strip() and not line.startswith("checked ")]
            last = (lines or [""])[-1][:90].replace("|", "\\|")
            rows.append(f"| {name} | {'1x' if scale == 1 else '10x'} | {size / 1e6:.1f} MB | {code} | {wall:.2f} | "
                        f"{rss:.0f} | {'yes' if ok else '**no**'} | {last} |")
    rows.append("")
    rows.append(f"{total - failures} of {total} runs within both limits.")
    text = "\n".join(rows)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    parser.add_argument("--only", action="append", help="run only this case (repeatable)")
    args = parser.parse_args()
    print(table(args.only, args.output))


if __name__ == "__main__":
    main()
