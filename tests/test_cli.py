"""The command line: output formats, exit codes, and no traceback for any input."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kuril_data import validate
from kuril_data.cli import cli

from .conftest import FIXTURE_SOURCES, INVALID, build_package


def _broken(tmp_path: Path, case: str) -> Path:
    pkg = tmp_path / case
    pkg.mkdir()
    return build_package(pkg, INVALID / case)


def test_validate_clean_exits_zero(valid_package: Path) -> None:
    """A clean package prints which package it checked, then 'valid', and exits 0."""
    result = CliRunner().invoke(cli, ["validate", str(valid_package), "--sources", str(FIXTURE_SOURCES)])
    assert result.exit_code == 0
    assert result.output == (f"checked kuril-data 0.1.0 from {valid_package} (folder)\n"
                             f"verbatim checks ran against 2 source file(s) in {FIXTURE_SOURCES}: "
                             "article-en.txt, article-pl.txt\nvalid\n")


def test_validate_text_names_file_line_field_and_reason(tmp_path: Path) -> None:
    """Text output is one problem per line: file:line: field: reason [code]."""
    pkg = _broken(tmp_path, "edtf")
    result = CliRunner().invoke(cli, ["validate", str(pkg)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"checked kuril-data 0.1.0 from {pkg} (folder)"
    assert result.output.splitlines()[1] == (
        'data/events.csv:3: date: "1956-02-30" is not a valid EDTF date '
        "(use e.g. 1956, 1956-10, 1956-10-19, 1955-06-03/1955-09, 1956-08?) [edtf]")
    assert result.output.splitlines()[-1] == "1 error(s), 0 warning(s)"


def test_validate_json_equals_library_report(tmp_path: Path) -> None:
    """--format json prints Report.to_dict() of the library call, with the package checked."""
    pkg = _broken(tmp_path, "foreign-key")
    result = CliRunner().invoke(cli, ["validate", str(pkg), "--format", "json"])
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "package": {"name": "kuril-data", "version": "0.1.0", "source": str(pkg), "kind": "folder"},
        **validate(pkg).to_dict()}


ANNOTATION = re.compile(r"^::(error|warning) file=[^,]+(,line=\d+)?,title=[^:,]+::.+$")


def test_validate_github_annotations(tmp_path: Path) -> None:
    """--format github prints one workflow annotation per problem."""
    pkg = _broken(tmp_path, "not-nfc")
    result = CliRunner().invoke(cli, ["validate", str(pkg), "--format", "github"])
    assert result.exit_code == 1
    *lines, verbatim = result.output.splitlines()
    assert lines and all(ANNOTATION.match(line) for line in lines), lines
    assert verbatim.startswith("::warning title=verbatim checks::verbatim checks NOT run: no source texts given")
    assert lines[0].startswith("::error file=data/places.csv,line=4,title=not-nfc::description: ")


def test_validate_datapackage_json_path(valid_package: Path) -> None:
    """PATH may be the descriptor itself."""
    result = CliRunner().invoke(cli, ["validate", str(valid_package / "datapackage.json")])
    assert result.exit_code == 0


def test_missing_package_exits_two(tmp_path: Path) -> None:
    """No package at PATH is 'could not run': exit 2 with a one-line error."""
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: no such file or folder: {tmp_path / 'nowhere'}"
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "empty")])
    assert (result.exit_code, result.output.strip()) == (2, f"Error: no datapackage.json at {tmp_path / 'empty'}")


def test_missing_sources_folder_exits_two(valid_package: Path) -> None:
    """--sources must be a folder; otherwise exit 2."""
    result = CliRunner().invoke(cli, ["validate", str(valid_package), "--sources", str(valid_package / "x")])
    assert result.exit_code == 2
    assert "--sources" in result.output


def test_unknown_option_exits_two() -> None:
    """Bad arguments are a usage error: exit 2."""
    result = CliRunner().invoke(cli, ["validate", "--colour"])
    assert result.exit_code == 2


def test_real_process_never_prints_a_traceback(tmp_path: Path) -> None:
    """The installed entry point turns every failure into a message, never a traceback."""
    pkg = _broken(tmp_path, "descriptor-error")
    proc = subprocess.run([sys.executable, "-m", "kuril_data", "validate", str(pkg)],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[1].startswith("datapackage.json:2: invalid JSON")


def test_every_command_is_documented() -> None:
    """Every command has help text."""
    for name, command in cli.commands.items():
        assert command.help and len(command.help) > 40, name


@pytest.mark.parametrize(("name", "code"), [
    ("kuril_data.model.package.PackageError", 2), ("kuril_data.diff.DiffError", 2),
    ("kuril_data.outputs.export.ExportError", 2), ("kuril_data.load.LoadError", 2),
    ("kuril_data.outputs.timeline.TimelineError", 2), ("kuril_data.outputs.export.Refused", 1),
    ("kuril_data.outputs.dictionary.DictionaryError", 1), ("kuril_data.model.dates.EDTFError", 1),
])
def test_library_errors_share_one_base_and_say_their_exit_code(name: str, code: int) -> None:
    """Every error a user can meet derives from KurilDataError (DataError for bad data)."""
    import importlib

    from kuril_data.errors import DataError, KurilDataError

    module, _, cls_name = name.rpartition(".")
    cls = getattr(importlib.import_module(module), cls_name)
    assert issubclass(cls, KurilDataError)
    assert cls.exit_code == code
    assert issubclass(cls, DataError) is (code == 1)


def test_cli_maps_every_library_error_in_one_place(valid_package: Path, tmp_path: Path) -> None:
    """A refused package prints its report and exits 1; an error of the command exits 2; both say Error:."""
    (valid_package / "data" / "events.csv").write_text("event_id\n", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["export", str(valid_package), "--out", str(tmp_path / "out")])
    assert refused.exit_code == 1
    assert "[header-mismatch]" in refused.output and "Error:" in refused.output
    could_not = CliRunner().invoke(cli, ["diff", str(tmp_path / "nowhere"), str(tmp_path / "nor-here")])
    assert could_not.exit_code == 2
    assert could_not.output.startswith("Error:")
    assert "Traceback" not in refused.output + could_not.output


def test_real_process_exits_with_each_error_code(valid_package: Path, tmp_path: Path) -> None:
    """Through the entry point (not only click's test runner): 2 when it could not run, 1 when refused."""
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kuril_data", *args], capture_output=True, text=True,
                              check=False)

    missing = run("validate", str(tmp_path / "nowhere"))
    assert (missing.returncode, missing.stderr.strip()) == (2, f"Error: no such file or folder: {tmp_path / 'nowhere'}")
    (valid_package / "data" / "events.csv").write_text("event_id\n", encoding="utf-8")
    refused = run("export", str(valid_package), "--out", str(tmp_path / "out"))
    assert refused.returncode == 1
    assert "[header-mismatch]" in refused.stdout and refused.stderr.startswith("Error:")
    assert not (tmp_path / "out").exists()


# What a cold `kuril-data validate` of the real package must not import (issue 24: start-up <= 0.2 s).
# The real package is read without Arrow (below ARROW_MIN_BYTES), and nothing downloads, unpacks a
# zip, opens SQLite or git, or starts a thread pool.
NOT_IMPORTED = (
    "pyarrow", "pandas", "numpy", "frictionless", "langcodes", "edtf", "jinja2", "platformdirs",
    "http.client", "ssl", "email", "urllib.request", "sqlite3", "zipfile", "tempfile", "subprocess",
    "concurrent.futures", "logging", "kuril_data.io.transaction", "kuril_data.io.git",
    "kuril_data.io.archive", "kuril_data.diff", "kuril_data.load", "kuril_data.dataset", "kuril_data.outputs",
    "kuril_data.release", "kuril_data.validate.checks.vector",
)
_MODULES_AFTER_MAIN = """import sys
out = sys.argv.pop(1)
sys.argv[0] = "kuril-data"
from kuril_data.__main__ import main
status = 0
try:
    main()
except SystemExit as exc:
    status = exc.code
with open(out, "w", encoding="utf-8") as f:
    f.write(f"{status}\\n" + "\\n".join(sorted(sys.modules)))
"""


@pytest.mark.parametrize("with_sources", [True, False])
def test_cold_validate_of_the_real_package_imports_only_what_it_needs(tmp_path: Path, with_sources: bool) -> None:
    """A fresh `kuril-data validate` of the repository's package, with its source texts (or without,
    the source cache empty), exits 0 having imported none of NOT_IMPORTED."""
    from .conftest import ROOT, seeds_or_skip

    sources = ["--sources", str(seeds_or_skip())] if with_sources else []
    out = tmp_path / "modules.txt"
    env = {k: v for k, v in os.environ.items() if k != "KURIL_DATA_SOURCES"}
    env["KURIL_DATA_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.run([sys.executable, "-c", _MODULES_AFTER_MAIN, str(out), "validate", *sources, str(ROOT)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=120)
    status, *modules = out.read_text(encoding="utf-8").splitlines()
    assert status == "0", proc.stdout + proc.stderr
    assert ("verbatim checks ran against" if with_sources else "verbatim checks NOT run") in proc.stdout
    assert "kuril_data.validate.checks.sources" in modules  # the run did validate
    imported = sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in NOT_IMPORTED))
    assert imported == []


def test_load_and_validate_stay_the_functions_whichever_import_comes_first() -> None:
    """`import kuril_data` leaves kuril_data.load (and the typed dataset) unimported; importing the
    submodules kuril_data.load and kuril_data.validate first, or `from kuril_data import *`, still
    leaves kuril_data.load and kuril_data.validate the functions."""
    code = """import sys, types
import kuril_data
assert "kuril_data.load" not in sys.modules and "kuril_data.dataset" not in sys.modules
from kuril_data.load import LoadError
import kuril_data.validate
import kuril_data.load as via_import
assert isinstance(kuril_data.load, types.FunctionType) and kuril_data.load.__module__ == "kuril_data.load"
assert isinstance(kuril_data.validate, types.FunctionType) and via_import is kuril_data.load
assert kuril_data.LoadError is LoadError and "load" in dir(kuril_data)
namespace = {}
exec("from kuril_data import *", namespace)
assert namespace["load"] is kuril_data.load and namespace["validate"] is kuril_data.validate
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr
