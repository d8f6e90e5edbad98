"""The wheel ships the data: installed from it alone, `kuril_data.load()` works with no repository and no network."""

from __future__ import annotations

import pickle
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from kuril_data import load
from kuril_data.model.package import read_package

from .conftest import ROOT

# What the build needs from the checkout: nothing else is copied, so the build never writes into it.
BUILD_INPUTS = ("pyproject.toml", "README.md", "datapackage.json", "schemas", "data", "src")
CHECK = """
import pickle, sys
from pathlib import Path
import kuril_data
from kuril_data.load import default_source
print(Path(kuril_data.__file__).resolve().parent)
print(default_source())
with open(sys.argv[1], "wb") as f:
    pickle.dump(kuril_data.load(), f)
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built offline from a copy of the checkout."""
    root = tmp_path_factory.mktemp("wheel")
    src = root / "src"
    src.mkdir()
    for name in BUILD_INPUTS:
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copyfile)(
            ROOT / name, src / name, **({"ignore": shutil.ignore_patterns("__pycache__", "*.egg-info")}
                                        if (ROOT / name).is_dir() else {}))
    out = root / "out"
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--no-index", "-q", "-w", str(out), str(src)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    [built] = out.glob("kuril_data-*.whl")
    return built


def test_wheel_holds_the_package_data(wheel: Path) -> None:
    """datapackage.json, every schema and every CSV named in it are inside the wheel, byte-identical."""
    package, problems = read_package(ROOT)
    assert package is not None and not problems
    rels = {"datapackage.json"} | {r.path for r in package.resources} | {r.schema_path for r in package.resources}
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for rel in rels:
            assert zf.read(f"kuril_data/_package/{rel}") == (ROOT / rel).read_bytes(), rel
    assert all(n.startswith(("kuril_data/", "kuril_data-")) for n in names), sorted(names)


def test_installed_wheel_loads_offline_in_an_empty_folder(wheel: Path, tmp_path: Path) -> None:
    """Unpacked alone on the path, in an empty folder, load() reads the bundled data and equals the repository's."""
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)  # our own freshly built wheel: its member names are trusted
    empty = tmp_path / "empty"
    empty.mkdir()
    frames = tmp_path / "frames.pickle"
    deps = sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]
    # -S: no site-packages .pth files, so the editable install of this checkout is not on the path.
    done = subprocess.run([sys.executable, "-S", "-c", CHECK, str(frames)], cwd=empty, capture_output=True,
                          text=True, timeout=120, check=False,
                          env={"PYTHONPATH": ":".join([str(site), *deps]), "PATH": "/usr/bin:/bin",
                               "HOME": str(tmp_path), "MPLCONFIGDIR": str(tmp_path / "mpl")})
    assert done.returncode == 0, done.stderr
    package_dir, source = done.stdout.splitlines()
    assert Path(package_dir) == site / "kuril_data"
    assert Path(source) == site / "kuril_data" / "_package"
    with open(frames, "rb") as f:
        got = pickle.load(f)  # written just now by the subprocess above
    expected = load(source=ROOT)
    assert list(got) == list(expected)
    for name in expected:
        assert_frame_equal(got[name], expected[name], check_exact=True)


def test_wheel_ships_the_release_registry(wheel: Path) -> None:
    """The registry of published releases (kuril_data/releases.json) is inside the wheel, as in the repository."""
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("kuril_data/releases.json") == (ROOT / "src" / "kuril_data" / "releases.json").read_bytes()


def test_wheel_ships_the_site_templates_and_assets(wheel: Path) -> None:
    """Every template and asset of the static site is in the wheel, so `kuril-data site` works when installed."""
    site = ROOT / "src" / "kuril_data" / "outputs" / "site"
    wanted = {f"kuril_data/outputs/site/{p.relative_to(site).as_posix()}" for sub in ("templates", "static")
              for p in (site / sub).iterdir()}
    assert wanted
    with zipfile.ZipFile(wheel) as zf:
        assert wanted <= set(zf.namelist())


def test_installing_the_wheel_leaves_older_pandas_and_pyarrow_alone(wheel: Path) -> None:
    """In a fresh venv holding pandas 2.2.3 and pyarrow 17 (within the declared ranges), installing the wheel
    as a user would (no constraints) changes neither, and load() works: scripts/check-older-deps.sh."""
    import os

    if not os.environ.get("CI"):
        pytest.skip("installs pandas and pyarrow from the package index into a fresh venv; runs when CI is set")
    done = subprocess.run(["bash", str(ROOT / "scripts" / "check-older-deps.sh"), str(wheel)], capture_output=True,
                          text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: pandas 2.2.3, pyarrow 17.0.0 unchanged; load() gave" in done.stdout
