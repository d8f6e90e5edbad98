"""`kuril-data fmt`: canonical CSV bytes, refusal of what it cannot rewrite losslessly, idempotence."""

from __future__ import annotations

import csv
import io
import unicodedata
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuril_data.cli import cli
from kuril_data.fmt import format_package

from .conftest import build_package

CANONICAL_PLACES = (
    "place_id,name,kind,part_of,part_of_citation_id,description\n"
    "kuril-islands,Kuril Islands,island-group,,,\n"
    "moscow,Moscow,city,,,\n"
    "shikotan,Shikotan,island,kuril-islands,p-shikotan-src-en-l4,\"One of the Kuril Islands, as the source states.\"\n"
)


def _messy_places() -> bytes:
    # BOM, CRLF, shuffled rows, needless quoting, NFD text, columns out of order.
    text = (
        '\ufeff"name","place_id",kind,part_of,part_of_citation_id,description\r\n'
        '"Shikotan",shikotan,island,kuril-islands,"p-shikotan-src-en-l4",'
        '"One of the Kuril Islands, as the source states."\r\n'
        '"Moscow","moscow","city","","",""\r\n'
        "Kuril Islands,kuril-islands,island-group,,,\r\n"
    )
    return text.encode("utf-8")


def test_messy_file_becomes_canonical_bytes(valid_package: Path) -> None:
    """BOM, CRLF, shuffled rows, needless quotes and reordered columns give the canonical bytes."""
    places = valid_package / "data" / "places.csv"
    places.write_bytes(_messy_places())
    result = format_package(valid_package)
    assert [f.file for f in result.changed] == ["data/places.csv"]
    assert places.read_bytes() == CANONICAL_PLACES.encode("utf-8")
    assert format_package(valid_package).changed == []


def test_nfd_text_is_normalised(valid_package: Path) -> None:
    """Decomposed text is rewritten in NFC, and the reason is named."""
    actors = valid_package / "data" / "actors.csv"
    original = actors.read_text(encoding="utf-8")
    actors.write_text(original.replace("USSR,state", unicodedata.normalize("NFD", "USSŘ") + ",state"),
                      encoding="utf-8")
    result = format_package(valid_package, check=True)
    assert result.changed[0].reasons == ["text is not in Unicode NFC form"]
    format_package(valid_package)
    assert "USSŘ,state" in actors.read_text(encoding="utf-8")


def test_check_reports_without_writing(valid_package: Path) -> None:
    """--check names each differing file with its reasons, exits 1 and changes nothing."""
    places = valid_package / "data" / "places.csv"
    places.write_bytes(_messy_places())
    result = CliRunner().invoke(cli, ["fmt", "--check", str(valid_package)])
    assert result.exit_code == 1
    assert result.output.startswith("would reformat data/places.csv: starts with a byte-order mark; "
                                    "has CR or CRLF line ends; columns are not in schema order; "
                                    "rows are not sorted by primary key")
    assert places.read_bytes() == _messy_places()


def test_clean_package_passes_check(valid_package: Path) -> None:
    """A canonical package passes fmt --check with exit 0."""
    result = CliRunner().invoke(cli, ["fmt", "--check", str(valid_package)])
    assert result.exit_code == 0, result.output
    assert result.output == "17 file(s) already canonical\n"


def test_refuses_lossy_rewrites(valid_package: Path) -> None:
    """A file with an extra cell or invalid UTF-8 is refused, untouched, with a located reason."""
    events = valid_package / "data" / "events.csv"
    broken = events.read_bytes().replace(b",moscow,,\n", b",moscow,,,surplus\n")
    events.write_bytes(broken)
    places = valid_package / "data" / "places.csv"
    latin1 = places.read_bytes().replace(b"Moscow", "Moskwa \xf3".encode("latin-1"))
    places.write_bytes(latin1)
    result = CliRunner().invoke(cli, ["fmt", str(valid_package)])
    assert result.exit_code == 1
    assert "data/events.csv:3: row has 12 cells, the header has 11 (1 extra) [extra-cell] (not formatted)" \
        in result.output
    assert "data/places.csv:3: not valid UTF-8" in result.output
    assert events.read_bytes() == broken
    assert places.read_bytes() == latin1


CELL = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


CELL = st.one_of(CELL, st.sampled_from(["a\rb", "\r", "x\r\ny", "\r\r\n", '"\r"']))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(CELL, CELL, CELL, CELL), min_size=1, max_size=8, unique_by=lambda r: r[0]))
def test_fmt_is_lossless_and_idempotent(tmp_path_factory, rows) -> None:
    """Any values (quotes, commas, newlines, any script) survive fmt unchanged but for NFC, and a
    second fmt changes nothing."""
    pkg = build_package(tmp_path_factory.mktemp("pkg"))
    disagreements = pkg / "data" / "disagreements.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    w.writerow(["disagreement_id", "kind", "subject"])
    keep = [r for r in rows if r[0]]  # bare CRs included: quoted, they must survive
    w.writerows([r[0], r[1], r[2] + r[3]] for r in keep)
    disagreements.write_bytes(buf.getvalue().encode("utf-8"))
    result = format_package(pkg)
    if any(f.problems for f in result.files):
        return  # refused: nothing to check but that the file is untouched
    once = disagreements.read_bytes()
    assert format_package(pkg).changed == []
    assert disagreements.read_bytes() == once
    back = sorted(map(tuple, csv.reader(io.StringIO(once.decode("utf-8"), newline=""))))
    expected = sorted([("disagreement_id", "kind", "subject")] + [
        tuple(unicodedata.normalize("NFC", v) for v in (r[0], r[1], r[2] + r[3])) for r in keep])
    assert back == expected


def test_bare_cr_in_a_quoted_cell_stays_one_row(valid_package: Path) -> None:
    """A quoted cell holding a bare CR is written quoted (one row), and a second fmt changes nothing."""
    places = valid_package / "data" / "places.csv"
    crlf = CANONICAL_PLACES.replace("\n", "\r\n").replace("Moscow,city", '"Signing\rof",city')
    places.write_bytes(crlf.encode("utf-8"))
    result = format_package(valid_package)
    assert not result.refused and [f.file for f in result.changed] == ["data/places.csv"]
    rows = list(csv.reader(io.StringIO(places.read_bytes().decode("utf-8"), newline="")))
    assert ["moscow", "Signing\rof", "city", "", "", ""] in rows and len(rows) == 4
    assert b'"Signing\rof"' in places.read_bytes()
    assert format_package(valid_package).changed == []


def test_fmt_proves_its_output_before_replacing(valid_package: Path, monkeypatch) -> None:
    """When the written bytes would not read back as the same values, the file is refused and untouched."""
    from kuril_data import fmt

    places = valid_package / "data" / "places.csv"
    messy = _messy_places()
    places.write_bytes(messy)
    monkeypatch.setattr(fmt, "_NEEDS_QUOTES", __import__("re").compile(r"[\"\n]"))  # forgets the comma
    result = format_package(valid_package)
    refused = {f.file: f for f in result.refused}
    assert "fmt could not write this file without changing" in refused["data/places.csv"].problems[0].message
    assert places.read_bytes() == messy
    assert not result.changed


def test_stale_temp_files_are_removed_on_the_next_write(valid_package: Path) -> None:
    """A .<file>.kuril-data-tmp.<pid>.<token>.tmp left by a killed fmt is removed by the next fmt; a live
    process's is kept, and so is a user's file that merely looks similar."""
    import os

    data = valid_package / "data"
    stale = data / ".places.csv.kuril-data-tmp.999999999.abc12345.tmp"
    live = data / f".places.csv.kuril-data-tmp.{os.getppid()}.abc12345.tmp"
    users = data / ".report.2024.final.tmp"
    users.write_text("mine", encoding="utf-8")
    stale.write_text("half", encoding="utf-8")
    live.write_text("busy", encoding="utf-8")
    places = data / "places.csv"
    places.write_bytes(_messy_places())
    format_package(valid_package)
    assert not stale.exists() and live.exists() and users.exists()
    assert CliRunner().invoke(cli, ["validate", str(valid_package)]).exit_code == 0
