"""The site's escaping by context (issue 23), from src/kuril_data/outputs/site/escaping.py: JSON inside
a script can never end or change the script, links are relative or http(s) only, attribute names
never come from data, and autoescape holds for every template."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kuril_data.outputs.site import build_site
from kuril_data.outputs.site.escaping import UnsafeLink, attr_name, environment, href, script_json

from .amplify import copy_real, read_rows, write_rows

HOSTILE = "</script><script>window.__pwned=1</script><!-- \u2028\u2029 & > '\" <img src=x onerror=alert(1)>"


@pytest.mark.parametrize("indent", [None, 1])
def test_script_json_cannot_end_or_break_a_script(indent: int | None) -> None:
    text = script_json({"a": HOSTILE, HOSTILE: [HOSTILE]}, indent=indent)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == {"a": HOSTILE, HOSTILE: [HOSTILE]}  # the same value once parsed


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "vbscript:x",
                                 "//evil.example/x", "java\tscript:x", "\\\\evil\\x", "ftp://x.example/"])
def test_href_refuses_every_scheme_but_http(url: str) -> None:
    with pytest.raises(UnsafeLink):
        href(url)


@pytest.mark.parametrize("url", ["events/a.html", "../events/a~3Ab.html#citation-x", "https://example.org/a?b=c&d",
                                 "http://example.org/", "downloads/places.csv", "#evidence-h"])
def test_href_keeps_relative_and_web_links(url: str) -> None:
    assert href(url) == url


def test_attribute_names_never_carry_data() -> None:
    assert attr_name("date_basis") == "date-basis"
    assert re.fullmatch(r"x-[0-9a-f]+", attr_name("a onfocus=alert(1) b"))


def test_autoescape_is_on_for_every_template() -> None:
    env = environment(str)
    for name in env.list_templates():
        assert env.get_template(name).environment.autoescape is True
    rendered = env.from_string("{{ x }}<p title='{{ x }}'>").render(x=HOSTILE)
    assert "<script>" not in rendered and "onerror=alert" not in rendered.replace("onerror=alert(1)&gt;", "")


def test_hostile_text_in_json_ld_and_the_search_index(tmp_path: Path) -> None:
    """A quotation and an event whose texts try to end the JSON-LD script and open a comment."""
    pkg = copy_real(tmp_path / "pkg")
    header, rows = read_rows(pkg / "data" / "events.csv")
    hostile = HOSTILE.replace("\u2028", "").replace("\u2029", "")  # the text rules refuse those in data
    rows[0]["summary"] = hostile
    event_id = rows[0]["event_id"]
    write_rows(pkg / "data" / "events.csv", header, rows)
    site = build_site(pkg, tmp_path / "site").out
    page = next((site / "events").glob(f"{event_id}.html")).read_text(encoding="utf-8")
    block = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block and ">" not in block
    assert json.loads(block)["description"] == hostile
    assert "<script>window.__pwned" not in page and "<!--" not in page
    index = (site / "search-index.js").read_text(encoding="utf-8")
    assert "<" not in index and ">" not in index and "\u2028" not in index
    entries = json.loads(index.removeprefix("window.KURIL_SEARCH = ").removesuffix(";\n"))
    assert any(hostile in e[6] for e in entries)


def test_download_links_of_odd_file_names_are_percent_encoded(tmp_path: Path) -> None:
    """A resource path with a space and a '#' (validate accepts both) is linked percent-encoded, not
    refused and not cut at the '#'."""
    pkg = copy_real(tmp_path / "pkg")
    (pkg / "data" / "odd dir").mkdir()
    (pkg / "data" / "places.csv").rename(pkg / "data" / "odd dir" / "places #1.csv")
    desc = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    next(r for r in desc["resources"] if r["name"] == "places")["path"] = "data/odd dir/places #1.csv"
    (pkg / "datapackage.json").write_text(json.dumps(desc), encoding="utf-8")
    site = build_site(pkg, tmp_path / "site").out
    page = (site / "downloads.html").read_text(encoding="utf-8")
    assert 'href="downloads/places%20%231.csv"' in page
    assert (site / "downloads" / "places #1.csv").is_file()
