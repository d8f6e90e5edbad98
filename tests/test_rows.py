"""rows.typed_rows: the plain-Python rows the site and timeline read equal the Arrow conversion's."""

from __future__ import annotations

from pathlib import Path

from kuril_data.dataset.arrow import to_arrow
from kuril_data.dataset.rows import typed_rows
from kuril_data.validate import check

from .conftest import ROOT
from .test_export import typed_package


def test_typed_rows_equal_arrow_rows(tmp_path: Path) -> None:
    """For every table of the real package and of a fixture using every field type, the same values."""
    for root in (ROOT, typed_package(tmp_path / "typed")):
        checked = check(root)
        assert checked.package is not None and checked.report.valid
        for name, table in checked.tables.items():
            assert typed_rows(table) == to_arrow(table).to_pylist(), name
