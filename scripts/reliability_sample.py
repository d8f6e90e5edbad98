"""Draw the reliability sample and write the blind worksheet an independent reader codes from.

    python scripts/reliability_sample.py [--seed N] [--share 0.2] [--out docs/reliability]

A fixed seed draws the same records again, so the next pass can repeat the measurement (or
draw a fresh sample with another seed). At least `share` of the events, documents and quotations
are drawn, each table on its own. The worksheet (`worksheet.csv`) names each sampled unit by an
opaque key and gives only what a reader needs to find it in the seeds: the title (events and
documents) or the quoted text (quotations), and where the sources state it. It holds none of the
coded fields the reading is compared on (date, kind, participants, voice, about-links); the
stored summary is given only so that the reader can judge whether it is faithful. `key.csv` maps
each opaque key back to its record, for the comparison; the reader is not shown it.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("events", "documents", "quotations")


def rows(name: str) -> list[dict[str, str]]:
    with open(ROOT / "data" / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--share", type=float, default=0.2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "reliability")
    args = parser.parse_args()

    sources = {r["source_id"]: r["path"] for r in rows("sources")}
    located: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in rows("citations"):
        for table, column in (("events", "event_id"), ("documents", "document_id")):
            if c[column]:
                where = f"{sources[c['source_id']]} {c['locator']}"
                if where not in located[(table, c[column])]:
                    located[(table, c[column])].append(where)

    rng = random.Random(args.seed)
    worksheet: list[dict[str, str]] = []
    key: list[dict[str, str]] = []
    for table in TABLES:
        records = sorted(rows(table), key=lambda r: r[next(iter(r))])
        drawn = rng.sample(records, math.ceil(args.share * len(records)))
        for n, record in enumerate(sorted(drawn, key=lambda r: rng.random()), start=1):
            record_id = record[next(iter(record))]
            unit = f"{table[0].upper()}{n:03d}"
            if table == "quotations":
                what, where = record["text"], f"{sources[record['source_id']]} {record['locator']}"
                summary = ""
            else:
                what, where = record["title"], "; ".join(located[(table, record_id)])
                summary = record["summary"]
            worksheet.append({"unit": unit, "table": table, "what": what, "where": where,
                              "stored_summary": summary})
            key.append({"unit": unit, "table": table, "record_id": record_id})

    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in (("worksheet.csv", worksheet), ("key.csv", key)):
        with open(args.out / name, "w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(data[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(data)
    counts = {t: sum(1 for k in key if k["table"] == t) for t in TABLES}
    print(f"drew {counts} (seed {args.seed}, share {args.share}) into {args.out}")


if __name__ == "__main__":
    main()
