"""Fuzzing: hostile descriptors, schemas, CSV bytes, zips and SQLite files from grammars of the shapes
attacks use, against the contract every command keeps.

The contract: exit 0, 1 or 2; no traceback and no "internal error"; `load()` raises only LoadError;
nothing written outside the output or a temporary folder (and temporary folders removed); each
example within a time bound (hypothesis' deadline) and a memory bound (tracemalloc's peak).

A short budget runs by default (CI). For a long run: `KURIL_DATA_FUZZ=500 pytest tests/test_fuzz.py`
(examples per test; see SECURITY.md).
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kuril_data.cli import cli
from kuril_data.io.download import Budget, DownloadError, download, url_for
from kuril_data.load import LoadError, load
from kuril_data.release.build import build_release

from .conftest import ROOT, VALID, build_package, serve_with

EXAMPLES = int(os.environ.get("KURIL_DATA_FUZZ", "10"))
MAX_PEAK_BYTES = 256 * 2**20
FUZZ = settings(max_examples=EXAMPLES, deadline=timedelta(seconds=30), derandomize=not os.environ.get(
    "KURIL_DATA_FUZZ"), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                               HealthCheck.data_too_large])
NAME = "kuril-data-0.1.0"

# --- grammars of hostile values ----------------------------------------------------------------------

HOSTILE_PATHS = ["data/places.csv", "/etc/passwd", "../outside.csv", "data/../../outside.csv", "data\\x.csv",
                 "C:/x.csv", "C:x.csv", "http://127.0.0.1/x.csv", "data//places.csv", "./data/places.csv",
                 "data/\x1b[2J.csv", "", "data", "schemas/places.json", "datapackage.json", "data/places.csv/",
                 "data/ places.csv", "data/places.CSV", "~/x.csv", "data/\u202e.csv"]
HOSTILE_NAMES = ["places", "events_fts_data", "_metadata", "sqlite_master", "Places", "a b", "", "quotations_fts",
                 "x" * 300, "events_with_actors_and_places", "p\x1b[31m"]
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=8),
                    st.sampled_from(HOSTILE_PATHS + HOSTILE_NAMES),
                    st.just(10**30), st.just(-(2**63) - 1), st.just("abc"), st.just("2020-02-30"))
HOSTILE = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from([
        "name", "path", "schema", "fields", "type", "constraints", "reference", "resource", "primaryKey",
        "foreignKeys", "enum", "minimum", "maximum", "pattern", "x-kuril-edtf", "x-kuril-exactly-one-of"]),
        inner, max_size=3)), max_leaves=6)
KEYS = ["primaryKey", "foreignKeys", "x-kuril-exactly-one-of", "constraints", "minimum", "maximum", "enum",
        "maxLength", "minLength", "required", "unique", "pattern", "type", "name", "path", "schema", "resources",
        "fields", "reference", "x-kuril-edtf"]


def _locations(doc: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) of a JSON tree, so a mutation can land anywhere."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield doc, key
            yield from _locations(value)
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield doc, i
            yield from _locations(value)


@st.composite
def mutated(draw: st.DrawFn, doc: Any) -> Any:
    """`doc` with one to three values replaced, keys added or entries repeated by hostile ones."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        places = list(_locations(doc))
        container, key = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["replace", "add", "repeat"]))
        if action == "add" and isinstance(container, dict):
            container[draw(st.sampled_from(KEYS))] = draw(HOSTILE)
        elif action == "repeat" and isinstance(container, list):
            container.extend([container[key]] * draw(st.integers(1, 300)))
        else:
            container[key] = draw(HOSTILE)
    return doc


CELL_PIECES = [b"a", b"\xc3\xa9", b"e\xcc\x81", b",", b'"', b'""', b"\r", b"\n", b"\r\n", b"\x00", b"\xef\xbb\xbf",
               b"\xff", b"\x1b[2J", b" ", b"=cmd()", b"moscow", b"1956-10-19", b"\xe2\x80\xae", b"9" * 25]


@st.composite
def csv_bytes(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from([b"place_id,name,kind,part_of,description", b"name,place_id,kind,part_of,description",
                                   b"place_id,name", b"", b"\xef\xbb\xbfplace_id,name,kind,part_of,description",
                                   b'"place_id","name","kind","part_of","description"']))
    pieces = st.lists(st.sampled_from(CELL_PIECES), max_size=4).map(b"".join)
    rows = draw(st.lists(st.lists(pieces, min_size=0, max_size=7).map(b",".join), max_size=6))
    end = draw(st.sampled_from([b"\n", b"\r\n", b"\r", b""]))
    return end.join([header, *rows]) + draw(st.sampled_from([b"", end]))


ZIP_NAMES = [f"{NAME}//etc/owned.csv", "/etc/owned.csv", f"{NAME}/../owned.csv", "C:/owned.csv",
             f"{NAME}/data\\..\\..\\owned.csv", f"{NAME}/./data/places.csv", f"{NAME}//data/places.csv",
             f"{NAME}/data/places.csv", f"{NAME}/datapackage.json", "datapackage.json", "kuril-data.json",
             f"{NAME}/kuril-data.json", f"{NAME}/\x1b.csv", f"{NAME}/data/", f"{NAME}/schemas/places.json"]

SQL_MUTATIONS = [
    "DROP TABLE _metadata",
    "CREATE VIEW _metadata AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
    "SELECT 'version' AS key, i AS value FROM n",
    "UPDATE _metadata SET value = '9.9.9' WHERE key = 'version'",
    "UPDATE places SET name = CAST(X'C328FF' AS TEXT)",
    "UPDATE places SET part_of = 'atlantis'",
    "DELETE FROM places",
    "DROP TABLE places",
    "CREATE VIEW places AS SELECT zeroblob(50000000) AS place_id, 1 AS name, 1 AS kind, 1 AS part_of, "
    "1 AS description",
    "ALTER TABLE places RENAME COLUMN name TO nom",
    "ALTER TABLE events ADD COLUMN extra TEXT",
    "INSERT INTO places VALUES ('x\x1b', 'X', 'city', NULL, NULL)",
    "DROP TABLE quotations_fts",
    "CREATE TABLE places_2 AS SELECT * FROM places",
]

# --- the contract -------------------------------------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@contextmanager
def contract(tmp_path: Path, allowed: Callable[[str], bool] = lambda rel: False) -> Iterator[None]:
    """Nothing new outside `allowed` files under tmp_path, temp folders gone, memory peak bounded."""
    temp = tmp_path / "system-temp"
    temp.mkdir(exist_ok=True)
    before = _snapshot(tmp_path)
    old_tempdir = tempfile.tempdir
    tempfile.tempdir = str(temp)
    tracemalloc.start()
    try:
        yield
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        tempfile.tempdir = old_tempdir
    assert peak < MAX_PEAK_BYTES, f"peak Python memory {peak} bytes"
    assert not any(temp.iterdir()), f"temporary files left: {list(temp.iterdir())}"
    after = _snapshot(tmp_path)
    changed = {rel for rel in set(before) | set(after) if before.get(rel) != after.get(rel) and not allowed(rel)}
    assert not changed, f"written outside the output: {sorted(changed)}"


def run_cli(*args: str) -> str:
    """Run a command in-process; assert the exit-code contract and return its output."""
    result = CliRunner().invoke(cli, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{args}: uncaught {type(result.exception).__name__}: {result.exception}")
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result.output


def load_contract(source: Path) -> None:
    """load() returns frames or raises LoadError, never anything else."""
    with suppress(LoadError):
        load(source=source)


def _own_csv(rel: str) -> bool:
    """A CSV file of the package's own data folder: the only files fmt may rewrite."""
    return rel.startswith("pkg/data/") and rel.count("/") == 2 and rel.endswith(".csv")


def _fresh_package(tmp_path: Path) -> Path:
    pkg = tmp_path / "pkg"
    if pkg.exists():
        shutil.rmtree(pkg)
    pkg.mkdir()
    return build_package(pkg)


# --- the fuzz tests -----------------------------------------------------------------------------------

DESCRIPTOR = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
SCHEMAS = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "schemas").glob("*.json"))}


@FUZZ
@given(descriptor=mutated(DESCRIPTOR))
def test_fuzz_descriptor(tmp_path_factory: pytest.TempPathFactory, descriptor: Any) -> None:
    """A mutated datapackage.json: validate, fmt --check, diff and load keep the contract; fmt
    rewrites at most the package's own CSV files, never a path the descriptor points elsewhere."""
    tmp_path = tmp_path_factory.mktemp("fuzz-desc")
    pkg = _fresh_package(tmp_path)
    (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    with contract(tmp_path):
        run_cli("validate", str(pkg), "--format", "json")
        run_cli("fmt", "--check", str(pkg))
        run_cli("diff", str(pkg), str(pkg))
        load_contract(pkg)
    with contract(tmp_path, allowed=_own_csv):
        run_cli("fmt", str(pkg))


@FUZZ
@given(name=st.sampled_from(sorted(SCHEMAS)), data=st.data())
def test_fuzz_schema(tmp_path_factory: pytest.TempPathFactory, name: str, data: st.DataObject) -> None:
    """A mutated Table Schema: validate (text and github), diff and load keep the contract."""
    schema = data.draw(mutated(SCHEMAS[name]))
    tmp_path = tmp_path_factory.mktemp("fuzz-schema")
    pkg = _fresh_package(tmp_path)
    (pkg / "schemas" / name).write_text(json.dumps(schema), encoding="utf-8")
    with contract(tmp_path):
        run_cli("validate", str(pkg))
        run_cli("validate", str(pkg), "--format", "github")
        run_cli("diff", str(pkg), str(pkg), "--format", "markdown")
        load_contract(pkg)
    with contract(tmp_path, allowed=_own_csv):
        run_cli("fmt", str(pkg))


@FUZZ
@given(raw=csv_bytes())
def test_fuzz_csv(tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    """Hostile CSV bytes: validate and load keep the contract; fmt writes only that file, and what it
    writes is canonical (a second fmt --check passes)."""
    tmp_path = tmp_path_factory.mktemp("fuzz-csv")
    pkg = _fresh_package(tmp_path)
    (pkg / "data" / "places.csv").write_bytes(raw)
    with contract(tmp_path, allowed=lambda rel: rel == "pkg/data/places.csv"):
        run_cli("validate", str(pkg))
        load_contract(pkg)
        run_cli("fmt", str(pkg))
        after = (pkg / "data" / "places.csv").read_bytes()
        if after != raw:  # fmt rewrote it: the result must be stable
            assert "would reformat" not in run_cli("fmt", "--check", str(pkg))


VICTIM = "{victim}"  # replaced by an absolute path outside the test's folder: the issue-15 attack's target
ZIP_NAMES += [f"{NAME}/{VICTIM}", f"{NAME}//{VICTIM}", VICTIM]
HOSTILE_ZIP = st.tuples(
    st.lists(st.tuples(st.sampled_from(ZIP_NAMES), st.sampled_from([b"x", b"place_id\nowned\n", b"{}"]),
                       st.booleans()), max_size=4),
    st.one_of(st.none(), mutated(DESCRIPTOR)),
    st.booleans())  # the descriptor names the victim's absolute path as a resource path


def _hostile_zip(tmp_path: Path, tag: str, victim: Path, spec: tuple[list[tuple[str, bytes, bool]], Any, bool]) -> Path:
    """A release zip built from the package with hostile members, links and descriptor; removes the package."""
    extra, descriptor, aim = spec
    pkg = _fresh_package(tmp_path)
    if descriptor is None and aim:
        descriptor = json.loads((pkg / "datapackage.json").read_text(encoding="utf-8"))
    if aim and isinstance(descriptor, dict) and isinstance(descriptor.get("resources"), list) \
            and descriptor["resources"] and isinstance(descriptor["resources"][0], dict):
        descriptor["resources"][0]["path"] = victim.as_posix()
    if descriptor is not None:
        (pkg / "datapackage.json").write_text(json.dumps(descriptor), encoding="utf-8")
    z = tmp_path / f"{tag}.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(pkg.rglob("*")):
            if path.is_file():
                zf.writestr(f"{NAME}/{path.relative_to(pkg).as_posix()}", path.read_bytes())
        for name, data, link in extra:
            info = zipfile.ZipInfo(name.replace(VICTIM, victim.as_posix().lstrip("/")) if name != VICTIM
                                   else victim.as_posix())
            if link:
                info.external_attr = 0o120777 << 16
            zf.writestr(info, data)
    shutil.rmtree(pkg)
    return z


@pytest.mark.filterwarnings("ignore:Duplicate name")  # a member twice is one of the attacks
@FUZZ
@given(old=HOSTILE_ZIP, new=HOSTILE_ZIP)
def test_fuzz_zip(tmp_path_factory: pytest.TempPathFactory, old: Any, new: Any) -> None:
    """Release zips with hostile member names (the issue-15 double slash before an absolute path
    among them), links and a mutated descriptor that may name that absolute path: load, validate,
    and diff of two such zips keep the contract and write nothing outside a temporary folder: not
    the victim path (outside the test's folder), not anywhere in it."""
    tmp_path = tmp_path_factory.mktemp("fuzz-zip")
    victim = tmp_path_factory.mktemp("fuzz-victim") / "owned.csv"
    first = _hostile_zip(tmp_path, "old", victim, old)
    second = _hostile_zip(tmp_path, "new", victim, new)
    with contract(tmp_path):
        load_contract(first)
        run_cli("validate", str(first))
        run_cli("diff", str(first), str(first))
        for fmt in ("text", "markdown", "json"):
            run_cli("diff", str(first), str(second), "--format", fmt)
    assert not victim.exists() and not any(victim.parent.iterdir())
    assert not Path("/etc/owned.csv").exists()


@pytest.fixture(scope="module")
def release_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-release")
    pkg = root / "pkg"
    pkg.mkdir()
    build_package(pkg)
    (pkg / "CHANGELOG.md").write_text("# Changelog\n\n## [0.1.0]\n\n- x\n", encoding="utf-8")
    return build_release(pkg, root / "dist")


@FUZZ
@given(mutations=st.lists(st.sampled_from(SQL_MUTATIONS), min_size=1, max_size=3))
def test_fuzz_sqlite(tmp_path_factory: pytest.TempPathFactory, release_sqlite: Path, mutations: list[str]) -> None:
    """A release's SQLite file altered (views for tables, bad text, blobs, missing tables): load and
    validate keep the contract; views are never run (an endless one would hang)."""
    tmp_path = tmp_path_factory.mktemp("fuzz-sqlite")
    folder = tmp_path / "rel"
    shutil.copytree(release_sqlite, folder)
    db_path = folder / "kuril-data.sqlite"
    db = sqlite3.connect(db_path)
    db.execute("PRAGMA foreign_keys = OFF")
    for sql in mutations:
        with suppress(sqlite3.Error):  # a mutation that does not apply to this state
            db.execute(sql)
    db.commit()
    db.close()
    with contract(tmp_path):
        load_contract(db_path)
        run_cli("validate", str(db_path))
        run_cli("diff", str(release_sqlite / "kuril-data.sqlite"), str(db_path))


def test_fuzz_budget_is_documented() -> None:
    """The long run's switch is named in SECURITY.md, so it can be found."""
    assert "KURIL_DATA_FUZZ" in (ROOT / "SECURITY.md").read_text(encoding="utf-8")
    assert VALID.is_dir()


# --- a hostile mirror -------------------------------------------------------------------------------
# A real http.server on 127.0.0.1 in a thread that misbehaves as a mirror may: slow, huge, compressed,
# redirecting, lying about its length. Every loop on its side is bounded (it stops by itself when the
# client has gone or after MIRROR_SECONDS); the client must refuse within its budget, keep nothing, and
# never raise anything but DownloadError.

MIRROR_SECONDS = 3.0
BODY = b"the pinned file\n" * 64
BOMB = zlib.compress(b"\0" * (8 * 2**20), 9)  # 8 MiB of zeros in ~8 KB


class _HostileMirror(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _head(self, code: int = 200, **headers: str) -> None:
        self.send_response(code)
        for k, v in headers.items():
            self.send_header(k.replace("_", "-"), v)
        self.end_headers()

    def do_GET(self) -> None:
        mode = self.path.strip("/").split("/")[0]
        stop = time.monotonic() + MIRROR_SECONDS
        with suppress(OSError):
            if mode == "ok":
                self._head(Content_Length=str(len(BODY)))
                self.wfile.write(BODY)
            elif mode == "slow":  # one byte every 0.05 s, and a length that promises 10 MB
                self._head(Content_Length=str(10**5))
                while time.monotonic() < stop:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            elif mode == "silent":  # headers, then nothing
                self._head(Content_Length=str(len(BODY)))
                time.sleep(MIRROR_SECONDS)
            elif mode == "huge-length":
                self._head(Content_Length=str(10**12))
                self.wfile.write(BODY)
            elif mode == "huge":  # no length, just bytes until the client goes
                self._head(Connection="close")
                chunk = b"\0" * 65536
                while time.monotonic() < stop:
                    self.wfile.write(chunk)
            elif mode == "gzip":
                self._head(Content_Length=str(len(BOMB)), Content_Encoding="deflate")
                self.wfile.write(BOMB)
            elif mode == "short":  # promises more than it sends
                self._head(Content_Length=str(len(BODY) * 2), Connection="close")
                self.wfile.write(BODY)
            elif mode == "long":  # sends more than it promised (the rest is a next "response")
                self._head(Content_Length="10")
                self.wfile.write(BODY)
            elif mode == "loop":
                self._head(302, Location=self.path, Content_Length="0")
            elif mode == "ftp":
                self._head(302, Location="ftp://127.0.0.1/x", Content_Length="0")
            elif mode == "file":
                self._head(302, Location="file:///etc/passwd", Content_Length="0")
            elif mode == "redirect-ok":
                self._head(301, Location="/ok/file", Content_Length="0")
            else:
                self._head(404, Content_Length="0")


MIRROR_MODES = ["slow", "silent", "huge-length", "huge", "gzip", "short", "long", "loop", "ftp", "file", "missing"]


@pytest.fixture(scope="module")
def hostile_mirror() -> Iterator[str]:
    with serve_with(_HostileMirror) as url:
        yield url


MIRROR_BUDGET = Budget(max_bytes=1 * 2**20, seconds=1.0, read_timeout=0.5)


def test_hostile_mirror_serves_the_pinned_file(hostile_mirror: str, tmp_path: Path) -> None:
    """The harness's control: an honest answer (also after a redirect) is downloaded and verified."""
    for path in ("ok/file", "redirect-ok/file"):
        target = tmp_path / path.replace("/", "-")
        download(f"{hostile_mirror}/{path}", hashlib.sha256(BODY).hexdigest(), target, MIRROR_BUDGET)
        assert target.read_bytes() == BODY


@FUZZ
@given(mode=st.sampled_from(MIRROR_MODES), sub=st.text(alphabet="abc/%.", max_size=6))
def test_fuzz_hostile_mirror(hostile_mirror: str, tmp_path_factory: pytest.TempPathFactory, mode: str,
                             sub: str) -> None:
    """Each misbehaviour is refused with a DownloadError within the budget (plus one read timeout),
    in bounded memory, and leaves nothing in the target folder."""
    folder = tmp_path_factory.mktemp("mirror")
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(DownloadError) as caught:
            download(url_for(f"{hostile_mirror}/{mode}", sub or "f"), hashlib.sha256(BODY).hexdigest(),
                     folder / "f.txt", MIRROR_BUDGET)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < MIRROR_BUDGET.seconds + MIRROR_BUDGET.read_timeout + 0.5, mode
    assert peak < 16 * 2**20, (mode, peak)
    assert hostile_mirror in str(caught.value) or "://" in str(caught.value)
    assert list(folder.iterdir()) == [], mode


@pytest.mark.parametrize(("mode", "why"), [
    ("slow", "took longer than 1 s"), ("silent", "stopped sending"), ("huge-length", "announces 1000000000000 bytes"),
    ("huge", "more than 1048576 bytes"), ("gzip", "more than 1048576 bytes"), ("short", "but sent"),
    ("long", "checksum mismatch"), ("loop", "redirect"), ("ftp", "not an http(s) URL"), ("file", "not an http(s) URL"),
    ("missing", "HTTP 404"),
])
def test_hostile_mirror_reasons(hostile_mirror: str, tmp_path: Path, mode: str, why: str) -> None:
    """Each refusal says why, naming the URL."""
    with pytest.raises(DownloadError, match=re.escape(why)):
        download(f"{hostile_mirror}/{mode}/f", hashlib.sha256(BODY).hexdigest(), tmp_path / "f", MIRROR_BUDGET)
    assert not any(tmp_path.iterdir())
