"""Time and peak memory of the second hostile-input attack (issue 15), at the sizes reported and at 10x.

Each case builds its input in a temporary folder, runs one command in a fresh process under GNU
time, and reports the exit code, wall seconds and peak RSS. Issue 15 asks that each case, at both
sizes, ends within 2 s and 256 MB with a located error or a correct result. Run from
`python -m benchmarks.hostile` (which prints this table after the first corpus) or alone:

    .venv/bin/python -m benchmarks.hostile2 [--output FILE] [--only NAME]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KURIL = str(ROOT / ".venv" / "bin" / "kuril-data")
PYTHON = str(ROOT / ".venv" / "bin" / "python")
NAME = "kuril-data-0.1.0"
Build = Callable[[Path, int], list[str]]  # (temp folder, scale 1 or 10) -> the command to measure


def _package(tmp: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from tests.conftest import build_package

    pkg = tmp / "pkg"
    pkg.mkdir()
    return build_package(pkg)


def _members(pkg: Path) -> dict[str, bytes]:
    return {f"{NAME}/{p.relative_to(pkg).as_posix()}": p.read_bytes() for p in sorted(pkg.rglob("*")) if p.is_file()}


def _load(source: Path) -> list[str]:
    return [PYTHON, "-c", "import sys, kuril_data\ntry:\n    kuril_data.load(source=sys.argv[1])\n"
            "except kuril_data.LoadError as e:\n    print(str(e)[:200]); sys.exit(1)", str(source)]


def zip_absolute_path(tmp: Path, scale: int) -> list[str]:
    """load() of a zip whose descriptor names absolute paths and holds 'kuril-data-0.1.0//<path>' members."""
    pkg = _package(tmp)
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    members = _members(pkg)
    for i in range(min(scale, len(desc["resources"]))):
        target = tmp / "victim" / f"owned{i}.csv"
        desc["resources"][i]["path"] = str(target)
        members[f"{NAME}//{str(target).lstrip('/')}"] = b"x\n"
    members[f"{NAME}/datapackage.json"] = json.dumps(desc).encode()
    z = tmp / "evil.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    shutil.rmtree(pkg)
    return _load(z)


def fmt_bare_cr(tmp: Path, scale: int) -> list[str]:
    """fmt of a CRLF file whose quoted cells hold bare CRs (1 or 10 such cells)."""
    pkg = _package(tmp)
    places = pkg / "data" / "places.csv"
    lines = places.read_text(encoding="utf-8").splitlines()
    width = lines[0].count(",") + 1  # as many cells as the header (the schema gains columns)
    lines += [f'cr-{i:03d},"Signing\rof {i}",city' + "," * (width - 3) for i in range(scale)]
    places.write_bytes("\r\n".join(lines).encode("utf-8") + b"\r\n")
    return [KURIL, "fmt", str(pkg)]


def inline_empty_records(tmp: Path, scale: int) -> list[str]:
    """diff of a small zip whose inline kuril-data.json holds 20 M (200 M) empty records."""
    z = tmp / "bomb.zip"
    head = b'{"name":"x","version":"1","resources":[{"name":"places","schema":{"fields":[{"name":"a"}]},"data":['
    chunk = b"{}," * 1_000_000
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("kuril-data.json", "w", force_zip64=True) as f:
        f.write(head)
        for _ in range(20 * scale):
            f.write(chunk)
        f.write(b"{}]}]}")
    return [KURIL, "diff", str(z), str(z)]


def _release(tmp: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from kuril_data.release.build import build_release

    pkg = _package(tmp)
    (pkg / "CHANGELOG.md").write_text("# Changelog\n\n## [0.1.0]\n\n- x\n", encoding="utf-8")
    return build_release(pkg, tmp / "dist")


def sqlite_endless_view(tmp: Path, scale: int) -> list[str]:
    """load() of a SQLite file whose _metadata is an endless recursive view."""
    db_path = _release(tmp) / "kuril-data.sqlite"
    db = sqlite3.connect(db_path)
    db.execute("DROP TABLE _metadata")
    db.execute("CREATE VIEW _metadata AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT 'version' AS key, i AS value FROM n")
    db.commit()
    db.close()
    return _load(db_path)


def sqlite_blob_view(tmp: Path, scale: int) -> list[str]:
    """load() of a SQLite file whose places table is a view returning a 100 MB (1 GB) blob per row."""
    db_path = _release(tmp) / "kuril-data.sqlite"
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA foreign_keys = OFF")
    for view in ("quotations_with_speakers", "events_with_actors_and_places"):
        db.execute(f"DROP VIEW IF EXISTS {view}")
    db.execute("DROP TABLE places")
    db.execute(f"CREATE VIEW places AS SELECT zeroblob({100_000_000 * scale}) AS place_id, 1 AS name, 1 AS kind, "
               "1 AS part_of, 1 AS description FROM (SELECT 1 UNION ALL SELECT 2)")
    db.commit()
    db.close()
    return _load(db_path)


def many_resources(tmp: Path, scale: int) -> list[str]:
    """validate of a descriptor naming one CSV 12,500 (125,000) times."""
    pkg = _package(tmp)
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    desc["resources"] = [{"name": f"r{i}", "path": "data/places.csv", "schema": "schemas/places.json"}
                         for i in range(12_500 * scale)]
    (pkg / "datapackage.json").write_text(json.dumps(desc, separators=(",", ":")), encoding="utf-8")
    return [KURIL, "validate", str(pkg)]


def _deflate_bomb(gigabytes_tenths: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of `gigabytes_tenths` x 100 MB of b"a", built in milliseconds: one
    compressed 10 MB block ending in a full flush (no reference before it) repeated, then the end."""
    import zlib

    chunk = b"a" * 10_000_000
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    n = gigabytes_tenths * 10
    crc = 0
    crc_chunk = zlib.crc32(chunk)
    for _ in range(n):  # crc32 of the whole, chunk by chunk (cheap: one pass over 10 MB reused)
        crc = zlib.crc32(chunk, crc) if n <= 30 else crc ^ crc_chunk  # beyond 3 GB the CRC is never reached
    return block * n + co.flush(), crc, len(chunk) * n


def _raw_zip(path: Path, members: dict[str, bytes], bombs: list[tuple[str, bytes, int, int]]) -> None:
    """A zip of stored `members` plus deflated `bombs` given as (name, raw deflate, crc, size), by hand."""
    import struct
    import zlib

    out, central, offset = bytearray(), bytearray(), 0
    entries = [(n, d, zlib.crc32(d), len(d), 0) for n, d in members.items()]
    entries += [(n, raw, crc, size, 8) for n, raw, crc, size in bombs]
    for name, data, crc, size, method in entries:
        fname = name.encode()
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size, len(fname), 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size,
                               len(fname), 0, 0, 0, 0, 0, offset) + fname
        out += local + fname + data
        offset += len(local) + len(fname) + len(data)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), offset, 0)
    path.write_bytes(bytes(out))


def zip_bomb(tmp: Path, scale: int) -> list[str]:
    """load() of a 3 MB zip whose data file unpacks to 2.9 GB (at 10x: ten such members, 29 GB)."""
    pkg = _package(tmp)
    members = {n: d for n, d in _members(pkg).items() if not n.endswith("/events.csv")}
    raw, crc, size = _deflate_bomb(29)
    names = [f"{NAME}/data/events.csv"] + [f"{NAME}/data/pad{i}.csv" for i in range(1, scale)]
    _raw_zip(tmp / "bomb.zip", members, [(n, raw, crc, size) for n in names])
    shutil.rmtree(pkg)
    return _load(tmp / "bomb.zip")


def big_descriptor_in_zip(tmp: Path, scale: int) -> list[str]:
    """validate of a zip whose datapackage.json is 45 MB (450 MB)."""
    z = tmp / "big.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open(f"{NAME}/datapackage.json", "w", force_zip64=True) as f:
        f.write(b'{"resources": [')
        for _ in range(45 * scale):
            f.write(b'{"name": "x", "path": "data/x.csv"},' * 27_000)
        f.write(b"{}]}")
    return [KURIL, "validate", str(z)]


def many_rows(tmp: Path, scale: int) -> list[str]:
    """validate of a 190 MB file of 6 M rows (at 10x: 1.9 GB, refused by its size before reading)."""
    pkg = _package(tmp)
    places = pkg / "data" / "places.csv"
    with places.open("ab") as f:
        if scale == 1:
            f.writelines(b"p%07d,Place %07d,city,,\n" % (i, i) for i in range(6_000_000))  # 31 bytes a row
        else:
            f.truncate(1_900_000_000)  # sparse: only its size is read
    return [KURIL, "validate", str(pkg)]


def bad_rows_github(tmp: Path, scale: int) -> list[str]:
    """validate --format github of 1 M rows (the issue's size) that each break several rules; at 10x,
    10 M such rows (a 430 MB file: refused by its size before it is read)."""
    pkg = _package(tmp)
    places = pkg / "data" / "places.csv"
    with places.open("a", encoding="utf-8") as f:
        f.writelines(f"BAD {i},\x1b[31m ,nowhere,missing-{i},,\n" for i in range(1_000_000))
    if scale > 1:  # the same rows, repeated: only the file's size is looked at before refusing it
        block = places.read_bytes().split(b"\n", 1)[1]
        with places.open("ab") as f:
            for _ in range(scale - 1):
                f.write(block)
    return [KURIL, "validate", str(pkg), "--format", "github"]


CASES: dict[str, Build] = {f.__name__.replace("_", "-"): f for f in (
    zip_absolute_path, fmt_bare_cr, inline_empty_records, sqlite_endless_view, sqlite_blob_view, many_resources,
    zip_bomb, big_descriptor_in_zip, many_rows, bad_rows_github)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    parser.add_argument("--only", action="append", help="run only this case (repeatable)")
    args = parser.parse_args()
    print(table(args.only, args.output))


def table(only: list[str] | None = None, output: Path | None = None) -> str:
    from .hostile import RSS_LIMIT_MB, WALL_LIMIT, run

    rows = ["| case (issue 15) | size | exit | wall (s) | peak RSS (MB) | within 2 s and 256 MB | output |",
            "|---|---|---|---|---|---|---|"]
    failures = total = 0
    for name, build in CASES.items():
        if only and name not in only:
            continue
        for scale in (1, 10):
            with tempfile.TemporaryDirectory(prefix="kuril-hostile2-") as tmp:
                cmd = build(Path(tmp), scale)
                code, wall, rss, out = run(cmd)
                victim = Path(tmp) / "victim"
                wrote_outside = victim.exists() and any(victim.iterdir())
            ok = wall <= WALL_LIMIT and rss <= RSS_LIMIT_MB and code in (0, 1, 2) and not wrote_outside
            failures += not ok
            total += 1
            lines = [line for line in out.splitlines() if line.strip() and not line.startswith("checked ")]
            first = (lines or [""])[0][:100].replace("|", "\\|")
            rows.append(f"| {name} | {'1x' if scale == 1 else '10x'} | {code} | {wall:.2f} | {rss:.0f} | "
                        f"{'yes' if ok else '**no**'} | {first} |")
    rows.append("")
    rows.append(f"{total - failures} of {total} runs within both limits.")
    text = "\n".join(rows)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    return text


if __name__ == "__main__":
    main()
