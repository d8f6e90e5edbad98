"""arrow_lit builds the same arrays and scalars as pa.array / pa.scalar, and the Arrow engine,
which uses it, validates a package without importing pandas."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from kuril_data.model import arrow_lit

from .conftest import ROOT
from .generate import generate


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.text(), max_size=20))
def test_strings_equal_pa_array(values: list[str]) -> None:
    """Any list of strings gives the array pa.array gives."""
    assert arrow_lit.strings(values).equals(pa.array(values, pa.string()))


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(-(2**63), 2**63 - 1), max_size=20))
def test_ints_equal_pa_array(values: list[int]) -> None:
    """Any list of int64 values gives the array pa.array gives."""
    assert arrow_lit.ints(values).equals(pa.array(values, pa.int64()))


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.dates()), max_size=20))
def test_dates_equal_pa_array(values: list[dt.date | None]) -> None:
    """Any list of dates and None gives the date32 array pa.array gives, nulls included."""
    assert arrow_lit.dates(values).equals(pa.array(values, pa.date32()))


def test_literals_equal_pa_scalar() -> None:
    """Each kind of literal equals the scalar pa.scalar makes (type and value)."""
    for value, kind in (("", pa.string()), ("signing", pa.string()), ("ż", pa.string()), (0, pa.int64()),
                        (-5, pa.int64()), (True, pa.bool_()), (False, pa.bool_()), (None, pa.string())):
        got = arrow_lit.lit(value)
        assert got.type == kind and got.equals(pa.scalar(value, kind)), value


def test_arrow_engine_does_not_import_pandas(tmp_path: Path) -> None:
    """Validating a faulty package with the Arrow engine leaves pandas unimported (it costs ~0.2 s)."""
    generate(tmp_path / "pkg", 2_000, faults=True, seed=7)
    code = ("import sys; from kuril_data.validate import check; "
            f"r = check({str(tmp_path / 'pkg')!r}, engine='arrow'); "
            "assert r.report.problems; assert 'pandas' not in sys.modules, 'pandas was imported'")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]


ARRAY_TYPES = [
    (pa.string(), st.text()),
    (pa.int64(), st.integers(-(2**63), 2**63 - 1)),
    (pa.int32(), st.integers(-(2**31), 2**31 - 1)),
    (pa.float64(), st.floats(allow_nan=False)),
    (pa.bool_(), st.booleans()),
    (pa.date32(), st.dates()),
]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), which=st.sampled_from(range(len(ARRAY_TYPES))))
def test_array_equals_pa_array_for_every_field_type(data: st.DataObject, which: int) -> None:
    """arrow_lit.array gives what pa.array gives, for every Arrow type a field maps to, nulls included."""
    type_, values = ARRAY_TYPES[which]
    drawn = data.draw(st.lists(st.one_of(st.none(), values), max_size=20))
    assert arrow_lit.array(drawn, type_).equals(pa.array(drawn, type_))


def test_parquet_export_does_not_import_pandas(tmp_path: Path) -> None:
    """Typing the dataset as Arrow (Parquet, release) builds arrays from buffers: pandas stays unloaded."""
    code = ("import sys\nfrom kuril_data.outputs.export import export\n"
            f"export({str(ROOT)!r}, {str(tmp_path / 'out')!r}, ['parquet'])\n"
            "print('pandas' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "False", done.stderr
    assert (tmp_path / "out" / "parquet" / "events.parquet").is_file()
