"""The typed dataset: the plain-Python rows the site and timeline read equal its Arrow tables' rows
(both are built from the one typed derivation), for every table."""

from __future__ import annotations

from pathlib import Path

from kuril_data.dataset import Dataset
from kuril_data.validate import check

from .conftest import ROOT
from .test_export import typed_package


def test_typed_rows_equal_arrow_rows(tmp_path: Path) -> None:
    """For every table of the real package and of a fixture using every field type, the same values."""
    for root in (ROOT, typed_package(tmp_path / "typed")):
        data = Dataset(check(root))
        for resource in data.resources:
            assert data.rows(resource.name) == data.arrow(resource.name).to_pylist(), resource.name
