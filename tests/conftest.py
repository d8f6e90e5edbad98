"""Shared fixtures: build real package folders from the files under tests/fixtures."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
VALID = FIXTURES / "valid"
INVALID = FIXTURES / "invalid"
FIXTURE_SOURCES = FIXTURES / "sources"
# The source texts: beside the checkout, or wherever $KURIL_DATA_SOURCES says (the workflow fetches
# them from the mirror into a folder and names it there).
SEEDS = Path(os.environ.get("KURIL_DATA_SOURCES") or ROOT.parent / "shared" / "seeds")
DOWNLOAD_ENV = ("KURIL_DATA_SOURCES", "KURIL_DATA_SOURCES_URL", "KURIL_DATA_RELEASES_URL")


def build_package(dest: Path, case: Path | None = None) -> Path:
    """Copy the repository's descriptor and schemas plus the valid fixture data into `dest`,
    then lay the files of an invalid case over it."""
    shutil.copy(ROOT / "datapackage.json", dest / "datapackage.json")
    shutil.copytree(ROOT / "schemas", dest / "schemas")
    shutil.copytree(VALID / "data", dest / "data")
    if case is not None:
        expect = json.loads((case / "expect.json").read_text(encoding="utf-8"))
        for rel in expect.get("delete", []):
            (dest / rel).unlink()
        for path in case.rglob("*"):
            if path.is_file() and path.name != "expect.json":
                target = dest / path.relative_to(case)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(path, target)
    return dest


@pytest.fixture
def valid_package(tmp_path: Path) -> Path:
    return build_package(tmp_path)


def seeds_or_skip() -> Path:
    """The real seeds: skipped with a reason outside CI, a hard failure in CI."""
    if SEEDS.is_dir():
        return SEEDS
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but the seeds folder {SEEDS} is missing")
    pytest.skip(f"seeds folder {SEEDS} not present (it is only next to CI checkouts)")


@pytest.fixture(autouse=True, scope="session")
def isolated_downloads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test reads or fills the user's cache or picks up the caller's sources or mirror settings.

    Session-scoped (so Hypothesis tests may use it); a test that needs its own cache sets
    KURIL_DATA_CACHE_DIR with monkeypatch.
    """
    saved = {k: os.environ.get(k) for k in (*DOWNLOAD_ENV, "KURIL_DATA_CACHE_DIR")}
    for key in DOWNLOAD_ENV:
        os.environ.pop(key, None)
    os.environ["KURIL_DATA_CACHE_DIR"] = str(tmp_path_factory.mktemp("user-cache"))
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # no request log on stderr
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 (an ephemeral port) in a thread; yield its base URL."""
    with serve_with(partial(_QuietHandler, directory=str(folder))) as url:
        yield url


@contextmanager
def serve_with(handler: Any) -> Iterator[str]:
    """Run a real HTTP server with request `handler` on 127.0.0.1 (an ephemeral port) in a thread;
    yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: every request fails to connect."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
