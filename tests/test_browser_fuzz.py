"""Fuzzing the readers' browsers (issue 23): generated hostile field names, titles and ids, each
accepted by `kuril_data.validate` (the schemas' id patterns dropped, as a package's own schemas may),
built into a site and loaded in headless Chromium. Every payload tries to run script that sets
`window.kurilPwned`; the marker must stay unset on every kind of page: the hostile record's page, its
table's index, the search page with a query that finds it, downloads, the timeline and the home page.

Chromium and Selenium as in tests/test_browser.py; a short budget by default (CI), more with
`KURIL_DATA_FUZZ=N` (examples).
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from kuril_data.outputs.site import build_site
from kuril_data.outputs.site.build import Site
from kuril_data.validate import check

from .amplify import copy_real, read_rows, write_rows
from .conftest import serve
from .test_browser import driver  # noqa: F401 (the module's Chromium, reused)

EXAMPLES = max(1, int(os.environ.get("KURIL_DATA_FUZZ", "3")))
BROWSER_FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=120), derandomize=not os.environ.get(
    "KURIL_DATA_FUZZ"), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                               HealthCheck.filter_too_much])
MARK = "window.kurilPwned=1"
# Shapes of script injection: closing the context the text lands in (element, attribute, script,
# comment, title), event handlers that fire without a click, and links of other schemes.
PAYLOADS = [
    f"<script>{MARK}</script>", f"\"><img src=x onerror=\"{MARK}\">", f"'><svg onload={MARK}>",
    f"</script><script>{MARK}</script>", f"</title><script>{MARK}</script>", f"<!--<script>{MARK}//-->",
    f"javascript:{MARK}", f"a onfocus={MARK} autofocus b", f"x\" autofocus onfocus=\"{MARK}",
    f"<details open ontoggle={MARK}>", "<iframe srcdoc=\"<script>parent.kurilPwned=1</script>\">",
    f"<a href=javascript:{MARK}>x</a>", f"]]><svg><script>{MARK}</script>", f"\\u003cscript\\u003e{MARK}",
    f"<style onload={MARK}></style>", f"<input autofocus onfocus={MARK}>", f"<body onload={MARK}>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={MARK}>", f"<img src=x onerror={MARK}>",
    f"<svg onload={MARK}>", f"x tabindex=0 autofocus onfocus={MARK} y",
]
NOISE = "abc XYZ<>\"'&/=;:`()[]{}#?%-_.,!łą"


def _hostile(payloads: list[str], noise: str) -> st.SearchStrategy[str]:
    around = st.text(alphabet=noise, max_size=12)
    return st.builds(lambda a, p, b: (a + p + b).strip(), around, st.sampled_from(payloads), around)


hostile = _hostile(PAYLOADS, NOISE)
# An id is one path segment: validate refuses '/', '\\' and ':' in it (page names), so ids get the rest.
hostile_id = _hostile([p for p in PAYLOADS if not set("/\\:") & set(p)], NOISE.replace("/", "").replace(":", ""))
EVENT = "joint-declaration-signing-1956-10-19"


def hostile_package(dest: Path, field_name: str, title: str, record_id: str) -> Path:
    """The real package with: an enum field named `field_name` on events (the index's filters and
    row attributes), and a new event with id `record_id` and title `title`, cited like an existing one."""
    pkg = copy_real(dest)
    schema_path = pkg / "schemas" / "events.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    for f in schema["fields"]:
        if f["name"] == "event_id":
            f["constraints"].pop("pattern", None)
    schema["fields"].append({"name": field_name, "type": "string", "constraints": {"enum": ["a", title[:40]]}})
    schema_path.write_text(json.dumps(schema), encoding="utf-8")
    citations_path = pkg / "schemas" / "citations.json"
    cschema = json.loads(citations_path.read_text(encoding="utf-8"))
    for f in cschema["fields"]:
        if f["name"] == "event_id":
            f["constraints"].pop("pattern", None)
    citations_path.write_text(json.dumps(cschema), encoding="utf-8")
    header, rows = read_rows(pkg / "data" / "events.csv")
    header.append(field_name)
    model = next(r for r in rows if r["event_id"] == EVENT)
    new = {**model, "event_id": record_id, "title": title, "summary": title, "date_citation_id": "fuzz-citation"}
    rows.append(new)
    for i, r in enumerate(rows):
        r[field_name] = "a" if i % 2 else title[:40]
    write_rows(pkg / "data" / "events.csv", header, rows)
    cheader, crows = read_rows(pkg / "data" / "citations.csv")
    cited = next(c for c in crows if c["citation_id"] == model["date_citation_id"])  # it states the date
    crows.append({**cited, "citation_id": "fuzz-citation", "event_id": record_id})
    write_rows(pkg / "data" / "citations.csv", cheader, crows)
    return pkg


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield tmp_path_factory.mktemp("browser-fuzz")


def pwned(browser: Any, url: str) -> bool:
    """Load `url`; whether any script set the marker (after letting async handlers run)."""
    browser.get(url)
    time.sleep(0.2)  # onerror/onload of images and frames, and focus handlers, fire after load
    return bool(browser.execute_script("return window.kurilPwned !== undefined || "
                                      "document.documentElement.hasAttribute('data-pwned')"))


def test_the_marker_is_seen_when_a_script_runs(driver: Any, workdir: Path) -> None:  # noqa: F811
    """The harness itself can fail: a page whose script sets the marker is caught."""
    (workdir / "control").mkdir(exist_ok=True)
    (workdir / "control" / "index.html").write_text(f"<!DOCTYPE html><img src=x onerror=\"{MARK}\">",
                                                    encoding="utf-8")
    with serve(workdir / "control") as base:
        assert pwned(driver, base + "/index.html")


@BROWSER_FUZZ
@given(field_name=hostile, title=hostile, record_id=hostile_id)
@example(field_name=f"x tabindex=0 autofocus onfocus={MARK} y", title=f"</title><script>{MARK}</script>",
         record_id=f"x\" tabindex=0 autofocus onfocus=\"{MARK}")  # the attribute-name attack, always
def test_no_script_runs_from_hostile_names_titles_and_ids(driver: Any, workdir: Path, field_name: str,  # noqa: F811
                                                         title: str, record_id: str) -> None:
    case = workdir / f"case-{abs(hash((field_name, title, record_id)))}"
    pkg = hostile_package(case / "pkg", field_name, title, record_id)
    assume(check(pkg).report.valid)  # only what validate accepts reaches a site
    site_dir = build_site(pkg, case / "site").out
    from kuril_data.dataset import open_dataset

    page = Site(open_dataset(pkg)).url("events", record_id)
    assert page is not None
    query = urllib.parse.quote(title.strip()[:30] or "x")
    with serve(site_dir) as base:
        for rel in (page, "events/index.html", f"search.html?q={query}", "downloads.html", "timeline.html",
                    "index.html"):
            assert not pwned(driver, f"{base}/{rel}"), (rel, field_name, title, record_id)
