"""Generate a synthetic kuril-data package of a chosen size, optionally with injected faults.

    python -m tests.generate DEST --rows 100000 [--faults] [--seed 7]

The package uses the project's real `datapackage.json` and `schemas/` (copied from the
repository): every table, every key and every domain rule. Sizes count **data rows across all
tables** (header rows excluded), split between the tables in the proportions of the real package;
`manifest.json` in DEST gives the exact count per table.

Valid packages hold realistic English, Polish and Thai text with embedded commas and quotes, and
validate clean (no error, no warning). With `--faults`, faults of every problem code that can be
injected into a package of this shape are added, and `manifest.json` lists every problem the
validator must report (code, file, line, severity); `not_injected` says why the other codes are not.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import hashlib
import io
import json
import random
import shutil
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kuril_data.model import dates
from kuril_data.model.package import Package, read_package

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = "manifest.json"

# Rows per table in the real package (0.1.0): the synthetic package keeps these proportions.
WEIGHTS: dict[str, int] = {
    "sources": 4, "actors": 82, "actor_names": 360, "actor_roles": 39, "places": 47, "place_names": 222,
    "documents": 33, "document_actors": 75, "document_places": 65, "events": 72, "event_actors": 147,
    "event_places": 66, "event_documents": 6, "quotations": 258, "citations": 698, "disagreements": 40,
    "disagreement_accounts": 129,
}
MIN_ROWS = 12  # every table gets at least this many rows, so every fault has rows to go into
LANGS = ("en", "pl", "th")

_TEXT = {
    "en": [
        'The Soviet delegation called the proposal "unacceptable", and the talks were broken off.',
        "Japan insisted on the return of Iturup, Kunashir, Shikotan and the Habomai islands.",
        "In the joint declaration, both sides agreed to continue negotiations on a peace treaty.",
        'The memorandum stated that "the islands are an integral part of Japan", citing earlier treaties.',
        'According to the article, the United States warned Japan against "excessive concessions".',
        "The note, delivered in Moscow, repeated the position of the government of the USSR.",
        "Instruments of ratification were exchanged in Tokyo, ending the state of war.",
        'The minister\'s reply rejected the draft as a "unilateral act", asking for changes.',
    ],
    "pl": [
        "Delegacja radziecka uznała propozycję za „nie do przyjęcia”, a rozmowy zerwano.",
        "Japonia domagała się zwrotu Iturupu, Kunaszyru, Szikotanu i wysp Habomai.",
        "We wspólnej deklaracji obie strony zgodziły się kontynuować rokowania w sprawie traktatu pokojowego.",
        'Memorandum stwierdzało, że "wyspy są integralną częścią Japonii", powołując się na wcześniejsze traktaty.',
        'Według artykułu Stany Zjednoczone ostrzegły Japonię przed "nadmiernymi ustępstwami".',
        "Nota, doręczona w Moskwie, powtarzała stanowisko rządu ZSRR.",
        "Dokumenty ratyfikacyjne wymieniono w Tokio, kończąc stan wojny.",
        'Źródło podaje, że minister odrzucił projekt jako "akt jednostronny", żądając zmian.',
    ],
    "th": [
        'คณะผู้แทนโซเวียตเรียกข้อเสนอนี้ว่า "ไม่อาจยอมรับได้" และการเจรจาก็ยุติลง',
        "ญี่ปุ่นยืนยันให้คืนเกาะอิตูรุป, คูนาชีร์, ชิโกตัน และหมู่เกาะฮาโบไม",
        "ในปฏิญญาร่วม ทั้งสองฝ่ายตกลงที่จะเจรจาสนธิสัญญาสันติภาพต่อไป",
        'บันทึกช่วยจำระบุว่า "หมู่เกาะเป็นส่วนหนึ่งของญี่ปุ่น" โดยอ้างสนธิสัญญาฉบับก่อน ๆ',
        'ตามบทความ สหรัฐอเมริกาเตือนญี่ปุ่นไม่ให้ "ยอมอ่อนข้อมากเกินไป"',
        "บันทึกทางการทูตที่ส่งในกรุงมอสโก, ย้ำจุดยืนของรัฐบาลสหภาพโซเวียต",
        "มีการแลกเปลี่ยนสัตยาบันสารที่กรุงโตเกียว ซึ่งยุติสถานะสงคราม",
        'รัฐมนตรีปฏิเสธร่างดังกล่าวว่าเป็น "การกระทำฝ่ายเดียว"',
    ],
}
_ACTOR_NAMES = [
    {"en": "Andrei Gromyko", "pl": "Andriej Gromyko", "th": "อันเดรย์ โกรมีโก"},
    {"en": "Ichirō Hatoyama", "pl": "Ichirō Hatoyama", "th": "อิจิโร ฮาโตยามะ"},
    {"en": "Nikita Khrushchev", "pl": "Nikita Chruszczow", "th": "นิกิตา ครุชชอฟ"},
    {"en": "Mamoru Shigemitsu", "pl": "Mamoru Shigemitsu", "th": "มาโมรุ ชิเงมิตสึ"},
    {"en": "Yakov Malik", "pl": "Jakow Malik", "th": "ยาคอฟ มาลิก"},
    {"en": "John Foster Dulles", "pl": "John Foster Dulles", "th": "จอห์น ฟอสเตอร์ ดัลเลส"},
    {"en": "Ministry of Foreign Affairs, USSR", "pl": "Ministerstwo Spraw Zagranicznych ZSRR",
     "th": "กระทรวงการต่างประเทศสหภาพโซเวียต"},
]
_PLACE_NAMES = [
    {"en": "Iturup", "pl": "Iturup", "th": "อิตูรุป"},
    {"en": "Kunashir", "pl": "Kunaszyr", "th": "คูนาชีร์"},
    {"en": "Shikotan", "pl": "Szikotan", "th": "ชิโกตัน"},
    {"en": "Habomai", "pl": "Habomai", "th": "ฮาโบไม"},
    {"en": "South Sakhalin", "pl": "Południowy Sachalin", "th": "ซาคาลินใต้"},
    {"en": "Kuril Islands", "pl": "Wyspy Kurylskie", "th": "หมู่เกาะคูริล"},
]
_ROLES = ["Minister of Foreign Affairs", "Prime Minister", "Ambassador to Japan, Tokyo",
          'Head of the "London" delegation', "Secretary of State", "Chairman of the Council of Ministers",
          "Deputy Minister, first rank", "Plenipotentiary"]
_TITLES = ["Joint Declaration", "Memorandum of the Government", "Note of the Ministry of Foreign Affairs",
           'Letter "on the territorial question"', "Draft peace treaty, second version", "Joint communiqué"]
_SOURCE_TITLES = {"en": "Why there is no peace treaty with Japan",
                  "pl": "Dlaczego nie ma traktatu pokojowego z Japonią",
                  "th": "เหตุใดจึงไม่มีสนธิสัญญาสันติภาพกับญี่ปุ่น"}


def _nfc(value: object) -> object:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


TEXT: dict[str, list[str]] = _nfc(_TEXT)  # type: ignore[assignment]
ACTOR_NAMES: list[dict[str, str]] = _nfc(_ACTOR_NAMES)  # type: ignore[assignment]
PLACE_NAMES: list[dict[str, str]] = _nfc(_PLACE_NAMES)  # type: ignore[assignment]

# Codes this generator does not inject, and why (the test checks that every code is accounted for).
NOT_INJECTED: dict[str, str] = {
    "descriptor-error": "breaks datapackage.json, so nothing else is read; not a matter of data size",
    "schema-error": "breaks a schema, so its table is not read; not a matter of data size",
    "unsafe-path": "a descriptor path problem; not a matter of data size",
    "unsafe-text": "a descriptor or schema text problem; not a matter of data size",
    "field-name": "a schema problem; not a matter of data size",
    "reserved-path": "a descriptor path problem; not a matter of data size",
    "output-field": "a schema problem; not a matter of data size",
    "date-range": "a date past 9998 breaks the real schemas' date-order rules too; tests/fixtures/invalid/date-range "
                  "and tests/test_contract.py cover it",
    "unsafe-id": "the real schemas' id pattern refuses such ids first; tests/fixtures/invalid/unsafe-id and "
                 "tests/test_contract.py cover it",
    "file-too-large": "needs a file above the 200 MB default limit",
    "cell-too-large": "needs a 1 MB cell, which stops the file being read",
    "too-many-rows": "needs more than the 5 M rows default limit",
    "type-error": "the real schemas declare no field other than string, so no cell can have the wrong type",
    "range": "the real schemas declare no numeric field, so no minimum or maximum applies",
    "unique": "every unique field of the real schemas is its table's primary key (reported as primary-key)",
    "source-missing": "needs --sources (source text files); the benchmark validates without them",
    "source-checksum": "needs --sources (source text files); the benchmark validates without them",
    "locator-range": "needs --sources (source text files); the benchmark validates without them",
    "not-in-source": "needs --sources (source text files); the benchmark validates without them",
    "not-at-locator": "needs --sources (source text files); the benchmark validates without them",
    "unreferenced": "gives no verdict while a table is unreadable, and the faulty package has a missing and an "
                    "empty file; the valid package is checked clean of it",
    "official-text-source": "needs an official-text quotation from an article; a fixture covers it",
    "unnamed-participant": "generated links are marked inferred (random evidence names no actor); a fixture covers it",
    "inferred-without-note": "generated inferred links carry a note; a fixture covers it",
    "repeated-account": "needs two accounts quoting one passage; a fixture covers it",
    "role-date-unsupported": "generated evidence is random text that states no date, so generated roles are "
                             "undated; a fixture covers it",
}

Row = list[str]


@dataclass
class Expected:
    """One problem a fault makes the validator report. `row` None: the file (line None) or line 1."""

    code: str
    table: str
    row: Row | None = None
    header: bool = False
    severity: str = "error"


@dataclass
class Build:
    package: Package
    rng: random.Random
    rows: dict[str, list[Row]] = field(default_factory=dict)
    expected: list[Expected] = field(default_factory=list)
    raw: dict[int, str] = field(default_factory=dict)  # id(row) -> how it is written: crlf, bad-utf8, ...
    tracked: set[int] = field(default_factory=set)  # rows whose line numbers the manifest needs
    bom: set[str] = field(default_factory=set)
    swapped: dict[str, tuple[str, str]] = field(default_factory=dict)  # table -> two columns swapped
    empty: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    used: set[int] = field(default_factory=set)

    def names(self, table: str) -> list[str]:
        resource = self.package.resource(table)
        assert resource is not None, table
        return resource.schema.names

    def col(self, table: str, name: str) -> int:
        return self.names(table).index(name)

    def make(self, table: str, **values: str) -> Row:
        names = self.names(table)
        unknown = set(values) - set(names)
        assert not unknown, f"{table}: the schema has no field(s) {unknown}"
        return [values.get(n, "") for n in names]

    def value(self, table: str, row: Row, name: str) -> str:
        return row[self.col(table, name)]

    def put(self, table: str, row: Row, name: str, value: str) -> None:
        row[self.col(table, name)] = value

    def pick(self, table: str, where: Callable[[Row], bool] = lambda r: True) -> Row:
        """A row of `table` not yet used by another fault, chosen at random among those `where` accepts."""
        rows = self.rows[table]
        start = self.rng.randrange(len(rows))
        for k in range(len(rows)):
            row = rows[(start + k) % len(rows)]
            if id(row) not in self.used and where(row):
                self.used.add(id(row))
                return row
        raise RuntimeError(f"no row of {table} fits the fault; use more rows")

    def expect(self, code: str, table: str, row: Row | None = None, *, header: bool = False,
               severity: str = "error") -> None:
        if row is not None:
            self.tracked.add(id(row))
            self.used.add(id(row))
        self.expected.append(Expected(code, table, row, header, severity))


def counts(total: int) -> dict[str, int]:
    """Rows per table for about `total` data rows in all, in the proportions of the real package."""
    weight = sum(WEIGHTS.values())
    c = {t: max(MIN_ROWS, round(total * w / weight)) for t, w in WEIGHTS.items()}
    c["sources"] = max(6, c["sources"] - c["sources"] % 3)  # whole en/pl/th groups
    c["quotations"] -= c["quotations"] % 3  # whole en/pl/th translation triples
    c["citations"] = max(c["citations"], c["actors"] + c["places"] + c["events"] + c["documents"])
    c["disagreement_accounts"] = max(c["disagreement_accounts"], 2 * c["disagreements"])
    return c


def _id(prefix: str, i: int) -> str:
    return f"{prefix}-{i:07d}"


_START = dt.date(1945, 8, 1)
_SPAN = (dt.date(1993, 10, 13) - _START).days


def _edtf(rng: random.Random, day: dt.date) -> str:
    """An EDTF string at some precision that contains `day`."""
    form = rng.randrange(6)
    if form == 0:
        return f"{day.year}"
    if form == 1:
        return f"{day.year}-{day.month:02d}"
    if form == 2:
        return f"{day.year}-{day.month:02d}?"
    if form == 3:
        end = day + dt.timedelta(days=rng.randrange(20, 200))
        return f"{day.isoformat()}/{end.year}-{end.month:02d}"
    return day.isoformat()


def _earliest(date: str) -> dt.date:
    """The earliest day of a generated (valid, closed-start) EDTF date."""
    found = dates.date_range(date)
    assert found is not None and found.earliest is not None, date
    return found.earliest


def _text(rng: random.Random, lang: str, parts: int = 2) -> str:
    return " ".join(rng.choice(TEXT[lang]) for _ in range(rng.randint(1, parts)))


def _locator(rng: random.Random) -> str:
    first = rng.randint(1, 400)
    return f"line {first}" if rng.random() < 0.7 else f"lines {first}-{first + rng.randint(1, 4)}"


def _pair(k: int, x: int, y: int) -> tuple[int, int]:
    """The k-th of the x*y distinct (i, j) pairs, spread over both ranges."""
    assert k < x * y, "too many link rows for the tables they link"
    return k % x, (k // x + k % x) % y


def _enum(b: Build, table: str, name: str) -> list[str]:
    resource = b.package.resource(table)
    assert resource is not None
    return [str(v) for v in resource.schema.field(name).constraints["enum"]]


def build_rows(b: Build, n: dict[str, int]) -> None:
    rng, make = b.rng, b.make
    # sources: groups of three (en, then its pl and th translations)
    sources = []
    for i in range(n["sources"]):
        lang = LANGS[i % 3]
        sources.append(make(
            "sources", source_id=_id("source", i), title=f"{_SOURCE_TITLES[lang]} ({i // 3 + 1})", language=lang,
            kind=rng.choice(_enum(b, "sources", "kind")), translation_of=_id("source", i - i % 3) if i % 3 else "",
            path=f"source-{i:07d}.txt", sha256=hashlib.sha256(str(i).encode()).hexdigest(),
            note=_text(rng, "en", 1) if rng.random() < 0.3 else ""))
    b.rows["sources"] = sources
    source_lang = {s[0]: LANGS[i % 3] for i, s in enumerate(sources)}

    kinds = _enum(b, "actors", "kind")
    b.rows["actors"] = [make(
        "actors", actor_id=_id("actor", i), name=ACTOR_NAMES[i % len(ACTOR_NAMES)]["en"], kind=rng.choice(kinds),
        member_of=_id("actor", rng.randrange(i)) if i and rng.random() < 0.3 else "",
        description=_text(rng, "en") if rng.random() < 0.7 else "") for i in range(n["actors"])]
    kinds = _enum(b, "places", "kind")
    b.rows["places"] = [make(
        "places", place_id=_id("place", i), name=PLACE_NAMES[i % len(PLACE_NAMES)]["en"], kind=rng.choice(kinds),
        part_of=_id("place", rng.randrange(i)) if i and rng.random() < 0.3 else "",
        description=_text(rng, "en") if rng.random() < 0.5 else "") for i in range(n["places"])]

    # documents: dates never go backwards, so a reply is never dated before what it replies to; a
    # reply whose vaguer date would reach back before the earliest day of what it answers (through
    # undated replies in turn) gets its day. floor: the earliest day each document can be dated (its
    # own date's, else that of what it replies to), which bounds the events of undated documents too
    kinds, docs = _enum(b, "documents", "kind"), []
    floor: list[dt.date | None] = []
    for i in range(n["documents"]):
        day = _START + dt.timedelta(days=_SPAN * i // n["documents"])
        date = _edtf(rng, day) if rng.random() < 0.9 else ""
        target = rng.randrange(i) if i and rng.random() < 0.2 else None
        answered = floor[target] if target is not None else None
        if date and answered and _earliest(date) < answered:
            date = day.isoformat()
        floor.append(_earliest(date) if date else answered)
        docs.append(make(
            "documents", document_id=_id("document", i), title=f"{rng.choice(_TITLES)}, {day.year}",
            kind=rng.choice(kinds), date=date, summary=_text(rng, "en"),
            in_reply_to=_id("document", target) if target is not None else "",
            place_id=_id("place", rng.randrange(n["places"])) if rng.random() < 0.3 else "",
            note=_text(rng, "en", 1) if rng.random() < 0.1 else ""))
    b.rows["documents"] = docs
    doc_date = [b.value("documents", d, "date") for d in docs]

    # events: one linked to a dated document carries the document's date, so date-order holds; one linked
    # to an undated reply does not start before its floor (issuing a reply cannot precede what it answers,
    # nor may a vaguer date reach back past it): a date that would gets its day, or the floor's if later
    kinds, events = _enum(b, "events", "kind"), []
    for i in range(n["events"]):
        doc = rng.randrange(n["documents"]) if rng.random() < 0.4 else None
        if doc is not None and doc_date[doc]:
            date = doc_date[doc]
        else:
            day = _START + dt.timedelta(days=rng.randrange(_SPAN))
            date = _edtf(rng, day)
            bound = floor[doc] if doc is not None else None
            if bound and _earliest(date) < bound:
                date = max(day, bound).isoformat()
        events.append(make(
            "events", event_id=_id("event", i), title=rng.choice(TEXT["en"])[:80].rstrip(" ,"), kind=rng.choice(kinds),
            date=date, date_basis=rng.choice(_enum(b, "events", "date_basis")),
            summary=_text(rng, "en") if rng.random() < 0.8 else "",
            document_id=_id("document", doc) if doc is not None else "",
            place_id=_id("place", rng.randrange(n["places"])) if rng.random() < 0.3 else "",
            note=_text(rng, "en", 1) if rng.random() < 0.1 else ""))
    b.rows["events"] = events

    # quotations: triples, the pl and th rows translating the en row, each from a source in its language
    groups, quotes = n["sources"] // 3, []
    for i in range(n["quotations"]):
        j, k = divmod(i, 3)
        quotes.append(make(
            "quotations", quotation_id=_id("quotation", i), text=_text(rng, LANGS[k]), language=LANGS[k],
            # the first quotations name every actor and document once, so none is left unreferenced
            speaker_id=_id("actor", i) if i < n["actors"] else
            _id("actor", rng.randrange(n["actors"])) if rng.random() < 0.6 else "",
            # neither commentary (needs about-links) nor official-text (needs an official source)
            voice=rng.choice([v for v in _enum(b, "quotations", "voice") if v not in ("commentary", "official-text")]),
            date=_edtf(rng, _START + dt.timedelta(days=rng.randrange(_SPAN))) if rng.random() < 0.4 else "",
            document_id=_id("document", i) if i < n["documents"] else
            _id("document", rng.randrange(n["documents"])) if rng.random() < 0.3 else "",
            event_id=_id("event", rng.randrange(n["events"])) if rng.random() < 0.3 else "",
            source_id=_id("source", 3 * (j % groups) + k), locator=_locator(rng),
            translation_of=_id("quotation", 3 * j) if k else "",
            note=_text(rng, "en", 1) if rng.random() < 0.05 else ""))
    b.rows["quotations"] = quotes

    # citations: every event, document, actor and place is cited at least once
    records = [(col, _id(prefix, i)) for col, prefix, table in (
        ("event_id", "event", "events"), ("document_id", "document", "documents"),
        ("actor_id", "actor", "actors"), ("place_id", "place", "places")) for i in range(n[table])]
    cites: dict[str, list[str]] = {}
    citations = []
    for i in range(n["citations"]):
        col, rid = records[i] if i < len(records) else rng.choice(records)
        source = _id("source", rng.randrange(n["sources"]))
        cid = _id("citation", i)
        cites.setdefault(rid, []).append(cid)
        citations.append(make("citations", citation_id=cid, source_id=source, locator=_locator(rng),
                              evidence=_text(rng, source_lang[source]), **{col: rid}))
    b.rows["citations"] = citations

    def link(table: str, x: tuple[str, str, int], y: tuple[str, str, int], **extra: Callable[[str, str], str]
             ) -> None:
        rows = []
        for k in range(n[table]):
            i, j = _pair(k, x[2], y[2])
            xi, yj = _id(x[1], i), _id(y[1], j)
            rows.append(make(table, **{x[0]: xi, y[0]: yj}, **{name: f(xi, yj) for name, f in extra.items()}))
        pk = [b.col(table, c) for c in b.package.resource(table).schema.primary_key]  # type: ignore[union-attr]
        rows.sort(key=lambda r: [r[c] for c in pk])
        b.rows[table] = rows

    def spelled(pool: list[dict[str, str]]) -> Callable[[str, str], str]:
        return lambda xi, sid: pool[int(xi.rsplit("-", 1)[1]) % len(pool)][source_lang[sid]]

    link("actor_names", ("actor_id", "actor", n["actors"]), ("source_id", "source", n["sources"]),
         name=spelled(ACTOR_NAMES), locator=lambda *_: _locator(rng))
    link("place_names", ("place_id", "place", n["places"]), ("source_id", "source", n["sources"]),
         name=spelled(PLACE_NAMES), locator=lambda *_: _locator(rng))
    link("actor_roles", ("actor_id", "actor", n["actors"]), ("role", "role", len(_ROLES)),
         organization_id=lambda *_: _id("actor", rng.randrange(n["actors"])) if rng.random() < 0.5 else "",
         # undated: a role's date must lie within what its (random, undated) evidence supports
         date=lambda *_: "", citation_id=lambda a, _: cites[a][0], basis=lambda *_: "stated")
    for row in b.rows["actor_roles"]:  # the role column holds the role's text, not an id
        b.put("actor_roles", row, "role", _ROLES[int(b.value("actor_roles", row, "role").rsplit("-", 1)[1])])
    b.rows["actor_roles"].sort(key=lambda r: (r[0], r[1], r[b.col("actor_roles", "citation_id")]))
    for owner, prefix in (("document", "document"), ("event", "event")):
        roles = _enum(b, f"{owner}_actors", "role")
        link(f"{owner}_actors", (f"{owner}_id", prefix, n[f"{owner}s"]), ("actor_id", "actor", n["actors"]),
             role=lambda *_, roles=roles: rng.choice(roles), citation_id=lambda x, _: cites[x][0],
             # generated evidence is random text that names no actor: the links are inferred
             basis=lambda *_: "inferred", note=lambda *_: "Generated link; the evidence is random text.")
        link(f"{owner}_places", (f"{owner}_id", prefix, n[f"{owner}s"]), ("place_id", "place", n["places"]),
             citation_id=lambda x, _: cites[x][0])
    link("event_documents", ("event_id", "event", n["events"]), ("document_id", "document", n["documents"]),
         citation_id=lambda x, _: cites[x][0])
    kinds = _enum(b, "disagreements", "kind")
    b.rows["disagreements"] = [make("disagreements", disagreement_id=_id("disagreement", i), kind=rng.choice(kinds),
                                    subject=_text(rng, "en", 1)) for i in range(n["disagreements"])]
    link("disagreement_accounts", ("disagreement_id", "disagreement", n["disagreements"]),
         ("citation_id", "citation", n["citations"]), account=lambda *_: _text(rng, rng.choice(LANGS)))
    missing = {r.name for r in b.package.resources} - set(b.rows)
    assert not missing, f"the generator makes no rows for {missing}; teach it the new table"


# ---------------------------------------------------------------- faults


def inject_faults(b: Build) -> None:
    """Add at least one fault of every code not in NOT_INJECTED; record what the validator must report."""
    rng, get, put, pick, expect = b.rng, b.value, b.put, b.pick, b.expect

    # files and rows
    b.bom.add("disagreements")
    expect("bom", "disagreements", header=True)
    b.swapped["event_actors"] = ("role", "citation_id")
    expect("header-mismatch", "event_actors", header=True)
    row = pick("actor_roles")
    b.raw[id(row)] = "crlf"
    expect("line-ending", "actor_roles", row)
    row = pick("document_places")
    b.raw[id(row)] = "bad-utf8"
    expect("encoding-error", "document_places", row)
    row = pick("place_names")
    b.raw[id(row)] = "stray-quote"
    expect("csv-syntax", "place_names", row)
    b.empty.add("event_places")
    expect("empty-file", "event_places")
    b.deleted.add("actor_names")
    expect("file-missing", "actor_names")
    actors = b.rows["actors"]
    blank: Row = []
    actors.insert(actors.index(pick("actors")) + 1, blank)
    b.raw[id(blank)] = "blank"
    expect("blank-row", "actors", blank)
    row = pick("events")
    row.append("an extra cell, quoted")
    expect("extra-cell", "events", row)
    row = pick("documents")
    row.pop()
    expect("missing-cell", "documents", row)
    row = pick("disagreement_accounts")
    row.extend([""] * 1000)
    expect("too-many-cells", "disagreement_accounts", row)
    expect("extra-cell", "disagreement_accounts", row)

    # cells
    row = pick("actors")
    put("actors", row, "name", "")
    expect("required", "actors", row)
    row = pick("places")
    put("places", row, "description", " " + _text(rng, "en", 1))
    expect("whitespace", "places", row)
    row = pick("disagreement_accounts")
    put("disagreement_accounts", row, "account", "The English version says,\n\"invisibly present\".")
    expect("control-character", "disagreement_accounts", row)
    row = pick("events", lambda r: bool(get("events", r, "summary")))
    put("events", row, "summary", get("events", row, "summary").replace(" ", "\t", 1))
    expect("control-character", "events", row)
    row = pick("places")
    put("places", row, "description", unicodedata.normalize("NFD", "Źródło podaje, że chodzi o Łódź."))
    expect("not-nfc", "places", row)
    row = pick("places")
    put("places", row, "description", "Kuril" + "\u0301\u0323" * 20)
    expect("combining-run", "places", row)
    row = pick("events")
    put("events", row, "kind", "summit")
    expect("enum", "events", row)
    row = pick("citations")
    put("citations", row, "locator", "page 12")
    expect("pattern", "citations", row)
    row = pick("sources")
    put("sources", row, "sha256", get("sources", row, "sha256").upper())
    expect("pattern", "sources", row)
    row = pick("citations")
    put("citations", row, "evidence", " ".join(["Evidence, " + TEXT["en"][0]] * 25))
    expect("length", "citations", row)
    row = pick("events", lambda r: not get("events", r, "document_id"))
    put("events", row, "date", "1956-02-30")
    expect("edtf", "events", row)
    row = pick("quotations")
    put("quotations", row, "date", "1957-03/1956-10")
    expect("interval-order", "quotations", row)
    row = pick("quotations")
    put("quotations", row, "language", "x-!!")
    expect("language-tag", "quotations", row)
    expect("language-mismatch", "quotations", row)  # nor is it its source's language
    row = pick("disagreements")
    put("disagreements", row, "subject", "=SUM(A1:A3), as a spreadsheet would have it")
    expect("formula-like", "disagreements", row, severity="warning")

    # keys
    places = b.rows["places"]
    row = pick("places")
    dup = list(row)
    places.insert(places.index(row) + 1, dup)
    expect("primary-key", "places", dup)
    links = b.rows["document_actors"]
    row = pick("document_actors")
    dup = list(row)
    links.insert(links.index(row) + 1, dup)
    expect("primary-key", "document_actors", dup)
    row = pick("event_actors")
    put("event_actors", row, "actor_id", _id("actor", 9_999_999))
    expect("foreign-key", "event_actors", row)
    row = pick("quotations", lambda r: bool(get("quotations", r, "speaker_id")))
    put("quotations", row, "speaker_id", "no-such-speaker")
    expect("foreign-key", "quotations", row)

    # domain rules
    row = pick("citations", lambda r: bool(get("citations", r, "event_id")))
    put("citations", row, "actor_id", _id("actor", 0))
    expect("exactly-one-of", "citations", row)
    row = pick("places")
    put("places", row, "part_of", get("places", row, "place_id"))
    expect("cycle", "places", row)
    first = pick("actors", lambda r: r is not actors[-1])
    at = {id(r): i for i, r in enumerate(actors)}  # positions: list.index per row made this quadratic
    second = pick("actors", lambda r: at[id(r)] > at[id(first)])
    put("actors", first, "member_of", get("actors", second, "actor_id"))
    put("actors", second, "member_of", get("actors", first, "actor_id"))
    expect("cycle", "actors", first)  # a loop is reported once, on its first row
    b.used.add(id(second))
    quotes = b.rows["quotations"]
    at = {id(r): i for i, r in enumerate(quotes)}
    row = pick("quotations", lambda r: at[id(r)] % 3 == 1 and at[id(r)] > 3
               and id(quotes[at[id(r)] - 3]) not in b.used)
    put("quotations", row, "translation_of", get("quotations", quotes[at[id(row)] - 3], "quotation_id"))
    expect("translation-language", "quotations", row)  # a pl quotation translating another pl one
    row = pick("document_actors")
    other = next(r for r in b.rows["citations"] if get("citations", r, "place_id"))
    put("document_actors", row, "citation_id", get("citations", other, "citation_id"))
    expect("citation-mismatch", "document_actors", row)
    row = pick("actors", lambda r: bool(r))
    lonely = b.make("actors", actor_id=get("actors", row, "actor_id") + "-uncited", name=ACTOR_NAMES[0]["pl"],
                    kind="person")
    actors.insert(actors.index(row) + 1, lonely)
    expect("uncited", "actors", lonely)
    row = pick("quotations", lambda r: get("quotations", r, "language") == "pl")
    put("quotations", row, "source_id", _id("source", 0))
    expect("language-mismatch", "quotations", row)
    doc_dates = {get("documents", d, "document_id"): get("documents", d, "date") for d in b.rows["documents"]}
    row = pick("events", lambda r: doc_dates.get(get("events", r, "document_id"), "")[:4].isdigit()
               and int(doc_dates[get("events", r, "document_id")][:4]) > 1946)
    put("events", row, "kind", "ratification")
    put("events", row, "date", str(int(doc_dates[get("events", row, "document_id")][:4]) - 1))
    expect("date-order", "events", row)
    row = pick("events", lambda r: len(doc_dates.get(get("events", r, "document_id"), "")) == 10)
    put("events", row, "kind", "signing")  # a signing dated by the year of a document dated to the day
    put("events", row, "date", doc_dates[get("events", row, "document_id")][:4])
    expect("date-vaguer-than-bounds", "events", row)
    row = pick("events")
    eid = get("events", row, "event_id")
    cited = next(c for c in b.rows["citations"] if get("citations", c, "event_id") == eid)
    put("events", row, "date_citation_id", get("citations", cited, "citation_id"))  # its text names no date
    expect("undated-date-citation", "events", row, severity="warning")
    row = pick("quotations", lambda r: bool(get("quotations", r, "document_id")))
    put("quotations", row, "voice", "commentary")
    expect("commentary-with-origin", "quotations", row)
    accounts = b.rows["disagreement_accounts"]
    busy = {r[0] for r in accounts if id(r) in b.used}  # keep the rows other faults are in
    disagreement = pick("disagreements", lambda r: r[0] not in busy)
    did = get("disagreements", disagreement, "disagreement_id")
    keep = next(r for r in accounts if r[0] == did)
    b.rows["disagreement_accounts"] = [r for r in accounts if r[0] != did or r is keep]
    expect("lone-account", "disagreements", disagreement)


# ---------------------------------------------------------------- writing


def _format(rows: list[Row]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def write_table(b: Build, table: str, path: Path) -> dict[int, int]:
    """Write one CSV; return the line each tracked row starts on."""
    names = b.names(table)
    order = list(range(len(names)))
    if table in b.swapped:
        i, j = (names.index(c) for c in b.swapped[table])
        order[i], order[j] = order[j], order[i]
    rows = b.rows[table]
    if order != sorted(order):
        rows = [[r[k] for k in order] + r[len(order):] for r in rows]
        names = [names[k] for k in order]
    lines: dict[int, int] = {}
    chunks: list[bytes] = [b"\xef\xbb\xbf"] if table in b.bom else []
    chunks.append(_format([names]).encode())
    line, start = 2, 0
    originals = b.rows[table]
    for k, row in enumerate(originals):
        key = id(row)
        if key not in b.tracked and key not in b.raw:
            continue
        chunks.append(_format(rows[start:k]).encode())
        line += k - start
        start = k + 1
        lines[key] = line
        how = b.raw.get(key)
        text = "\n" if how == "blank" else _format([rows[k]])
        if how == "crlf":
            text = text[:-1] + "\r\n"
        elif how == "stray-quote":
            text = '"stray "quote" here",' + text
        data = text.encode()
        if how == "bad-utf8":
            data = b"\xff" + data
        chunks.append(data)
        line += text.count("\n")
    chunks.append(_format(rows[start:]).encode())
    path.write_bytes(b"".join(chunks))
    return lines


def generate(dest: str | Path, rows: int, *, faults: bool = False, seed: int = 7) -> dict[str, object]:
    """Write a package of about `rows` data rows into the new folder `dest`; return its manifest."""
    dest = Path(dest)
    dest.mkdir(parents=True)
    shutil.copy(ROOT / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    (dest / "data").mkdir()
    package, problems = read_package(dest)
    if package is None or problems:
        raise RuntimeError(f"the repository's descriptor or schemas do not read: {problems}")
    missing = {r.name for r in package.resources} ^ set(WEIGHTS)
    if missing:
        raise RuntimeError(f"WEIGHTS and the descriptor disagree on tables: {sorted(missing)}")
    b = Build(package, random.Random(seed))
    build_rows(b, counts(rows))
    if faults:
        inject_faults(b)
    line_of: dict[int, int] = {}
    for resource in package.resources:
        path = dest / resource.path
        if resource.name in b.deleted:
            continue
        if resource.name in b.empty:
            path.write_bytes(b"")
            continue
        line_of.update(write_table(b, resource.name, path))
    files = {r.name: r.path for r in package.resources}
    expected = [{"code": e.code, "file": files[e.table],
                 "line": 1 if e.header else None if e.row is None else line_of[id(e.row)], "severity": e.severity}
                for e in b.expected]
    expected.sort(key=lambda e: (e["file"], e["line"] or 0, e["code"]))
    table_rows = {name: sum(1 for r in rows if r) for name, rows in b.rows.items()}
    manifest: dict[str, object] = {
        "rows": sum(table_rows.values()), "requested_rows": rows, "seed": seed, "faults": faults,
        "tables": table_rows, "expected": expected, "not_injected": NOT_INJECTED if faults else {},
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return manifest


def parse_size(text: str) -> int:
    """'10k' -> 10_000, '1M' -> 1_000_000, '2500' -> 2500."""
    t = text.strip().lower().replace("_", "")
    scale = {"k": 1_000, "m": 1_000_000}.get(t[-1:], 1)
    return int(float(t[:-1] if scale > 1 else t) * scale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="new folder to write the package into")
    parser.add_argument("--rows", type=parse_size, default=10_000, help="data rows across all tables (10k, 1M)")
    parser.add_argument("--faults", action="store_true", help="inject faults of every injectable problem code")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.dest.exists():
        parser.error(f"{args.dest} exists; give a new folder")
    manifest = generate(args.dest, args.rows, faults=args.faults, seed=args.seed)
    print(f"{args.dest}: {manifest['rows']} rows, {len(manifest['expected'])} expected problem(s)")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
