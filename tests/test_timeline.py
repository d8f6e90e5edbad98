"""The timeline: every event drawn, at its precision, deterministic; its CLI; and the release's extra files."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuril_data import dates
from kuril_data.cli import cli
from kuril_data.dictionary import render as render_dictionary
from kuril_data.export import Refused
from kuril_data.load import load
from kuril_data.package import read_package
from kuril_data.release import build_release
from kuril_data.timeline import KEY_DOCUMENT_KINDS, render, shape, timeline
from kuril_data.validate import check

from .conftest import INVALID, ROOT, build_package

pytest.importorskip("matplotlib", reason="the timeline needs the plot extra (part of the test extra)")

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
    data, count = render(checked, "svg")
    events = load("events", source=ROOT)
    assert count == len(events)
    ids = svg_ids(data)
    assert set(events["event_id"]) <= ids
    documents = load("documents", source=ROOT)
    key = set(documents.loc[documents["kind"].isin(KEY_DOCUMENT_KINDS), "document_id"])
    labelled = {i.removeprefix("label-") for i in ids if i.startswith("label-")}
    assert labelled == key & set(events["document_id"].dropna())
    assert labelled


def test_svg_and_png_are_deterministic(valid_package: Path) -> None:
    """Two renders give identical bytes; the SVG holds no date and the PNG is a real PNG."""
    checked = check(valid_package)
    svg1, n = render(checked, "svg")
    svg2, _ = render(checked, "svg")
    assert svg1 == svg2
    assert b"<dc:date>" not in svg1
    png1, _ = render(checked, "png")
    assert png1 == render(checked, "png")[0]
    assert png1.startswith(b"\x89PNG\r\n\x1a\n")
    assert n == len(load("events", source=valid_package))


def test_cli_writes_svg_with_every_event(valid_package: Path, tmp_path: Path) -> None:
    """`kuril-data timeline --out F.svg PATH` writes the image (each event an id) and says how many events."""
    out = tmp_path / "img" / "t.svg"
    result = CliRunner().invoke(cli, ["timeline", "--out", str(out), str(valid_package)])
    assert result.exit_code == 0, result.output
    events = load("events", source=valid_package)
    assert result.output == f"wrote {out} ({len(events)} events)\n"
    assert set(events["event_id"]) <= svg_ids(out.read_bytes())
    assert [p.name for p in out.parent.iterdir()] == ["t.svg"]  # no temp file left


def test_cli_unknown_image_type_exit_2(valid_package: Path, tmp_path: Path) -> None:
    """An output name that is neither .svg nor .png: a one-line error, exit 2, nothing written."""
    result = CliRunner().invoke(cli, ["timeline", "--out", str(tmp_path / "t.pdf"), str(valid_package)])
    assert result.exit_code == 2
    assert "name it .svg or .png" in result.output
    assert not (tmp_path / "t.pdf").exists()


def test_cli_without_matplotlib_exit_2(valid_package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without matplotlib the command says how to install it and exits 2."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    result = CliRunner().invoke(cli, ["timeline", "--out", str(tmp_path / "t.svg"), str(valid_package)])
    assert result.exit_code == 2
    assert "needs matplotlib: pip install 'kuril-data[plot]'" in result.output


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
