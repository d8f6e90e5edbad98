"""The timeline: every event drawn, at its precision, deterministic; its CLI; and the release's extra files."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuril_data.cli import cli
from kuril_data.dataset import Dataset
from kuril_data.errors import Refused
from kuril_data.load import load
from kuril_data.model import dates
from kuril_data.model.package import read_package
from kuril_data.outputs.dictionary import render as render_dictionary
from kuril_data.outputs.timeline import GROUPS, KEY_DOCUMENT_KINDS, axis, render, rows, shape, timeline
from kuril_data.release.build import build_release
from kuril_data.validate import check

from .conftest import INVALID, ROOT, build_package


def svg_ids(data: bytes) -> set[str]:
    return {el.get("id", "") for el in ET.fromstring(data).iter()}


@pytest.mark.parametrize(("edtf", "form"), [
    ("1956-10-19", "point"), ("1956-10", "span"), ("1956", "span"), ("1956?", "span"),
    ("1955-06-03/1956-03-20", "span"), ("1955-10/..", "open-end"), ("../1951-09", "open-start"),
])
def test_shape_is_honest_about_precision(edtf: str, form: str) -> None:
    """A day is a point; a month, a year, an uncertain date or an interval a span; open ends are open."""
    r = dates.parse(edtf)
    assert shape(r.earliest, r.latest) == form


def test_svg_has_every_event_of_the_real_data() -> None:
    """Every event of the repository's data is an element whose id is its event_id, and key documents are labelled."""
    checked = check(ROOT)
    assert checked.report.valid
    data, count = render(Dataset(checked), "svg")
    events = load("events", source=ROOT)
    assert count == len(events)
    ids = svg_ids(data)
    assert set(events["event_id"]) <= ids
    documents = load("documents", source=ROOT)
    key = set(documents.loc[documents["kind"].isin(KEY_DOCUMENT_KINDS), "document_id"])
    labelled = {i.removeprefix("label-") for i in ids if i.startswith("label-")}
    assert labelled == key & set(events["document_id"].dropna())
    assert labelled


def test_svg_is_deterministic_and_keeps_text_as_text(valid_package: Path) -> None:
    """Two renders give identical bytes; titles are <text> elements, no date or path goes in."""
    checked = check(valid_package)
    svg1, n = render(Dataset(checked), "svg")
    assert svg1 == render(Dataset(checked), "svg")[0]
    assert n == len(load("events", source=valid_package))
    root = ET.fromstring(svg1)
    texts = "".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for title in load("events", source=valid_package)["title"]:
        assert title[:40] in texts
    assert str(valid_package).encode() not in svg1


def test_real_timeline_is_readable() -> None:
    """On the real data: dense 1955–56 get most of the axis, empty runs are cut, a handful of groups,
    each event one mark drawn at its precision, links to the site when asked; and it is fast."""
    checked = check(ROOT)
    events = load("events", source=ROOT)
    rows_ = rows(Dataset(checked), "events")
    segments = axis(rows_)
    span = segments[-1].x + segments[-1].width - segments[0].x
    dense = sum(s.width for s in segments if s.start.year in (1955, 1956) and not s.broken)
    assert dense / span > 0.5  # the years with two thirds of the events get more than half of the width
    assert any(s.broken for s in segments)
    assert len(GROUPS) + 1 <= 6
    begin = time.perf_counter()
    data, count = render(Dataset(checked), "svg", link="site/")
    assert time.perf_counter() - begin < 5  # a generous sanity bound; the benchmark measures it properly
    root = ET.fromstring(data)
    ns = "{http://www.w3.org/2000/svg}"
    links = list(root.iter(f"{ns}a"))
    assert sorted(a.get("data-event") for a in links) == sorted(events["event_id"])
    assert all(a.get("href") == f"site/events/{a.get('data-event')}.html" for a in links)
    assert root.get("role") == "group"  # its links stay reachable by assistive technology
    assert ET.fromstring(render(Dataset(checked), "svg")[0]).get("role") == "img"  # no links: a picture
    assert count == len(events)


def test_cli_writes_svg_with_every_event(valid_package: Path, tmp_path: Path) -> None:
    """`kuril-data timeline --out F.svg PATH` writes the image (each event an id) and says how many events."""
    out = tmp_path / "img" / "t.svg"
    result = CliRunner().invoke(cli, ["timeline", "--out", str(out), str(valid_package)])
    assert result.exit_code == 0, result.output
    events = load("events", source=valid_package)
    assert result.output == f"wrote {out} ({len(events)} events)\n"
    assert set(events["event_id"]) <= svg_ids(out.read_bytes())
    assert [p.name for p in out.parent.iterdir()] == ["t.svg"]  # no temp file left


@pytest.mark.parametrize("name", ["t.pdf", "t.png"])
def test_cli_unknown_image_type_exit_2(valid_package: Path, tmp_path: Path, name: str) -> None:
    """An output name that is not .svg: a one-line error, exit 2, nothing written."""
    result = CliRunner().invoke(cli, ["timeline", "--out", str(tmp_path / name), str(valid_package)])
    assert result.exit_code == 2
    assert "name it .svg" in result.output
    assert not (tmp_path / name).exists()


def test_cli_invalid_package_exit_1(tmp_path: Path) -> None:
    """A package that does not validate: its report, exit 1, no image."""
    build_package(tmp_path, INVALID / "edtf")
    result = CliRunner().invoke(cli, ["timeline", "--out", str(tmp_path / "t.svg"), str(tmp_path)])
    assert result.exit_code == 1
    assert "[edtf]" in result.output
    assert not (tmp_path / "t.svg").exists()


def test_library_keeps_previous_file_on_failure(valid_package: Path, tmp_path: Path) -> None:
    """A refused package leaves an existing image untouched."""
    out = tmp_path / "t.svg"
    timeline(valid_package, out)
    before = out.read_bytes()
    (valid_package / "data" / "events.csv").write_text("nonsense\n", encoding="utf-8")
    with pytest.raises(Refused, match="does not validate"):
        timeline(valid_package, out)
    assert out.read_bytes() == before


def test_release_has_dictionary_and_timeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The release holds data-dictionary.md (as rendered from its schemas) and timeline.svg with every event."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)
    (pkg / "CHANGELOG.md").write_text("# Changelog\n\n## [0.1.0]\n\n- First.\n", encoding="utf-8")
    folder = build_release(pkg, tmp_path / "dist")
    package, _ = read_package(pkg)
    assert package is not None
    assert (folder / "data-dictionary.md").read_text(encoding="utf-8") == render_dictionary(package)
    assert set(load("events", source=pkg)["event_id"]) <= svg_ids((folder / "timeline.svg").read_bytes())
    sums = (folder / "SHA256SUMS").read_text(encoding="utf-8")
    assert "  data-dictionary.md\n" in sums and "  timeline.svg\n" in sums
