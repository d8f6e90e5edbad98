"""CITATION.cff and the license files agree with datapackage.json."""

from __future__ import annotations

import json

import yaml

from .conftest import ROOT


def test_citation_matches_the_package() -> None:
    """CITATION.cff is CFF 1.2.0 with the package's title, version and data license."""
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert cff["version"] == descriptor["version"]
    assert cff["title"] == descriptor["title"]
    assert cff["license"] == descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    assert cff["authors"] == [{"name": "kuril-data contributors"}]


def test_license_files_name_both_licenses() -> None:
    """LICENSE is the MIT text for the code and points to LICENSE-DATA.md, which links CC-BY-4.0."""
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n") and "LICENSE-DATA.md" in text
    assert "https://creativecommons.org/licenses/by/4.0/" in (ROOT / "LICENSE-DATA.md").read_text(encoding="utf-8")
