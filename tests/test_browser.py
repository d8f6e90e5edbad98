"""The built site in a real browser (headless Chromium from Debian, driven by Selenium): follow links from
the home page to a record and read its evidence, search in English, Polish and Thai, the timeline draws one
mark per event and zooms, no request leaves the site's folder, and axe-core finds no serious violation.

Screenshots go to $KURIL_TEST_ARTIFACTS (default tests/artifacts/). Outside CI these tests skip, saying
why, when no browser is installed; with CI set they must run (.ci/run installs chromium and its driver).
"""

from __future__ import annotations

import json
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kuril_data.load import load
from kuril_data.outputs.site import build_site
from kuril_data.outputs.site.build import fold

from .conftest import ROOT, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
ARTIFACTS = Path(os.environ.get("KURIL_TEST_ARTIFACTS") or Path(__file__).parent / "artifacts")
SEARCHES = ["Habomai", "ฮาโบไม", "traktatu pokojowego"]
EVENT = "joint-declaration-signing-1956-10-19"


def browser_or_skip() -> tuple[str, str]:
    if CHROMIUM and CHROMEDRIVER:
        return CHROMIUM, CHROMEDRIVER
    why = "no headless browser: install Debian's chromium and chromium-driver (apt-get install ...)"
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {why}")
    pytest.skip(why)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    build_site(ROOT, out)
    return out


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium, chromedriver = browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    browser.set_page_load_timeout(60)
    browser.set_script_timeout(60)
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[str]:
    """The site served over HTTP on 127.0.0.1 (a static host), as its base URL."""
    with serve(site) as url:
        yield url + "/"


def screenshot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    assert driver.save_screenshot(str(path)), path
    return path


def requested(driver: Any) -> list[str]:
    """Every URL the browser asked for since the last call (from Chrome's performance log)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


def expected_hits(site: Path, query: str) -> set[str]:
    """The records whose indexed text contains the query (what the search page must list)."""
    text = (site / "search-index.js").read_text(encoding="utf-8")
    entries = json.loads(text.removeprefix("window.KURIL_SEARCH = ").removesuffix(";\n"))
    q = fold(query)
    return {e[0] for e in entries if q in fold(" ".join(e[5:8]))}


def test_from_home_to_a_record_and_its_evidence(driver: Any, site: Path) -> None:
    """From index.html (file://): Events → the signing of the 1956 Joint Declaration → its evidence, both sources."""
    from selenium.webdriver.common.by import By

    driver.get((site / "index.html").as_uri())
    screenshot(driver, "home")
    driver.find_element(By.CSS_SELECTOR, "main a[href='events/index.html']").click()
    driver.find_element(By.CSS_SELECTOR, f"a[href='../events/{EVENT}.html']").click()
    assert driver.current_url.endswith(f"/events/{EVENT}.html")
    citations = load("citations", source=ROOT)
    mine = citations[citations["event_id"] == EVENT]
    shown = [q.text for q in driver.find_elements(By.CSS_SELECTOR, "figure.evidence blockquote")]
    for evidence in mine["evidence"]:
        assert evidence in shown
    assert {"article-en", "compendium-v"} <= set(mine["source_id"])
    screenshot(driver, "record")
    driver.find_element(By.CSS_SELECTOR, "a[href='../documents/joint-declaration-1956.html']").click()
    driver.find_element(By.CSS_SELECTOR, "a[href='../disagreements/joint-declaration-ratification-date.html']").click()
    assert len(driver.find_elements(By.CSS_SELECTOR, ".side-by-side .account")) >= 2


@pytest.mark.parametrize("query", SEARCHES)
def test_search_finds_the_records(driver: Any, site: Path, server: str, query: str) -> None:
    """search.html?q=… lists exactly the records containing the query, from file:// and over HTTP."""
    from selenium.webdriver.common.by import By

    expected = expected_hits(site, query)
    assert expected
    for base in (site.as_uri() + "/", server):
        driver.get(base + "search.html?q=" + urllib.parse.quote(query))
        links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#search-results li > a")]
        assert {link.removeprefix(base) for link in links} == expected, base
        status = driver.find_element(By.ID, "search-status").text
        assert status.startswith(f"{len(expected)} record")
    if query == "ฮาโบไม":
        screenshot(driver, "search-thai")


def test_search_form_makes_a_bookmarkable_url(driver: Any, site: Path) -> None:
    """Typing into the header's search box and submitting opens search.html?q=… with the results."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get((site / "events" / "index.html").as_uri())
    box = driver.find_element(By.ID, "quick-q")
    box.send_keys("traktatu pokojowego")
    driver.find_element(By.CSS_SELECTOR, ".quick-search button").click()
    WebDriverWait(driver, 20).until(lambda d: "search.html?q=" in d.current_url)
    assert driver.current_url.endswith("/search.html?q=traktatu+pokojowego")
    assert driver.find_elements(By.CSS_SELECTOR, "#search-results li")


def test_index_filters_and_sorts(driver: Any, site: Path) -> None:
    """The events index filters by year and kind and sorts by date."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    events = load("events", source=ROOT)
    driver.get((site / "events" / "index.html").as_uri())
    driver.find_element(By.CSS_SELECTOR, "[data-filter-year]").send_keys("1956")
    visible = [r for r in driver.find_elements(By.CSS_SELECTOR, "#records tbody tr") if r.is_displayed()]
    # an open end is unbounded on its side; an undated event is never in a year
    dated = events["date_earliest"].notna() | events["date_latest"].notna()
    in_1956 = events[dated & (events["date_earliest"].isna() | (events["date_earliest"].dt.year <= 1956))
                     & (events["date_latest"].isna() | (events["date_latest"].dt.year >= 1956))]
    assert len(visible) == len(in_1956)
    Select(driver.find_element(By.CSS_SELECTOR, "[data-filter='kind']")).select_by_value("signing")
    visible = [r for r in driver.find_elements(By.CSS_SELECTOR, "#records tbody tr") if r.is_displayed()]
    assert len(visible) == len(in_1956[in_1956["kind"] == "signing"]) > 0
    def dates() -> list[str]:
        cells = [r.find_elements(By.TAG_NAME, "td")[1].get_attribute("data-value")
                 for r in driver.find_elements(By.CSS_SELECTOR, "#records tbody tr")]
        return [d for d in cells if d]

    assert dates() == sorted(dates())  # listed by date to begin with
    driver.find_element(By.CSS_SELECTOR, "button[data-sort='date']").click()
    assert dates() == sorted(dates(), reverse=True)
    driver.find_element(By.CSS_SELECTOR, "button[data-sort='date']").click()
    assert dates() == sorted(dates())


def test_timeline_draws_one_mark_per_event(driver: Any, site: Path) -> None:
    """timeline.html: one linked mark per event, zoom by key, marks reachable by keyboard."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    events = load("events", source=ROOT)
    driver.get((site / "timeline.html").as_uri())
    marks = driver.find_elements(By.CSS_SELECTOR, "#timeline svg a.mark")
    assert sorted(m.get_attribute("data-event") for m in marks) == sorted(events["event_id"])
    assert all(m.get_dom_attribute("href") == f"events/{m.get_dom_attribute('data-event')}.html" for m in marks)
    svg = driver.find_element(By.CSS_SELECTOR, "#timeline svg")
    width = float(svg.get_attribute("width"))
    driver.find_element(By.TAG_NAME, "body").send_keys("+")
    assert float(svg.get_attribute("width")) > width
    screenshot(driver, "timeline")
    driver.find_element(By.CSS_SELECTOR, "[data-zoom='reset']").click()
    marks[0].send_keys(Keys.ENTER)
    assert "/events/" in driver.current_url


def test_no_request_leaves_the_site(driver: Any, site: Path, server: str) -> None:
    """Over HTTP and from file://, every request of the main pages stays inside the site's folder."""
    pages = ["index.html", f"events/{EVENT}.html", "events/index.html", "timeline.html",
             "search.html?q=Habomai", "quotations/index.html", "disagreements/index.html"]
    requested(driver)  # drop what earlier tests asked for
    for base in (server, site.as_uri() + "/"):
        for rel in pages:
            driver.get(base + rel)
        urls = requested(driver)
        assert len(urls) >= len(pages)
        outside = [u for u in urls if not u.startswith(base)]
        assert not outside, outside


@pytest.mark.parametrize("rel", ["index.html", f"events/{EVENT}.html", "quotations/index.html",
                                 "disagreements/joint-declaration-ratification-date.html", "timeline.html",
                                 "search.html?q=%E0%B8%AE%E0%B8%B2%E0%B9%82%E0%B8%9A%E0%B9%84%E0%B8%A1",
                                 "quotations/article-author-absurd-situation-th.html",
                                 "downloads.html", "documents/joint-declaration-1956.html",
                                 "events/index.html?kind=signing&sort=date-desc"])
def test_axe_finds_no_serious_violation(driver: Any, server: str, rel: str) -> None:
    """axe-core (shipped with axe-selenium-python, injected from its file) reports no serious or critical violation."""
    from axe_selenium_python import Axe

    driver.get(server + rel)
    axe = Axe(driver)
    axe.inject()
    results = axe.run()
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in results["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious
    assert results["passes"]


@pytest.mark.parametrize("query", ["Habomai", "ฮาโบไม", "Wysp Habomai", "habomai islands", "HABOMAI"])
def test_search_ranks_the_record_named_first(driver: Any, site: Path, query: str) -> None:
    """The place a query names comes first (English, Thai, Polish spellings from place_names.csv, any
    case); names and titles rank above summaries, summaries above evidence; snippets keep the case."""
    from selenium.webdriver.common.by import By

    driver.get(site.as_uri() + "/search.html?q=" + urllib.parse.quote(query))
    results = driver.find_elements(By.CSS_SELECTOR, "#search-results li")
    assert results
    first = results[0].find_element(By.CSS_SELECTOR, "a").get_attribute("href")
    assert first.endswith("/places/habomai.html"), first
    tiers = [r.find_element(By.CSS_SELECTOR, ".meta").text.rsplit(" · ", 1)[1] for r in results]
    order = ["name or title", "summary", "evidence"]
    assert [order.index(t) for t in tiers] == sorted(order.index(t) for t in tiers)
    marks = [m.text for m in driver.find_elements(By.CSS_SELECTOR, "#search-results mark")]
    assert marks and all(fold(m) in (fold(query), *fold(query).split()) for m in marks)
    if query == "Habomai":
        assert "Habomai" in marks  # the original case, not the folded one


def test_search_kind_filter_is_in_the_url(driver: Any, site: Path) -> None:
    """?kind= narrows to one kind of record and restores the select; diacritics are folded (Polish)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(site.as_uri() + "/search.html?q=" + urllib.parse.quote("traktatu pokojowego") + "&kind=quotations")
    links = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#search-results li > a")]
    assert links and all("/quotations/" in link for link in links)
    assert Select(driver.find_element(By.ID, "kind")).first_selected_option.get_attribute("value") == "quotations"
    driver.get(site.as_uri() + "/search.html?q=" + urllib.parse.quote("wysp"))
    plain = len(driver.find_elements(By.CSS_SELECTOR, "#search-results li"))
    assert plain and plain == len(expected_hits(site, "wysp"))


def test_index_filters_and_sort_restore_from_the_url(driver: Any, site: Path) -> None:
    """Filters and sort go into the address; opening that address restores them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get((site / "events" / "index.html").as_uri())
    Select(driver.find_element(By.CSS_SELECTOR, "[data-filter='kind']")).select_by_value("signing")
    driver.find_element(By.CSS_SELECTOR, "button[data-sort='date']").click()
    url = driver.current_url
    assert "kind=signing" in url and "sort=date-desc" in url
    shown = [r.get_attribute("innerHTML") for r in driver.find_elements(By.CSS_SELECTOR, "#records tbody tr")
             if r.is_displayed()]
    driver.get("about:blank")
    driver.get(url)
    assert Select(driver.find_element(By.CSS_SELECTOR, "[data-filter='kind']")).first_selected_option.get_attribute(
        "value") == "signing"
    again = [r.get_attribute("innerHTML") for r in driver.find_elements(By.CSS_SELECTOR, "#records tbody tr")
             if r.is_displayed()]
    assert again == shown and len(shown) > 1


PHONE_PAGES = ["index.html", "events/index.html", "documents/index.html", "quotations/index.html",
               "actors/index.html", "places/index.html", "disagreements/index.html", "sources/index.html",
               "timeline.html", "search.html?q=Habomai", "downloads.html",
               *(f"{k}/{v}.html" for k, v in {
                   "events": EVENT, "documents": "joint-declaration-1956", "actors": "gromyko", "places": "habomai",
                   "sources": "article-en", "disagreements": "joint-declaration-ratification-date",
                   "quotations": "article-author-absurd-situation-th"}.items())]


def test_no_sideways_scrolling_on_a_phone(driver: Any, site: Path) -> None:
    """At 390 px wide, no page of any kind scrolls sideways, and no visible text is below 12 px."""
    from selenium.webdriver.common.by import By

    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    try:
        for rel in PHONE_PAGES:
            driver.get(site.as_uri() + "/" + rel)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, (rel, width)
            small = driver.execute_script(
                "return Array.from(document.querySelectorAll('body *')).filter(e => e.getClientRects().length && "
                "e.childNodes.length && Array.from(e.childNodes).some(n => n.nodeType === 3 && n.textContent.trim()) "
                "&& parseFloat(getComputedStyle(e).fontSize) < 12)"
                ".map(e => e.tagName + ':' + e.textContent.slice(0, 30))")
            assert not small, (rel, small[:5])
        driver.get(site.as_uri() + "/timeline.html")
        assert driver.find_element(By.CSS_SELECTOR, ".timeline-list").is_displayed()
        screenshot(driver, "phone-timeline")
        driver.get(site.as_uri() + "/events/index.html")
        screenshot(driver, "phone-events")
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_the_evidence_beside_a_claim_opens_in_place(driver: Any, site: Path) -> None:
    """The date's evidence is folded beside it; opened, it shows the excerpt the citation states."""
    from selenium.webdriver.common.by import By

    events = load("events", source=ROOT).set_index("event_id")
    citation = load("citations", source=ROOT).set_index("citation_id").loc[events.loc[EVENT, "date_citation_id"]]
    driver.get((site / "events" / f"{EVENT}.html").as_uri())
    folded = driver.find_element(By.CSS_SELECTOR, ".facts details.support")
    quote = folded.find_element(By.CSS_SELECTOR, "blockquote")
    assert not quote.is_displayed()
    folded.find_element(By.CSS_SELECTOR, "summary").click()
    assert quote.is_displayed() and quote.text == citation["evidence"]
    screenshot(driver, "evidence-beside-claim")
