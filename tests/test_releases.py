"""Pinned downloads of published releases: a real release built from this repository, served over HTTP
on 127.0.0.1, fetched, verified against the registry, cached and reused offline; and the registry itself."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas.testing as pdt
import pytest
from click.testing import CliRunner

import kuril_data
from kuril_data.cli import cli
from kuril_data.load import LoadError
from kuril_data.release import registry as releases
from kuril_data.release.build import build_release
from kuril_data.release.registry import ReleaseError, add_pins, append_only_problems, fetch_release, registry
from kuril_data.release.registry import pin as pin_zip

from .conftest import ROOT, closed_port_url, serve
from .test_release import releasable

VERSION = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))["version"]
ZIP = f"kuril-data-{VERSION}.zip"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The release zip of this repository's package, built from a copy of its files (no git, so no tag
    and no version-bump check: a data correction between releases builds too), SOURCE_DATE_EPOCH=1700000000."""
    pkg = tmp_path_factory.mktemp("pkg")
    for rel in ("datapackage.json", "CHANGELOG.md", "LICENSE", "LICENSE-DATA.md", "data", "schemas"):
        (shutil.copytree if (ROOT / rel).is_dir() else shutil.copyfile)(ROOT / rel, pkg / rel)
    out = tmp_path_factory.mktemp("dist")
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"
    try:
        build_release(pkg, out)
    finally:
        if saved is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    return out / ZIP


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KURIL_DATA_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def mirror(tmp_path: Path, zip_bytes: bytes, version: str = VERSION) -> Path:
    """A folder laid out like a GitHub Release's download URL: v{X}/kuril-data-{X}.zip."""
    folder = tmp_path / "mirror"
    (folder / f"v{version}").mkdir(parents=True)
    (folder / f"v{version}" / f"kuril-data-{version}.zip").write_bytes(zip_bytes)
    return folder


def pin(monkeypatch: pytest.MonkeyPatch, zip_bytes: bytes, version: str = VERSION) -> None:
    """Make the registry pin `version` to the SHA-256 of `zip_bytes`."""
    digest = hashlib.sha256(zip_bytes).hexdigest()
    monkeypatch.setattr(releases, "registry", lambda: {version: {"sha256": digest}})


@pytest.fixture
def served(built: Path, tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The real release on a local mirror, pinned in the registry; yields the mirror's URL."""
    data = built.read_bytes()
    pin(monkeypatch, data)
    with serve(mirror(tmp_path, data)) as url:
        monkeypatch.setenv("KURIL_DATA_RELEASES_URL", url)
        yield url


def _git(*args: str) -> str | None:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def test_the_registry_only_grows() -> None:
    """No published pin is rewritten or dropped: this checkout's registry holds every pin of main's (or
    origin/main's) and of every release tag's registry, unchanged. A pull request leaves the file alone.
    A pin counts as published when its version is tagged (before issue #20, `release` pinned untagged builds)."""
    tags = (_git("tag", "-l", "v*") or "").split()
    refs = [r for r in ("main", "origin/main") if _git("rev-parse", "--verify", "-q", r) is not None] + tags
    if not refs:
        pytest.skip("no main branch and no release tag in this checkout to compare the registry with")
    here = registry()
    for ref in refs:
        text = _git("show", f"{ref}:src/kuril_data/releases.json")
        if text is None:
            continue  # the file did not exist there
        old = {v: e for v, e in json.loads(text).get("releases", {}).items() if f"v{v}" in tags}
        assert append_only_problems(old, here) == [], ref


def test_the_registry_pins_only_published_releases() -> None:
    """Each pin is a full SHA-256 with its build date; a version pinned here has its release tag (once
    tags are fetched: the checkout of a release job or a maintainer's clone)."""
    tags = set((_git("tag", "-l", "v*") or "").split())
    for version, entry in registry().items():
        assert re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]), version
        assert isinstance(entry["source_date_epoch"], int) and entry["created"].endswith("Z"), version
        if tags:
            assert f"v{version}" in tags, f"{version} is pinned but was never tagged"


def test_load_version_equals_the_bundled_frames_and_works_offline(served: str, cache: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """load(version=) gives exactly the bundled data; once cached, it works with no server at all."""
    bundled = kuril_data.load()
    fetched = kuril_data.load(version=VERSION)
    assert list(fetched) == list(bundled)
    for name, frame in bundled.items():
        pdt.assert_frame_equal(fetched[name], frame)
    assert (cache / "releases" / VERSION / ZIP).is_file()
    assert (cache / "releases" / VERSION / f"kuril-data-{VERSION}" / "datapackage.json").is_file()
    monkeypatch.setenv("KURIL_DATA_RELEASES_URL", closed_port_url())  # the server is gone
    pdt.assert_frame_equal(kuril_data.load("events", version=VERSION), bundled["events"])
    result = CliRunner().invoke(cli, ["fetch", VERSION])
    assert result.exit_code == 0, result.output


def test_v_prefixed_versions_are_the_tag_people_copy(served: str, cache: Path) -> None:
    """load(version="v0.1.0") and `kuril-data fetch v0.1.0` name the release of tag v0.1.0."""
    bundled = kuril_data.load("events")
    pdt.assert_frame_equal(kuril_data.load("events", version=f"v{VERSION}"), bundled)
    result = CliRunner().invoke(cli, ["fetch", f"v{VERSION}"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"kuril-data {VERSION} (sha256 ")


def test_cli_fetch_out_copies_the_verified_release(served: str, built: Path, tmp_path: Path) -> None:
    """`fetch VERSION --out DIR` leaves the zip and its unpacked folder in DIR, every file as SHA256SUMS says."""
    result = CliRunner().invoke(cli, ["fetch", VERSION, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "out" / f"kuril-data-{VERSION}"
    assert result.output.splitlines() == [f"kuril-data {VERSION} (sha256 {sha256(built)}) verified", f"{folder}/",
                                          str(tmp_path / "out" / ZIP)]
    assert (tmp_path / "out" / ZIP).read_bytes() == built.read_bytes()
    for line in (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, rel = line.split("  ", 1)
        assert sha256(folder / rel) == digest, rel


def test_tampered_zip_is_refused_and_nothing_cached(built: Path, tmp_path: Path, cache: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip one byte different from the registered one: exit 2, checksum mismatch, the cache stays empty."""
    pin(monkeypatch, built.read_bytes())
    data = bytearray(built.read_bytes())
    data[len(data) // 2] ^= 1
    with serve(mirror(tmp_path, bytes(data))) as url:
        monkeypatch.setenv("KURIL_DATA_RELEASES_URL", url)
        result = CliRunner().invoke(cli, ["fetch", VERSION])
        with pytest.raises(LoadError, match="checksum mismatch"):
            kuril_data.load(version=VERSION)
    assert result.exit_code == 2
    assert result.output == (f"Error: release {VERSION}: {url}/v{VERSION}/{ZIP}: checksum mismatch, the file's "
                             f"SHA-256 is not the pinned {sha256(built)}; refusing it (nothing was kept)\n")
    assert not any(cache.rglob("*"))


def test_unknown_version(cache: Path) -> None:
    """A version the registry does not know: exit 2, naming the known ones; no network, nothing cached."""
    result = CliRunner().invoke(cli, ["fetch", "9.9.9"])
    assert result.exit_code == 2
    assert result.output.startswith("Error: unknown version '9.9.9': this kuril-data knows the published versions: ")
    with pytest.raises(LoadError, match="unknown version"):
        kuril_data.load(version="9.9.9")
    assert not any(cache.rglob("*"))


def test_network_failure(built: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No server at the releases URL: exit 2, one line, nothing cached."""
    pin(monkeypatch, built.read_bytes())
    monkeypatch.setenv("KURIL_DATA_RELEASES_URL", closed_port_url())
    result = CliRunner().invoke(cli, ["fetch", VERSION])
    assert result.exit_code == 2
    assert "download failed (Connection refused: network or server unreachable)" in result.output
    assert not any(cache.rglob("*"))


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(("data", "reason"), [
    (b"PK\x03\x04 this is not really a zip", "corrupt zip"),
    (_zip({"../evil.txt": b"x"}), "refusing the archive: member '../evil.txt' leaves the archive folder"),
    (_zip({"elsewhere/datapackage.json": b"{}"}), "is outside the folder kuril-data-"),
    (_zip({f"kuril-data-{VERSION}/README.md": b"hi"}), "not a kuril-data release"),
], ids=["corrupt", "traversal", "wrong-folder", "no-descriptor"])
def test_corrupt_or_unsafe_zip_with_a_matching_checksum(data: bytes, reason: str, tmp_path: Path, cache: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Even a zip the registry pins is unpacked only when it is a safe, readable release: else exit 2, no cache."""
    pin(monkeypatch, data)
    with serve(mirror(tmp_path, data)) as url:
        monkeypatch.setenv("KURIL_DATA_RELEASES_URL", url)
        result = CliRunner().invoke(cli, ["fetch", VERSION])
    assert result.exit_code == 2
    assert reason in result.output
    assert not any(cache.rglob("*"))


def test_release_records_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a release (the CLI, as contributors and CI do) leaves the registry exactly as it was."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pkg = releasable(tmp_path / "pkg")
    reg = pkg / "src" / "kuril_data" / "releases.json"
    reg.parent.mkdir(parents=True)
    reg.write_text('{"releases": {}}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["release", str(pkg), "--out", str(tmp_path / "dist")])
    assert result.exit_code == 0, result.output
    assert reg.read_text(encoding="utf-8") == '{"releases": {}}\n'


def test_pin_adds_the_built_zip_and_never_rewrites_a_pin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pin` (the release job) adds the zip's SHA-256 and its build date read from the zip; pinning the same zip
    again changes nothing; a different zip for a pinned version is refused and the file is left as it was."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    pkg = releasable(tmp_path / "pkg")
    reg = pkg / "src" / "kuril_data" / "releases.json"
    reg.parent.mkdir(parents=True)
    old = {"0.0.9": {"sha256": "0" * 64, "source_date_epoch": 1, "created": "1970-01-01T00:00:01Z"}}
    add_pins(reg, old)
    build_release(pkg, tmp_path / "dist")
    zip_path = tmp_path / "dist" / "kuril-data-0.1.0.zip"
    entry = pin_zip(pkg, "v0.1.0", zip_path)
    assert entry == {"sha256": sha256(zip_path), "source_date_epoch": 1700000000, "created": "2023-11-14T22:13:20Z"}
    assert registry(reg) == {**old, "0.1.0": entry}
    before = reg.read_bytes()
    pin_zip(pkg, "0.1.0", zip_path)
    assert reg.read_bytes() == before
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000002")
    build_release(pkg, tmp_path / "other")
    with pytest.raises(ReleaseError, match=r"0\.1\.0 was published with sha256 .*; its pin may never change"):
        pin_zip(pkg, "0.1.0", tmp_path / "other" / "kuril-data-0.1.0.zip")
    assert reg.read_bytes() == before


def test_record_merges_a_published_registry_append_only(tmp_path: Path) -> None:
    """`python -m kuril_data.release.registry record FILE` adds the published pins (exit 0); one that would
    change a pin is refused (exit 1, file unchanged); bad usage exits 2."""
    reg = tmp_path / "src" / "kuril_data" / "releases.json"
    reg.parent.mkdir(parents=True)
    one = {"sha256": "1" * 64, "source_date_epoch": 1, "created": "1970-01-01T00:00:01Z"}
    add_pins(reg, {"0.1.0": one})
    published = tmp_path / "published.json"
    published.write_text(json.dumps({"releases": {"0.1.0": one, "0.1.1": {**one, "sha256": "2" * 64}}}))

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "kuril_data.release.registry", *argv], cwd=tmp_path,
                              capture_output=True, text=True, check=False)

    done = run("record", str(published))
    assert done.returncode == 0, done.stderr
    assert sorted(registry(reg)) == ["0.1.0", "0.1.1"]
    before = reg.read_bytes()
    published.write_text(json.dumps({"releases": {"0.1.0": {**one, "sha256": "3" * 64}}}))
    done = run("record", str(published))
    assert done.returncode == 1
    assert "version 0.1.0 was published with sha256 " + "1" * 64 in done.stderr
    assert reg.read_bytes() == before
    assert run("pin").returncode == 2
    assert append_only_problems({"0.1.0": one}, {}) == ["version 0.1.0 was published but its pin was removed"]


class _Metadata:
    def __init__(self, urls: list[str]) -> None:
        self.urls = urls

    def get_all(self, name: str) -> list[str] | None:
        return self.urls if name == "Project-URL" else None


@pytest.mark.parametrize(("urls", "expected"), [
    (["Homepage, https://example.org/kd", "Releases, https://example.org/o/kd/releases"],
     "https://example.org/o/kd/releases/download"),
    (["Release downloads, https://mirror.example.org/kd/"], "https://mirror.example.org/kd"),
])
def test_releases_url_from_package_metadata(urls: list[str], expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The base URL is the package's 'Releases' Project-URL (a GitHub releases page gains /download);
    KURIL_DATA_RELEASES_URL overrides it."""
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: _Metadata(urls))
    assert releases.releases_url() == expected
    monkeypatch.setenv("KURIL_DATA_RELEASES_URL", "http://127.0.0.1:1/m")
    assert releases.releases_url() == "http://127.0.0.1:1/m"


def test_no_releases_url_is_a_clear_error(built: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Package metadata without a Releases URL and no KURIL_DATA_RELEASES_URL: exit 2 saying what to set."""
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: _Metadata(["Homepage, https://example.org"]))
    pin(monkeypatch, built.read_bytes())
    result = CliRunner().invoke(cli, ["fetch", VERSION])
    assert result.exit_code == 2
    assert "no releases URL" in result.output and "KURIL_DATA_RELEASES_URL" in result.output
    assert not any(cache.rglob("*"))


def test_stale_cache_is_downloaded_again(served: str, cache: Path) -> None:
    """A cached zip edited after download no longer verifies, so it is replaced by a fresh verified copy."""
    first = fetch_release(VERSION)
    first.zip.write_bytes(b"edited")
    shutil.rmtree(first.folder)
    again = fetch_release(VERSION)
    assert sha256(again.zip) == again.sha256
    assert (again.folder / "datapackage.json").is_file()



@pytest.mark.parametrize(("member", "reason"), [
    ("{top}/data/../../../{victim}", "leaves the archive folder ('..')"),
    ("{top}\\..\\..\\{victim}", "has a backslash in its path"),
    ("C:/{victim}", "has an absolute path"),
    ("/{victim}", "has an absolute path"),
    ("{top}/./data//../../{victim}", "leaves the archive folder ('..')"),
    ("{top}/datapackage.json/", "in the archive twice (after normalising its name)"),
], ids=["dotdot", "backslash", "drive", "absolute", "dotdot-after-normalising", "duplicate-after-normalising"])
def test_release_member_names_are_judged_after_normalising(member: str, reason: str, tmp_path: Path, cache: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """fetch judges a pinned zip's member names with the one check every zip reader uses (archive.py):
    names are normalised first; an unsafe one refuses the whole zip (exit 2), nothing is written."""
    top = f"kuril-data-{VERSION}"
    victim = (tmp_path / "victim" / "owned.txt").as_posix().lstrip("/")
    data = _zip({f"{top}/datapackage.json": b"{}", member.format(top=top, victim=victim): b"owned"})
    pin(monkeypatch, data)
    with serve(mirror(tmp_path, data)) as url:
        monkeypatch.setenv("KURIL_DATA_RELEASES_URL", url)
        result = CliRunner().invoke(cli, ["fetch", VERSION, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert reason in result.output
    assert not (tmp_path / "victim").exists() and not (tmp_path / "out").exists()
    assert not any(cache.rglob("*"))


def test_release_double_slash_member_stays_inside_and_out_gets_the_whole_folder(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member 'kuril-data-X//<absolute path>' (issue 15) is read by its normalised name: it lands
    inside the release folder, never at the absolute path; --out still delivers every member."""
    top = f"kuril-data-{VERSION}"
    victim = tmp_path / "victim" / "owned.txt"
    data = _zip({f"{top}/datapackage.json": b"{}", f"{top}/./README.md": b"readme",
                 f"{top}//{victim.as_posix()}": b"owned", f"{top}/dir/": b""})
    pin(monkeypatch, data)
    with serve(mirror(tmp_path, data)) as url:
        monkeypatch.setenv("KURIL_DATA_RELEASES_URL", url)
        result = CliRunner().invoke(cli, ["fetch", VERSION, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert not victim.parent.exists()
    folder = tmp_path / "out" / top
    inside = folder.joinpath(*victim.as_posix().lstrip("/").split("/"))
    assert inside.read_bytes() == b"owned"
    assert (folder / "README.md").read_bytes() == b"readme" and (folder / "datapackage.json").read_bytes() == b"{}"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [top, f"{top}.zip"]


# --- hostile caches, mirrors and settings (issue 23) -------------------------------------------------

def test_tampered_cached_folder_is_never_copied_or_verified(served: str, cache: Path, tmp_path: Path) -> None:
    """A cached release folder edited after download: `fetch --out` copies the folder unpacked fresh
    from the verified zip, never the edited one, and the cache is repaired too."""
    first = fetch_release(VERSION)
    descriptor = first.folder / "datapackage.json"
    pristine = descriptor.read_bytes()
    descriptor.write_text('{"tampered": true}', encoding="utf-8")
    (first.folder / "extra.html").write_text("<script>alert(1)</script>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["fetch", VERSION, "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out" / f"kuril-data-{VERSION}"
    assert (out / "datapackage.json").read_bytes() == pristine
    assert not (out / "extra.html").exists()
    again = fetch_release(VERSION)
    assert (again.folder / "datapackage.json").read_bytes() == pristine
    assert not (again.folder / "extra.html").exists()


def test_ftp_mirror_is_a_clear_error(built: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ftp:// releases URL names the URL and the rule, never 'cannot write <cache path>'."""
    pin(monkeypatch, built.read_bytes())
    monkeypatch.setenv("KURIL_DATA_RELEASES_URL", "ftp://127.0.0.1:1/m")
    result = CliRunner().invoke(cli, ["fetch", VERSION])
    assert result.exit_code == 2
    assert "ftp://127.0.0.1:1/m/" in result.output and "not an http(s) URL" in result.output
    assert "cannot write" not in result.output
    assert not any(cache.rglob("*"))


@pytest.mark.parametrize("blocked", ["cache", "cache/releases", f"cache/releases/{VERSION}"])
def test_file_in_place_of_the_cache_folder(served: str, cache: Path, blocked: str, tmp_path: Path) -> None:
    """A file where a cache folder should be: LoadError from load(), exit 2 from fetch, never an OSError."""
    (tmp_path / blocked).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / blocked).write_text("not a folder", encoding="utf-8")
    with pytest.raises(LoadError, match=r"not a folder|cannot write"):
        kuril_data.load("events", version=VERSION)
    result = CliRunner().invoke(cli, ["fetch", VERSION])
    assert result.exit_code == 2 and result.output.startswith("Error: release"), result.output


def test_cache_dir_expands_the_home(served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """KURIL_DATA_CACHE_DIR='~/x' is the x folder in the home, not a literal './~' folder."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KURIL_DATA_CACHE_DIR", "~/x")
    monkeypatch.chdir(tmp_path)
    result = fetch_release(VERSION)
    assert result.zip == tmp_path / "home" / "x" / "releases" / VERSION / ZIP
    assert not (tmp_path / "~").exists()


def test_unknown_users_home_is_a_clear_error(served: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KURIL_DATA_CACHE_DIR", "~no-such-user-kuril/x")
    with pytest.raises(LoadError, match="KURIL_DATA_CACHE_DIR='~no-such-user-kuril/x': cannot expand"):
        kuril_data.load(version=VERSION)
    result = CliRunner().invoke(cli, ["fetch", VERSION])
    assert result.exit_code == 2 and "cannot expand" in result.output, result.output
