"""The repository's own package: valid against its schemas and sources, and covering the seeds."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from kuril_data import validate

from .conftest import ROOT, seeds_or_skip


def _rows(table: str) -> list[dict[str, str]]:
    with (ROOT / "data" / f"{table}.csv").open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_package_validates_clean_against_the_seeds() -> None:
    """Every quotation, evidence excerpt and name is verbatim in the seeds; no problem at all."""
    report = validate(ROOT, sources=seeds_or_skip())
    assert report.problems == (), report.to_text()


def test_package_validates_clean_without_sources() -> None:
    """A user's clone (no seeds next to it) validates clean too."""
    report = validate(ROOT)
    assert report.problems == (), report.to_text()


def test_frictionless_validates_the_package() -> None:
    """The reference implementation accepts datapackage.json and every table."""
    from frictionless import Package

    report = Package(str(ROOT / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:20]


def test_source_checksums_match_the_seed_files() -> None:
    """The sources table records the SHA-256 of each seed file."""
    import hashlib

    seeds = seeds_or_skip()
    for row in _rows("sources"):
        assert hashlib.sha256((seeds / row["path"]).read_bytes()).hexdigest() == row["sha256"]


def test_coverage_counts() -> None:
    """The dataset covers the seeds in depth: events, documents, quotations in three languages."""
    assert len(_rows("events")) > 50
    assert len(_rows("documents")) > 35
    languages = Counter(r["language"] for r in _rows("quotations"))
    assert languages["en"] > 45
    assert languages["pl"] >= 0.75 * languages["en"] and languages["th"] >= 0.75 * languages["en"]
    assert {r["source_id"] for r in _rows("sources")} == {"article-en", "article-pl", "article-th", "compendium-v"}


def test_every_polish_and_thai_quotation_translates_an_english_one() -> None:
    """Translations link to an English quotation of the same passage."""
    quotes = {r["quotation_id"]: r for r in _rows("quotations")}
    for q in quotes.values():
        if q["language"] in ("pl", "th"):
            assert quotes[q["translation_of"]]["language"] == "en", q["quotation_id"]


@pytest.mark.parametrize(("event_id", "date"), [
    ("joint-declaration-signing-1956-10-19", "1956-10-19"),
    ("london-talks-opening-1955-06-03", "1955-06-03"),
    ("soviet-memorandum-dispatch-1960-01-27", "1960-01-27"),
    ("hatoyama-letter-dispatch-1956-09-11", "1956-09-11"),
    ("putin-statement-2005-09-27", "2005-09-27"),
    ("peace-treaty-negotiations-1973", "1973"),
])
def test_key_dates_present(event_id: str, date: str) -> None:
    """Key events carry the date exactly as precise as the sources give it."""
    events = {r["event_id"]: r for r in _rows("events")}
    assert events[event_id]["date"] == date


def test_ratification_date_disagreement_keeps_every_account() -> None:
    """The compendium's December 7 and the article's December 8 are both kept, each cited."""
    accounts = [r for r in _rows("disagreement_accounts")
                if r["disagreement_id"] == "joint-declaration-ratification-date"]
    citations = {r["citation_id"]: r for r in _rows("citations")}
    sources = {citations[a["citation_id"]]["source_id"] for a in accounts}
    assert {"compendium-v", "article-en"} <= sources


def test_places_part_of_kurils() -> None:
    """The southern islands are recorded with their part-of links as the sources state them."""
    places = {r["place_id"]: r for r in _rows("places")}
    for island in ("habomai", "shikotan", "kunashir", "iturup"):
        assert island in places


def test_article_judgements_are_attributed_quotations() -> None:
    """The article's own judgements are stored as quotations of its (unnamed) author."""
    author = [r for r in _rows("quotations") if r["speaker_id"] == "article-author" and r["language"] == "en"]
    assert len(author) >= 10
    assert any("blackmail" in r["text"] or "arrogantly" in r["text"] for r in _rows("quotations"))


def test_csvs_are_canonical() -> None:
    """Every data file is already in canonical form (kuril-data fmt --check passes)."""
    from kuril_data.fmt import format_package

    result = format_package(ROOT, check=True)
    assert not result.changed and not result.refused and not result.problems


def test_data_model_names_every_table() -> None:
    """The data model (docs/data.md) lists every table of the package."""
    doc = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    for path in sorted((ROOT / "schemas").glob("*.json")):
        assert f"`{Path(path).stem}`" in doc, path.stem


def test_readme_counts_match_the_data() -> None:
    """The coverage table in the README states the real row counts."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = dict(re.findall(r"^\| `([a-z_]+)` \| (\d+) \|$", readme, flags=re.M))
    assert stated, "no coverage table in README"
    for table, count in stated.items():
        assert int(count) == len(_rows(table)), table


def test_every_disagreement_is_described() -> None:
    """Every disagreement has a data note in docs/data.md, and no note is stale."""
    import re

    doc = (ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    start = doc.index("## Where the sources disagree")
    section = doc[start:doc.index("\n## ", start + 1)]
    listed = set(re.findall(r"^- `([a-z0-9-]+)`:", section, flags=re.M))
    assert listed == {r["disagreement_id"] for r in _rows("disagreements")}


def test_every_article_quotation_has_polish_and_thai_counterparts() -> None:
    """Each passage quoted from the English article is also stored as found in Polish and Thai."""
    quotes = _rows("quotations")
    translated = {(q["translation_of"], q["language"]) for q in quotes if q["translation_of"]}
    missing = [q["quotation_id"] for q in quotes if q["source_id"] == "article-en"
               and not {(q["quotation_id"], "pl"), (q["quotation_id"], "th")} <= translated]
    assert missing == []


def test_the_text_of_a_document_and_what_the_article_says_about_it_are_different_queries() -> None:
    """Quotations FROM the Joint Declaration are its official text; the article's reading of it
    is commentary ABOUT it, never filed under document_id (issue: article-author-obvious-condition)."""
    quotes = _rows("quotations")
    text = {q["quotation_id"] for q in quotes if q["document_id"] == "joint-declaration-1956"}
    about = {q["quotation_id"] for q in quotes if q["about_document_id"] == "joint-declaration-1956"}
    assert "joint-declaration-para9-continue-negotiations-en" in text
    assert {"article-author-obvious-condition-en", "article-author-obvious-condition-pl",
            "article-author-obvious-condition-th"} <= about
    assert not text & about
    assert {q["voice"] for q in quotes if q["quotation_id"] in text} == {"official-text"}
    assert all(q["voice"] == "commentary" and not q["document_id"]
               for q in quotes if q["speaker_id"] == "article-author")


def test_including_the_territorial_issue_is_a_recorded_disagreement() -> None:
    """The compendium's letters (lines 8, 22) and the article's deletion of the words (lines 167, 169)
    are accounts of one disagreement, each with its own citation."""
    citations = {r["citation_id"]: r for r in _rows("citations")}
    accounts = [citations[a["citation_id"]] for a in _rows("disagreement_accounts")
                if a["disagreement_id"] == "joint-declaration-territorial-issue"]
    where = {(c["source_id"], c["locator"]) for c in accounts}
    assert {("compendium-v", "line 8"), ("compendium-v", "line 22"),
            ("article-en", "line 167"), ("article-en", "line 169")} <= where
    assert all("territorial issue" in c["evidence"] for c in accounts if c["locator"] != "line 32")


@pytest.mark.parametrize(("event_id", "date"), [
    ("gromyko-letter-dispatch-1956", "1956-09-29/1956"),
    ("moscow-negotiations-round-1956", "1956-05-14/1956-08-12"),
    ("moscow-normalization-negotiations-1956", "1956-09-29/1956-10-19"),
    ("us-japan-security-treaty-signing-1960", "1960-01/1960-01-27"),
    ("san-francisco-conference-1951", "1951-09"),
    ("treaty-of-portsmouth-signing-1905-09-05", "1905-09-05"),
])
def test_dates_carry_the_bounds_the_notes_give(event_id: str, date: str) -> None:
    """Dates bounded by the sources are intervals carrying those bounds, not bare years."""
    assert {r["event_id"]: r["date"] for r in _rows("events")}[event_id] == date


def test_date_basis_tells_stated_from_bounded_inferred_and_scheduled() -> None:
    """The basis is a field: the 1974 talks are scheduled, the San Francisco signing bounded by the vote
    of September 8, the security treaty signed "on the day of" it inferred, and every
    stated date names a citation whose excerpt holds a date."""
    from kuril_data.model.dates import has_date_expression

    events = {r["event_id"]: r for r in _rows("events")}
    citations = {r["citation_id"]: r for r in _rows("citations")}
    assert events["peace-treaty-negotiations-1974"]["date_basis"] == "scheduled"
    assert events["san-francisco-peace-treaty-signing-1951-09"]["date_basis"] == "bounded"
    assert events["san-francisco-peace-treaty-signing-1951-09"]["date"] == "1951-09-08/1951-09"
    assert events["us-japan-security-treaty-signing-1951-09"]["date_basis"] == "inferred"
    assert events["moscow-negotiations-round-1956"]["date_basis"] == "bounded"
    for e in events.values():
        if e["date_basis"] in ("stated", "year-from-context", "scheduled"):
            cited = citations[e["date_citation_id"]]
            assert cited["event_id"] == e["event_id"] and has_date_expression(cited["evidence"]), e["event_id"]
        if e["date_basis"] == "bounded":
            assert "/" in e["date"], e["event_id"]


def test_one_happening_one_record() -> None:
    """The December 12, 1956 exchange is one record cited by both sources; the Khrushchev-Kono talks
    are a part of the Moscow negotiations, linked by part_of."""
    events = {r["event_id"]: r for r in _rows("events")}
    assert "joint-declaration-entry-into-force-1956-12-12" not in events
    sources = {c["source_id"] for c in _rows("citations")
               if c["event_id"] == "joint-declaration-exchange-of-ratifications-1956-12-12"}
    assert {"compendium-v", "article-en"} <= sources
    assert events["khrushchev-kono-negotiations-1956"]["part_of"] == "moscow-normalization-negotiations-1956"
    assert events["khrushchev-kono-conversation-1956-10-18"]["part_of"] == "khrushchev-kono-negotiations-1956"


def test_contested_groupings_are_attributed_to_their_source() -> None:
    """Habomai and Shikotan are in the South Kuril Islands as the article groups them, cited."""
    places = {r["place_id"]: r for r in _rows("places")}
    citations = {r["citation_id"]: r for r in _rows("citations")}
    for island in ("habomai", "shikotan", "kunashir", "iturup"):
        cited = citations[places[island]["part_of_citation_id"]]
        assert places[island]["part_of"] == "south-kuril-islands"
        assert (cited["source_id"], cited["locator"]) == ("article-en", "line 95")
    assert all(p["part_of_citation_id"] for p in places.values() if p["part_of"])
