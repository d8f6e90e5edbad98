"""What each install brings: the core (`pip install kuril-data`) loads data without the tools extra,
and the command says which extra to install instead of failing with a traceback."""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

from kuril_data.extras import EXTRAS, MissingExtra, require

from .conftest import ROOT

TOOLS = tuple(m for m, extra in EXTRAS.items() if extra == "tools")


def _run(code: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` in a fresh interpreter whose packages are this environment's minus the `tools`
    extra's: a folder of links to everything else in site-packages, plus this checkout's src/."""
    purelib = Path(sysconfig.get_paths()["purelib"])
    site = cwd / "site-without-tools"
    site.mkdir()
    for entry in purelib.iterdir():
        top = entry.name.split("-")[0].split(".")[0].lower()
        if top not in TOOLS and entry.suffix != ".pth":
            (site / entry.name).symlink_to(entry)
    # -S: no site-packages and no .pth files, so only the path below is importable.
    return subprocess.run([sys.executable, "-S", "-c", code, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, check=False,
                          env={"PYTHONPATH": f"{ROOT / 'src'}:{site}", "PATH": "/usr/bin:/bin", "HOME": str(cwd)})


def test_core_dependencies_are_what_load_imports() -> None:
    """The core holds pandas, pyarrow, edtf and langcodes, never the tools' or serve's packages;
    every core and tools dependency is a lower bound, never an exact pin or an upper bound."""
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {re.split(r"[<>=!~\[ ;]", d, maxsplit=1)[0] for d in meta["dependencies"]}
    assert {"edtf", "langcodes", "pandas", "pyarrow"} <= names
    assert not names & set(EXTRAS), names & set(EXTRAS)
    for dep in [*meta["dependencies"], *meta["optional-dependencies"]["tools"]]:
        assert ">=" in dep and "==" not in dep and "<" not in dep, dep
    tools = {d.split(">")[0].lower() for d in meta["optional-dependencies"]["tools"]}
    assert tools == {m for m, extra in EXTRAS.items() if extra == "tools"}


def test_load_works_without_the_tools_extra(tmp_path: Path) -> None:
    """With click and frictionless absent, `import kuril_data` and `load()` of the shipped data work
    and give the same frames, and neither module gets imported along the way."""
    out = tmp_path / "frames.pickle"
    code = """
import importlib.util, pickle, sys
assert importlib.util.find_spec("click") is None and importlib.util.find_spec("frictionless") is None
import kuril_data
frames = kuril_data.load()
assert not {"click", "frictionless"} & set(sys.modules), sorted(sys.modules)
with open(sys.argv[1], "wb") as f:
    pickle.dump(frames, f)
"""
    done = _run(code, str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    import pickle

    from pandas.testing import assert_frame_equal

    from kuril_data import load

    with open(out, "rb") as f:
        got = pickle.load(f)  # written just now by our own subprocess
    expected = load(source=ROOT)
    assert list(got) == list(expected)
    for name, frame in expected.items():
        assert_frame_equal(got[name], frame, check_exact=True)


def test_command_without_the_tools_extra_says_what_to_install(tmp_path: Path) -> None:
    """`kuril-data` with click missing: one line naming the extra, exit 2, no traceback."""
    code = """
import sys
sys.argv = ["kuril-data", "validate"]
from kuril_data.__main__ import main
main()
"""
    done = _run(code, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == ("Error: the kuril-data command needs click, which is not installed; "
                           "install it with: pip install 'kuril-data[tools]'\n")


def test_validating_an_unusual_descriptor_without_frictionless_names_the_extra(tmp_path: Path) -> None:
    """A descriptor only frictionless can judge, checked with frictionless absent: MissingExtra, not a bogus problem."""
    import json
    import shutil

    pkg = tmp_path / "pkg"
    shutil.copytree(ROOT / "schemas", pkg / "schemas")
    shutil.copytree(ROOT / "data", pkg / "data")
    descriptor = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    descriptor["image"] = "logo.png"  # a property standard.py leaves to frictionless
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    code = """
import sys
from kuril_data import validate
from kuril_data.extras import MissingExtra
try:
    validate(sys.argv[1])
except MissingExtra as exc:
    print(exc.exit_code, exc)
"""
    done = _run(code, str(pkg), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ("2 checking a descriptor of this shape against the Frictionless standard needs "
                           "frictionless, which is not installed; install it with: pip install 'kuril-data[tools]'\n")


def test_require_imports_or_names_the_extra() -> None:
    """require() returns the module when present and raises MissingExtra (exit 2) naming the extra otherwise."""
    assert require("click", "x").__name__ == "click"
    EXTRAS["kuril_data_no_such_module"] = "serve"
    try:
        with pytest.raises(MissingExtra, match=r"drawing needs kuril_data_no_such_module, .*'kuril-data\[serve\]'"):
            require("kuril_data_no_such_module", "drawing")
    finally:
        del EXTRAS["kuril_data_no_such_module"]


def test_release_zip_loads_without_the_tools_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A release zip (its descriptor has $schema, id, created, bytes, hash) loads with click and frictionless absent."""
    from kuril_data.release.build import build_release

    from .conftest import build_package
    from .test_release import CHANGELOG

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    build_package(pkg)  # the repository's descriptor and schemas, the fixture's data
    (pkg / "CHANGELOG.md").write_text(CHANGELOG, encoding="utf-8")
    build_release(pkg, tmp_path / "dist")
    [zipped] = (tmp_path / "dist").glob("*.zip")
    code = """
import sys
import kuril_data
frames = kuril_data.load(source=sys.argv[1])
assert "frictionless" not in sys.modules
print(sorted((name, len(f)) for name, f in frames.items()))
"""
    done = _run(code, str(zipped), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    from kuril_data import load

    assert done.stdout.strip() == str(sorted((name, len(f)) for name, f in load(source=zipped).items()))
