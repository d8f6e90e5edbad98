"""Work budgets of the site (issue 23): its size is linear in the package's. A package blown up in
one place (hundreds of translations of one quotation, a huge source title, a huge package title or
field description, many tables) gives a site that grows by at most a constant times the input it
added. Bytes are deterministic; times are measured in benchmarks/sitebudget.py, never here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kuril_data.outputs.site import build_site
from kuril_data.outputs.site.build import GROUP_SHOWN, LABEL_MAX, NAV_KINDS

from .amplify import copy_real, input_bytes, long_title, many_accounts, many_tables, many_translations

# Allowed growth of the site over the real package's: FACTOR bytes per added input byte plus one
# record page (PAGE bytes: its header, menu, cite block) per added record. The real site is ~13x its
# package. Before the fixes, 300 translations added ~40 MB and a 150 KB title ~290 MB.
FACTOR = 40
PAGE = 16_000


def site_bytes(pkg: Path, out: Path) -> int:
    result = build_site(pkg, out)
    assert isinstance(result.pages, int)  # the CLI prints it as a count
    return sum(p.stat().st_size for p in out.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, int]:
    tmp = tmp_path_factory.mktemp("base")
    pkg = copy_real(tmp / "pkg")
    return input_bytes(pkg), site_bytes(pkg, tmp / "site")


def assert_linear(baseline: tuple[int, int], pkg: Path, out: Path, records: int = 0) -> int:
    base_in, base_out = baseline
    added_in = input_bytes(pkg) - base_in
    added_out = site_bytes(pkg, out) - base_out
    assert added_in > 0
    assert added_out <= FACTOR * added_in + PAGE * records, (added_out, added_in, records)
    return added_out


def test_many_translations_of_one_quotation(tmp_path: Path, baseline: tuple[int, int]) -> None:
    """300 translations: before the fix each member's page repeated the whole group (quadratic)."""
    pkg = many_translations(tmp_path / "pkg", 300)
    assert_linear(baseline, pkg, tmp_path / "site", records=300)
    site = tmp_path / "site" / "quotations"
    member = next(site.glob("*-t00150.html")).read_text(encoding="utf-8")
    assert member.count('class="translation"') <= GROUP_SHOWN
    assert "more: every translation side by side on the page of" in member
    # the original shows the whole group once: itself, its Polish and Thai translations and the 300
    root = (site / "article-author-absurd-situation-en.html").read_text(encoding="utf-8")
    assert root.count('class="translation"') == 303


def test_a_huge_source_title(tmp_path: Path, baseline: tuple[int, int]) -> None:
    """A 150 KB title: shown whole on its own page, shortened wherever it is linked."""
    pkg = long_title(tmp_path / "pkg", 150_000)
    assert_linear(baseline, pkg, tmp_path / "site")
    words = "Why there is no peace treaty with Japan " * 20  # 800 characters of the title
    own = (tmp_path / "site" / "sources" / "article-en.html").read_text(encoding="utf-8")
    assert f"<h1>{words}" in own
    for rel in ("sources/index.html", "sources/article-pl.html", "events/joint-declaration-signing-1956-10-19.html"):
        elsewhere = (tmp_path / "site" / rel).read_text(encoding="utf-8")
        assert words[:LABEL_MAX - 10] in elsewhere and words not in elsewhere, rel


def test_huge_package_text_is_not_repeated_on_every_page(tmp_path: Path, baseline: tuple[int, int]) -> None:
    """Descriptor title, description, licence, contributors and a field description of 50 KB each."""
    pkg = copy_real(tmp_path / "pkg")
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    big = "Kuril " * 10_000
    desc["title"] = big
    desc["description"] = big
    desc["contributors"] = [{"title": big, "role": "author"}]
    desc["licenses"][0]["name"] = big
    (pkg / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    schema_path = pkg / "schemas" / "events.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    schema["fields"][1]["description"] = big
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    assert_linear(baseline, pkg, tmp_path / "site")


def test_a_disagreement_with_hundreds_of_accounts(tmp_path: Path, baseline: tuple[int, int]) -> None:
    """300 accounts citing 300 records: each record page shows a few of them and links to the rest."""
    pkg = many_accounts(tmp_path / "pkg", 300)
    assert_linear(baseline, pkg, tmp_path / "site")
    site = tmp_path / "site"
    disagreement = sorted((site / "disagreements").glob("*.html"))[0]
    assert disagreement.read_text(encoding="utf-8").count('class="account"') >= 300
    pages = [p.read_text(encoding="utf-8") for p in (site / "actors").glob("*.html") if p.name != "index.html"]
    capped = [p for p in pages if "more accounts on the page of" in p]
    assert len(capped) > 50
    for p in capped:  # the accounts citing this record's own evidence, and a few others
        assert p.count("Account of ") <= GROUP_SHOWN + p.count('id="citation-')


def test_many_tables_do_not_repeat_the_menu_on_every_page(tmp_path: Path, baseline: tuple[int, int]) -> None:
    """180 one-row tables (the descriptor allows 200): the menu on every page lists a bounded number."""
    pkg = many_tables(tmp_path / "pkg", 180)
    assert_linear(baseline, pkg, tmp_path / "site", records=180 * 2)  # a record page and an index each
    page = (tmp_path / "site" / "extra0100" / "x.html").read_text(encoding="utf-8")
    assert page.count("/index.html\">Extra") <= NAV_KINDS
    assert "All 187 tables" in page
