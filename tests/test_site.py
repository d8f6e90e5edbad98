"""The static site: a page per record with its evidence, translations and disagreements; indexes;
search over a shared index; no request outside its folder; deterministic; the CLI and the release."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape

from kuril_data.cli import cli
from kuril_data.load import load
from kuril_data.outputs.site import build_site
from kuril_data.outputs.site.build import MANIFEST, fold
from kuril_data.outputs.site.words import date_words
from kuril_data.project import project

from .conftest import INVALID, ROOT, build_package

KINDS = {"events": "event_id", "documents": "document_id", "actors": "actor_id", "places": "place_id",
         "quotations": "quotation_id", "disagreements": "disagreement_id", "sources": "source_id"}
SEARCHES = ["Habomai", "ฮาโบไม", "traktatu pokojowego"]
SITE_URL = project().site_url()


@pytest.fixture(scope="module")
def real_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own package built into a site once."""
    out = tmp_path_factory.mktemp("site") / "site"
    build_site(ROOT, out)
    return out


def esc(text: str) -> str:
    """Text as the templates write it (Jinja2's escaping)."""
    return str(escape(text))


def page(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def search_index(site: Path) -> list[list[str]]:
    text = page(site, "search-index.js")
    assert text.startswith("window.KURIL_SEARCH = ") and text.endswith(";\n")
    return json.loads(text.removeprefix("window.KURIL_SEARCH = ").removesuffix(";\n"))


@pytest.mark.parametrize(("kind", "key"), sorted(KINDS.items()))
def test_a_page_per_record_at_a_stable_url(real_site: Path, kind: str, key: str) -> None:
    """Every record of every kind has its page at <kind>/<id>.html, and the kind's index links to each."""
    ids = set(load(kind, source=ROOT)[key])
    pages = {p.stem for p in (real_site / kind).glob("*.html")} - {"index"}
    assert pages == ids
    index = page(real_site, f"{kind}/index.html")
    for record_id in ids:
        assert f'href="../{kind}/{record_id}.html"' in index


def test_event_page_shows_every_citation_in_full(real_site: Path) -> None:
    """The 1956 Joint Declaration's signing: date and bounds, links, every evidence verbatim, source, locator."""
    event_id = "joint-declaration-signing-1956-10-19"
    text = page(real_site, f"events/{event_id}.html")
    citations = load("citations", source=ROOT)
    sources = load("sources", source=ROOT).set_index("source_id")
    mine = citations[citations["event_id"] == event_id]
    assert len(mine) >= 2
    for c in mine.itertuples():
        lang = sources.loc[c.source_id, "language"]
        assert f'<blockquote lang="{lang}">{esc(c.evidence)}</blockquote>' in text
        assert f'href="../sources/{c.source_id}.html">{esc(sources.loc[c.source_id, "title"])}</a>' in text
        assert f", {c.locator}</figcaption>" in text
    assert "earliest day 1956-10-19, latest day 1956-10-19" in text
    assert 'href="../documents/joint-declaration-1956.html"' in text
    assert 'href="../places/moscow.html"' in text


def test_ratification_disagreement_side_by_side(real_site: Path) -> None:
    """The ratification-date disagreement shows every account with its evidence, on its page and on the
    pages of the records its citations are about."""
    text = page(real_site, "disagreements/joint-declaration-ratification-date.html")
    accounts = load("disagreement_accounts", source=ROOT)
    mine = accounts[accounts["disagreement_id"] == "joint-declaration-ratification-date"]
    citations = load("citations", source=ROOT).set_index("citation_id")
    assert len(mine) >= 2
    assert text.count('class="account"') == len(mine)
    for a in mine.itertuples():
        assert esc(a.account) in text
        assert esc(citations.loc[a.citation_id, "evidence"]) in text
    document = page(real_site, "documents/joint-declaration-1956.html")
    assert 'href="../disagreements/joint-declaration-ratification-date.html"' in document
    listing = page(real_site, "disagreements/index.html")
    assert listing.count('class="account"') == len(accounts)


def test_quotations_side_by_side_in_every_language(real_site: Path) -> None:
    """A quotation's page shows it and its Polish and Thai translations, each marked with its language."""
    quotations = load("quotations", source=ROOT)
    original = quotations[(quotations["language"] == "en") & quotations["quotation_id"].isin(
        quotations["translation_of"].dropna())].iloc[0]
    group = quotations[(quotations["quotation_id"] == original.quotation_id)
                       | (quotations["translation_of"] == original.quotation_id)]
    assert set(group["language"]) >= {"en", "pl", "th"}
    for q in group.itertuples():
        text = page(real_site, f"quotations/{q.quotation_id}.html")
        for other in group.itertuples():
            assert f'<blockquote lang="{other.language}">{esc(other.text)}</blockquote>' in text
    speaker = page(real_site, f"actors/{original.speaker_id}.html")
    assert f'<blockquote lang="th">{esc(group[group["language"] == "th"].iloc[0].text)}</blockquote>' in speaker


@pytest.mark.parametrize("query", SEARCHES)
def test_search_index_finds_every_record_containing_the_query(real_site: Path, query: str) -> None:
    """The shared index holds each record's text normalised: a substring scan (what search.js does) finds
    exactly the records whose own text, names or evidence contain the query — Thai included."""
    entries = search_index(real_site)
    q = fold(query)
    found = {e[0] for e in entries if q in fold(" ".join(e[5:8]))}
    assert found, query
    quotations = load("quotations", source=ROOT)
    with_text = quotations[quotations["text"].map(lambda t: q in fold(t))]
    assert {f"quotations/{i}.html" for i in with_text["quotation_id"]} <= found
    for url in found:
        assert q in fold(html.unescape(page(real_site, url))), url


def test_every_record_page_is_accessible_and_self_contained(real_site: Path) -> None:
    """Landmarks, one h1, lang on the page; JSON-LD that parses; no reference that would leave the folder."""
    requests = re.compile(r'<(?:script|link|img|iframe|source)\b[^>]*?(?:src|href)="([^"]+)"')
    pages = sorted(real_site.rglob("*.html"))
    assert len(pages) > 500
    for path in pages:
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(real_site).as_posix()
        for canonical in re.findall(r'<link rel="canonical" href="([^"]+)">', text):  # absolute, on purpose
            assert canonical == SITE_URL + rel, rel
        text = re.sub(r'<link rel="canonical" href="[^"]+">', "", text)
        assert text.startswith('<!DOCTYPE html>\n<html lang="en">'), rel
        assert text.count("<h1") == 1 and "<main" in text and "<nav" in text and "<header" in text, rel
        for url in requests.findall(text):
            assert "://" not in url and not url.startswith("//"), (rel, url)
            if not url.startswith("#") and "canonical" not in url:
                assert (path.parent / url).resolve().is_file() or url.endswith(".html"), (rel, url)
        if rel.count("/") == 1 and not rel.endswith("index.html"):
            ld = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', text, re.S)
            assert ld, rel
            data = json.loads(ld.group(1))
            assert data["@context"] == "https://schema.org" and data["name"] and data["identifier"] == path.stem
    for css_or_js in (real_site / "assets").rglob("*.[cj]s*"):  # the code and styles, not data (which holds URLs)
        if css_or_js.name != "search-index.js":
            assert "http://" not in css_or_js.read_text(encoding="utf-8")
            assert "https://" not in css_or_js.read_text(encoding="utf-8")


def test_build_is_deterministic_and_atomic(tmp_path: Path, real_site: Path) -> None:
    """Building again gives byte-identical files; a package that does not validate writes nothing."""
    again = tmp_path / "again"
    build_site(ROOT, again)
    files = sorted(p.relative_to(real_site).as_posix() for p in real_site.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again).as_posix() for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (real_site / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_cli_site(tmp_path: Path, valid_package: Path) -> None:
    """`kuril-data site --out DIR PATH` builds the site and says how many pages; a bad package exits 1."""
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["site", "--out", str(out), str(valid_package)])
    assert result.exit_code == 0, result.output
    events = load("events", source=valid_package)
    assert result.output.startswith(f"wrote {out}/ (")
    assert {p.stem for p in (out / "events").glob("*.html")} == {*events["event_id"], "index"}
    bad = tmp_path / "bad"
    bad.mkdir()
    build_package(bad, INVALID / "edtf")
    result = CliRunner().invoke(cli, ["site", "--out", str(tmp_path / "nothing"), str(bad)])
    assert result.exit_code == 1
    assert "[edtf]" in result.output
    assert not (tmp_path / "nothing").exists()


def test_release_includes_the_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The release has site/ with its pages, linked downloads, and its timeline links into it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    from kuril_data.release.build import build_release

    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    shutil.copyfile(ROOT / "CHANGELOG.md", pkg / "CHANGELOG.md")
    (pkg / "CHANGELOG.md").write_text("# Changelog\n\n## [0.1.0]\n\n- First.\n", encoding="utf-8")
    folder = build_release(pkg, tmp_path / "dist")
    downloads = page(folder / "site", "downloads.html")
    for name in ("kuril-data.sqlite", "kuril-data.json", "parquet/events.parquet", "data/events.csv"):
        assert f'href="../{name}"' in downloads
        digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert f"<code>{digest}</code>" in downloads, name
    assert 'href="../../kuril-data-0.1.0.zip"' in downloads
    assert not (folder / "site" / "downloads").exists()  # the release's own files are linked, not copied
    event = load("events", source=pkg)["event_id"].iloc[0]
    assert (folder / "site" / "events" / f"{event}.html").is_file()
    assert f'href="site/events/{event}.html"' in (folder / "timeline.svg").read_text(encoding="utf-8")
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8")
    assert "  site/index.html\n" in sums


def test_rebuild_replaces_the_whole_folder(tmp_path: Path, valid_package: Path) -> None:
    """Building into an existing site folder leaves no page of a record that is gone."""
    out = tmp_path / "www" / "site"
    build_site(valid_package, out)
    stale = out / "events" / "removed-record.html"
    stale.write_text("old", encoding="utf-8")
    # ... as an earlier build of a record since removed would have left it: listed in its manifest.
    manifest = out / MANIFEST
    manifest.write_text(json.dumps([*json.loads(manifest.read_text(encoding="utf-8")), "events/removed-record.html"]),
                        encoding="utf-8")
    build_site(valid_package, out)
    assert not stale.exists() and (out / "index.html").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["site"]  # no staging folder left


def test_only_web_links_of_the_project_reach_the_site() -> None:
    """The site links only to [project.urls] entries that are http(s) URLs, never e.g. javascript:."""
    from kuril_data.project import Project

    urls = {"Homepage": "https://example.org/x", "Bad": "javascript:alert(1)"}
    proj = Project("kuril-data", "1", "", "", (), (), urls)
    assert proj.web_urls() == {"Homepage": "https://example.org/x"}


def test_never_replaces_a_folder_that_is_not_a_site(tmp_path: Path, valid_package: Path) -> None:
    """An existing folder with other files is refused (exit 2) and left as it was; an empty one is used."""
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "thesis.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(cli, ["site", "--out", str(precious), str(valid_package)])
    assert result.exit_code == 2
    assert "is not a site built by kuril-data: refusing to replace it" in result.output
    assert [p.name for p in precious.iterdir()] == ["thesis.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert CliRunner().invoke(cli, ["site", "--out", str(empty), str(valid_package)]).exit_code == 0
    assert (empty / "index.html").is_file()


def jsonld(site: Path, rel: str) -> dict:
    found = re.search(r'<script type="application/ld\+json">\n(.*?)\n</script>', page(site, rel), re.S)
    assert found, rel
    return json.loads(found.group(1))


def test_jsonld_dates_are_honest(real_site: Path) -> None:
    """Events carry schema.org start and end days from the EDTF bounds; an open end gets no made-up date."""
    events = load("events", source=ROOT).set_index("event_id")
    signing = jsonld(real_site, "events/joint-declaration-signing-1956-10-19.html")
    assert (signing["@type"], signing["startDate"], signing["endDate"]) == ("Event", "1956-10-19", "1956-10-19")
    open_ended = events[events["date"].str.endswith("/..", na=False)]
    assert len(open_ended)
    for event_id, row in open_ended.iterrows():
        data = jsonld(real_site, f"events/{event_id}.html")
        assert data["startDate"] == row["date_earliest"].date().isoformat() and "endDate" not in data
    quotation = jsonld(real_site, "quotations/article-author-absurd-situation-th.html")
    assert (quotation["@type"], quotation["inLanguage"]) == ("Quotation", "th")


def test_a_new_table_gets_pages_from_its_schema_alone(tmp_path: Path) -> None:
    """A table the site has never heard of (every field type, a self-reference, an EDTF date) gets an index
    and a page per row showing every field, its date bounds and its links: no code names it."""
    from .test_export import typed_package

    out = tmp_path / "site"
    build_site(typed_package(tmp_path / "pkg"), out)
    child = page(out, "measures/a-child.html")
    assert "<h1>Zażółć gęślą jaźń</h1>" in child
    assert "1956-10?" in child and "(earliest 1956-10-01, latest 1956-10-31)" in child
    assert 'href="../measures/b-parent.html">ราชอาณาจักรไทย</a>' in child
    for value in ("-3", "0.25", "True", "1956-10-19", "1956"):
        assert f"<dd>{value}</dd>" in child, value
    assert 'href="../measures/index.html"' in child
    assert 'href="../measures/a-child.html"' in page(out, "measures/index.html")


KINDS_SAMPLE = {"events": "joint-declaration-signing-1956-10-19", "documents": "joint-declaration-1956",
                "actors": "gromyko", "places": "habomai", "sources": "article-en",
                "disagreements": "joint-declaration-ratification-date",
                "quotations": "article-author-absurd-situation-th"}


@pytest.mark.parametrize(("kind", "record"), sorted(KINDS_SAMPLE.items()))
def test_every_kind_of_page_has_cite_block_and_correction_link(real_site: Path, kind: str, record: str) -> None:
    """Cite this record (dataset, version, id, permanent URL from pyproject's Repository; BibTeX and
    plain text) and a correction link to the issue form, pre-filled with the record, page and version."""
    import urllib.parse

    text = page(real_site, f"{kind}/{record}.html")
    assert SITE_URL == "https://kuril-data.github.io/kuril-data/"  # derived from [project.urls] Repository
    permanent = f"{SITE_URL}{kind}/{record}.html"
    assert f'<link rel="canonical" href="{permanent}">' in text
    assert 'id="cite-h">Cite this record</h2>' in text
    assert f"record <code>{kind}/{record}</code>" in text and "version 0.1.0" in text.lower()
    assert "@misc{kuril-data-0-1-0-" in text and f"url = {{{permanent}}}" in text
    links = re.findall(r'<a class="correction" href="([^"]+)">Propose a correction</a>', text)
    assert len(links) == 1
    url = urllib.parse.urlsplit(html.unescape(links[0]))
    assert f"{url.scheme}://{url.netloc}{url.path}" == project().url("Issues") + "/new"
    query = dict(urllib.parse.parse_qsl(url.query))
    assert query == {"template": "correction.yml", "title": f"Correction: {kind}/{record}",
                     "record": f"{kind}/{record}", "page": permanent, "version": "0.1.0"}
    form = (ROOT / ".github" / "ISSUE_TEMPLATE" / "correction.yml").read_text(encoding="utf-8")
    for field in ("record", "page", "version"):
        assert f"id: {field}\n" in form  # the form's fields the query fills


def test_standalone_downloads_ship_the_csvs_with_their_checksums(real_site: Path) -> None:
    """downloads.html: every table's CSV (a copy in downloads/, identical to data/) with its size and
    SHA-256; Parquet said to be unavailable in a standalone build; linked from home and every index."""
    text = page(real_site, "downloads.html")
    for csv in sorted((ROOT / "data").glob("*.csv")):
        copy = real_site / "downloads" / csv.name
        assert copy.read_bytes() == csv.read_bytes()
        digest = hashlib.sha256(copy.read_bytes()).hexdigest()
        assert re.search(rf'href="downloads/{re.escape(csv.name)}" download>CSV: {re.escape(csv.name)}</a> '
                         rf'<span class="size">{copy.stat().st_size} bytes</span> <span class="sha">SHA-256 '
                         rf"<code>{digest}</code>", text), csv.name
    assert "Parquet: not available in this build" in text
    assert 'href="downloads.html"' in page(real_site, "index.html")
    for index in real_site.glob("*/index.html"):
        assert f'href="../downloads.html#table-{index.parent.name}"' in index.read_text(encoding="utf-8")


def test_dates_in_words_and_human_headings(real_site: Path) -> None:
    """Dates in words beside the EDTF; related records under human headings, in date order."""
    assert date_words("1956-10-19") == "19 October 1956"
    assert date_words("1955-06-03/1956-03-20") == "between 3 June 1955 and 20 March 1956"
    assert date_words("../1951-09") == "before September 1951"
    assert date_words("1956/..") == "from 1956 on"
    text = page(real_site, "events/joint-declaration-signing-1956-10-19.html")
    assert "<dt>When</dt><dd>19 October 1956 " in text and "<code>1956-10-19</code>" in text
    doc = page(real_site, "documents/joint-declaration-1956.html")
    assert "(event)" not in doc and "Event actors" not in doc
    assert 'class="toc"' in doc and ">Events of this document</h2>" in doc
    section = doc.split(">Events of this document</h2>", 1)[1].split("</ul>", 1)[0]
    events = load("events", source=ROOT).set_index("event_id")
    ids = re.findall(r'href="\.\./events/([^"]+)\.html"', section)
    assert len(ids) > 1
    keys = [events.loc[i, "date_earliest"] if events.loc[i, "date_earliest"] == events.loc[i, "date_earliest"]
            else events.loc[i, "date_latest"] for i in ids]
    assert keys == sorted(keys)


def test_home_links_no_bare_download_base(real_site: Path) -> None:
    """The home page lists the project's pages, not the `Download` base URL (a 404 on its own): release
    files are linked by their full address on the downloads page."""
    from kuril_data.project import project

    home = (real_site / "index.html").read_text(encoding="utf-8")
    base = project().urls["Download"]
    assert f'href="{base}"' not in home
    assert f'href="{project().urls["Releases"]}"' in home


def claim(text: str, dt: str) -> str:
    """The <dd> of the short header's `dt` (When, Where, Who)."""
    found = re.search(rf"<dt>{dt}</dt><dd>(.*?)</dd>", text, re.S)
    assert found, dt
    return found.group(1)


def test_the_evidence_beside_each_claim(real_site: Path) -> None:
    """The date, a place and each participant show the citation stating them beside the claim: a link to
    the evidence entry in the short header, source, locator and excerpt folded in the facts (issue 21)."""
    events = load("events", source=ROOT).set_index("event_id")
    citations = load("citations", source=ROOT).set_index("citation_id")
    actors = load("event_actors", source=ROOT)
    for event in ("joint-declaration-signing-1956-10-19", "san-francisco-conference-1951"):
        text = page(real_site, f"events/{event}.html")
        date_cite = events.loc[event, "date_citation_id"]
        assert f'href="#citation-{date_cite}">[evidence: {esc(citations.loc[date_cite, "locator"])}]' in claim(
            text, "When")
        facts = text[text.index('id="facts-h"'):text.index('id="evidence-h"')]
        date_dd = facts[facts.index(">date</dt>"):facts.index("</dd>", facts.index(">date</dt>"))]
        assert esc(citations.loc[date_cite, "evidence"]) in date_dd and 'class="support"' in date_dd
        assert f'id="citation-{date_cite}"' in text  # the full evidence section is still there
        who = claim(text, "Who")
        mine = actors[actors["event_id"] == event]
        assert len(mine)
        named = [a for a in sorted(set(mine["actor_id"])) if f'../actors/{a}.html"' in who]
        assert len(named) == min(8, len(set(mine["actor_id"])))  # the header names at most 8
        for actor in named:  # each once, with the evidence of a row naming it, right after its name
            after = who[who.index(f'../actors/{actor}.html"'):]
            first = re.search(r'class="ev-ref" href="#citation-([^"]+)"', after)
            assert first and first.group(1) in set(mine[mine["actor_id"] == actor]["citation_id"]), actor
        for row in mine.itertuples():
            cite = citations.loc[row.citation_id]
            # the participant's row in "Who took part": actor, role, then the excerpt of its own citation
            entry = re.search(rf'<li><span class="fact"><span class="fact-name">actor:</span> <a href="../actors/'
                              rf'{row.actor_id}.html">[^<]*</a></span> · <span class="fact"><span class="fact-name">'
                              rf'role:</span> {row.role}</span> (.*?)</li>', text, re.S)
            assert entry, (event, row.actor_id)
            assert esc(cite["evidence"][:200]) in entry.group(1) and esc(cite["locator"]) in entry.group(1)


def test_an_inferred_link_says_so_with_its_note(real_site: Path) -> None:
    """A link row with basis `inferred` says "inferred" and its note beside the claim, on both records' pages."""
    rows = load("event_actors", source=ROOT)
    inferred = rows[rows["basis"] == "inferred"]
    assert len(inferred)
    for row in inferred.head(5).itertuples():
        note = esc(row.note)
        for rel in (f"events/{row.event_id}.html", f"actors/{row.actor_id}.html"):
            text = page(real_site, rel)
            assert f'<span class="tag">inferred</span> {note}</span>' in text, rel
        assert f'<span class="tag">inferred</span> {note}' in claim(page(real_site, f"events/{row.event_id}.html"),
                                                                     "Who")
    stated = rows[rows["basis"] == "stated"].iloc[0]
    assert '<span class="tag">inferred</span>' not in claim(page(real_site, f"events/{stated.event_id}.html"), "Who")


def test_a_disagreement_is_named_beside_the_claim_it_concerns(real_site: Path) -> None:
    """A disagreement whose account cites the evidence of a claim is linked at that claim, not only below."""
    events = load("events", source=ROOT).set_index("event_id")
    accounts = load("disagreement_accounts", source=ROOT)
    disputed = dict(zip(accounts["citation_id"], accounts["disagreement_id"], strict=True))
    event = "joint-declaration-ratification-house-of-councilors-1956-12-02"
    disagreement = disputed[events.loc[event, "date_citation_id"]]
    text = page(real_site, f"events/{event}.html")
    link = f'Disputed: <a href="../disagreements/{disagreement}.html">'
    assert link in claim(text, "When")
    facts = text[text.index('id="facts-h"'):text.index('id="evidence-h"')]
    assert link in facts[facts.index(">date</dt>"):facts.index("</dd>", facts.index(">date</dt>"))]
    # an undisputed claim says nothing of the kind
    dated = events["date_citation_id"].dropna()
    quiet = next(e for e, c in dated.items() if c not in disputed)
    assert "Disputed:" not in claim(page(real_site, f"events/{quiet}.html"), "When")
