"""Compare the independent readings of the reliability sample with the coded data, field by field.

    python scripts/reliability_compare.py [--rev REV] [--readings docs/reliability] [--units]

The readings (`events-documents.csv`, `quotations.csv`) are joined to the records through `key.csv`
(unit -> record id). `--rev` compares with the data as committed at a git revision (the coding the
readers were measured against, before resolution); without it, with the working tree's `data/`.
Names the readers wrote (participants, speaker, place) are mapped to ids through `actor_names`,
`actors`, `place_names` and `places` (exact spelling first, then the longest known name contained
in the reader's text); participants are judged by set agreement. Documents and events the readers
named in free text (quoted from, about, said at) are judged on presence (both filled or both
empty) and on identity (the stored record's title shares at least half of its words with the
reader's text). `--units` lists every unit that disagrees on some field.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import subprocess
from collections import defaultdict
from pathlib import Path

from kuril_data.model.dates import date_range

ROOT = Path(__file__).resolve().parent.parent
WORD = re.compile(r"[a-z0-9]+")
STOP = {"the", "of", "to", "and", "a", "an", "on", "in", "at", "for", "by", "with", "from", "s"}


def table(name: str, rev: str | None) -> list[dict[str, str]]:
    if rev:
        text = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:data/{name}.csv"],
                              check=True, capture_output=True, text=True).stdout
    else:
        text = (ROOT / "data" / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def read(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Names:
    """Maps a reader's free-text name to an id through the spellings the package records."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.exact: dict[str, str] = {}
        for name, rid in pairs:
            self.exact.setdefault(name.casefold().strip(), rid)
        self.by_length = sorted(self.exact.items(), key=lambda kv: -len(kv[0]))

    def __call__(self, text: str) -> str:
        key = re.sub(r"\s*\(.*?\)\s*", " ", text).casefold().strip(" .;")
        if not key:
            return ""
        if key in self.exact:
            return self.exact[key]
        for name, rid in self.by_length:
            if len(name) > 3 and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", key):
                return rid
        return f"?{key}"


def words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.casefold()) if w not in STOP}


def same_record(reader: str, title: str) -> bool:
    t, r = words(title), words(reader)
    return bool(t) and len(t & r) >= max(1, len(t) / 2)


def bounds(value: str) -> tuple[dt.date, dt.date] | None:
    try:
        rng = date_range(value) if value else None
    except ValueError:
        return None
    if rng is None:
        return None
    return (rng.earliest or dt.date.min, rng.latest or dt.date.max)


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        self.misses: dict[str, list[str]] = defaultdict(list)

    def add(self, field: str, unit: str, agree: bool | None, detail: str = "") -> None:
        if agree is None:
            return
        self.counts[field][0] += agree
        self.counts[field][1] += 1
        if not agree:
            self.misses[unit].append(f"{field}: {detail}")


def _shown(path: Path) -> str:
    """`path` relative to the repository when inside it, so the output does not name a checkout."""
    resolved = path.resolve()
    return resolved.relative_to(ROOT).as_posix() if resolved.is_relative_to(ROOT) else str(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", help="git revision whose data/ to compare with")
    parser.add_argument("--readings", type=Path, default=ROOT / "docs" / "reliability")
    parser.add_argument("--units", action="store_true", help="list the disagreeing units")
    args = parser.parse_args()

    t = {n: table(n, args.rev) for n in ("events", "documents", "quotations", "actors", "actor_names",
                                         "places", "place_names", "event_actors", "document_actors")}
    actor = Names([(r["name"], r["actor_id"]) for r in t["actor_names"]]
                  + [(r["name"], r["actor_id"]) for r in t["actors"]]
                  + [(r["actor_id"].replace("-", " "), r["actor_id"]) for r in t["actors"]])
    place = Names([(r["name"], r["place_id"]) for r in t["place_names"]]
                  + [(r["name"], r["place_id"]) for r in t["places"]])
    records = {"events": {r["event_id"]: r for r in t["events"]},
               "documents": {r["document_id"]: r for r in t["documents"]},
               "quotations": {r["quotation_id"]: r for r in t["quotations"]}}
    titles = {**{k: r["title"] for k, r in records["events"].items()},
              **{k: r["title"] for k, r in records["documents"].items()}}
    links: dict[str, set[str]] = defaultdict(set)
    for r in t["event_actors"]:
        links[r["event_id"]].add(r["actor_id"])
    for r in t["document_actors"]:
        links[r["document_id"]].add(r["actor_id"])
    key = {r["unit"]: r for r in read(args.readings / "key.csv")}

    tally = Tally()
    missing = []
    for reading in read(args.readings / "events-documents.csv"):
        unit = reading["unit"]
        rec = records[key[unit]["table"]].get(key[unit]["record_id"])
        if rec is None:
            missing.append(f"{unit} ({key[unit]['record_id']})")
            continue
        stored, read_b = bounds(rec["date"]), bounds(reading["date"])
        tally.add("date exact", unit, reading["date"] == rec["date"], f"{reading['date']!r} vs {rec['date']!r}")
        if stored and read_b:
            tally.add("date bounds equal", unit, stored == read_b, f"{reading['date']} vs {rec['date']}")
            tally.add("date bounds overlap", unit, stored[0] <= read_b[1] and read_b[0] <= stored[1],
                      f"{reading['date']} vs {rec['date']}")
        if "date_basis" in rec:
            tally.add("date_basis", unit, reading["date_basis"] == rec["date_basis"],
                      f"{reading['date_basis']} vs {rec['date_basis']}")
        tally.add("kind", unit, reading["kind"] == rec["kind"], f"{reading['kind']} vs {rec['kind']}")
        mine = {actor(p) for p in reading["participants"].split(";") if p.strip()}
        ours = links[key[unit]["record_id"]]
        tally.add("participants (set equal)", unit, mine == ours,
                  f"reader only {sorted(mine - ours)}, data only {sorted(ours - mine)}")
        tally.add("place", unit, place(reading["place"]) == rec["place_id"],
                  f"{reading['place']!r} vs {rec['place_id']!r}")
        tally.add("summary faithful (yes)", unit, reading["summary_faithful"].strip().lower() == "yes",
                  reading["summary_note"])

    for reading in read(args.readings / "quotations.csv"):
        unit = reading["unit"]
        rec = records["quotations"].get(key[unit]["record_id"])
        if rec is None:
            missing.append(f"{unit} ({key[unit]['record_id']})")
            continue
        tally.add("voice", unit, reading["voice"] == rec["voice"], f"{reading['voice']} vs {rec['voice']}")
        tally.add("speaker", unit, actor(reading["speaker"]) == rec["speaker_id"],
                  f"{reading['speaker']!r} -> {actor(reading['speaker'])} vs {rec['speaker_id']!r}")
        tally.add("quotation date", unit, reading["date"] == rec["date"], f"{reading['date']!r} vs {rec['date']!r}")
        for field, column in (("quoted from", "document_id"), ("about document", "about_document_id"),
                              ("said at", "event_id"), ("about event", "about_event_id")):
            text = reading[field.replace(" ", "_")]
            stored_id = rec[column]
            tally.add(f"{field} (presence)", unit, bool(text.strip()) == bool(stored_id),
                      f"{text[:60]!r} vs {stored_id!r}")
            if text.strip() and stored_id:
                tally.add(f"{field} (same record)", unit, same_record(text, titles.get(stored_id, "")),
                          f"{text[:60]!r} vs {stored_id}")

    print(f"data: {'git ' + args.rev if args.rev else 'working tree'}; readings: {_shown(args.readings)}")
    if missing:
        print(f"units whose record is no longer in the data (merged or removed): {', '.join(missing)}")
    print(f"{'field':32} {'agree':>5} {'of':>4} {'%':>6}")
    for field, (agree, total) in tally.counts.items():
        print(f"{field:32} {agree:5d} {total:4d} {100 * agree / total:6.1f}")
    if args.units:
        for unit in sorted(tally.misses):
            print(f"\n{unit} {key[unit]['record_id']}")
            for miss in tally.misses[unit]:
                print(f"  {miss}")


if __name__ == "__main__":
    main()
