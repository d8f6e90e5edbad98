"""Rehearse the whole publication chain locally, on a scratch clone, before a maintainer pushes a tag.

    python scripts/rehearse_release.py --sources FOLDER [--repo PATH] [--work DIR]

Nothing leaves this machine: every server listens on 127.0.0.1 and is stopped at the end.

1. Clone the repository (its committed HEAD) into a scratch folder; release version X is the version of
   pyproject.toml (a patch above it when X is already tagged or pinned there), and tag it vX.
2. Run the release job's own steps, the scripts .github/workflows/release.yml runs: scripts/release-check.sh
   (tag, canonical CSVs, validate with the verbatim checks against source texts fetched from a mirror,
   here FOLDER served over HTTP as $KURIL_DATA_SOURCES_URL) and scripts/release-build.sh (the zip built
   twice and compared, its pin written into the registry, wheel and sdist, `twine check --strict`).
3. Publish: upload the wheel and sdist with twine to a real package index (pypiserver), and lay the GitHub
   Release's files out as its download URLs are ($KURIL_DATA_RELEASES_URL: vX/<file>) on an HTTP mirror.
4. As an analyst: a fresh venv holding older pandas and pyarrow (those of scripts/check-older-deps.sh);
   `pip install kuril-data==X` from that index (its dependencies from pip's usual configuration), which
   must leave pandas and pyarrow alone; then `kuril_data.load(version=X)` from the mirror, verified.
5. Record the published registry in the repository (CONTRIBUTING.md, "Releasing"), correct one word of
   an event summary (no version bump: the registry stays untouched), then release X+1 (patch) the same way:
   X's pin unchanged, X still loads and verifies with the wheel of X+1, `kuril-data diff` X -> X+1 advises
   a patch bump, and every download link of the published site answers.

Exit 0 when every step passed; otherwise the failing step's output and exit 1. `rehearse(..., hook=)`
lets the tests break one step on purpose (tests/test_rehearsal.py) to show each check can fail.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OLDER = {"pandas": "2.2.3", "pyarrow": "17.0.0"}  # as scripts/check-older-deps.sh
Hook = Callable[[str, "Rehearsal"], None]


class Failed(Exception):
    """A step of the chain failed: the message says which and why."""


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextlib.contextmanager
def http_folder(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1; yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def package_index(folder: Path, python: str) -> Iterator[str]:
    """A real package index (pypiserver) on 127.0.0.1 serving `folder`, open to uploads, with no
    fallback to PyPI; yield its URL. Stopped (and waited for) on exit."""
    port = free_port()
    log = open(folder.parent / "pypiserver.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([python, "-m", "pypiserver", "run", "-i", "127.0.0.1", "-p", str(port), "-a", ".",
                             "-P", ".", "--disable-fallback", "--server", "wsgiref", str(folder)],
                            stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/health", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    raise Failed(f"pypiserver exited: {(folder.parent / 'pypiserver.log').read_text()}") from None
                time.sleep(0.1)
        else:
            raise Failed("pypiserver did not answer within 10 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def run(*args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None, step: str) -> str:
    """Run a command; raise Failed naming `step` with its output when it fails."""
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, check=False,
                          timeout=900)
    if done.returncode != 0:
        raise Failed(f"{step}: `{' '.join(str(a) for a in args)}` exited {done.returncode}\n"
                     f"{done.stdout[-4000:]}{done.stderr[-4000:]}")
    return done.stdout


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def next_patch(version: str) -> str:
    major, minor, patch = (int(x) for x in re.match(r"(\d+)\.(\d+)\.(\d+)", version).groups())  # type: ignore[union-attr]
    return f"{major}.{minor}.{patch + 1}"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.inside = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section" and ("aria-labelledby", "downloads-h") in attrs:
            self.inside = 1
        elif self.inside and tag == "section":
            self.inside += 1
        if self.inside and tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)

    def handle_endtag(self, tag: str) -> None:
        if self.inside and tag == "section":
            self.inside -= 1


class Rehearsal:
    """The scratch clone, the published files and the servers of one rehearsal."""

    def __init__(self, repo: Path, work: Path, sources: Path, python: str, hook: Hook | None) -> None:
        self.repo, self.work, self.sources, self.python, self.hook = repo, work, sources, python, hook
        self.clone = work / "clone"
        self.packages = work / "index"  # what was uploaded to the package index
        self.mirror = work / "mirror"   # the GitHub Releases' files: vX/<file>
        self.analyst = work / "analyst"
        self.index_url = self.mirror_url = self.sources_url = ""
        self.log: list[str] = []

    # --- helpers ---------------------------------------------------------------------------------

    def say(self, line: str) -> None:
        self.log.append(line)
        print(line, flush=True)

    def step(self, name: str) -> None:
        """Mark a step done and let a test break the chain right after it."""
        self.say(f"ok: {name}")
        if self.hook is not None:
            self.hook(name, self)

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of the release scripts: this Python runs the clone's own code."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("KURIL_DATA_")}
        env.update(PY=self.python, PYTHONPATH=str(self.clone / "src"), SOURCE_DATE_EPOCH="",
                   KURIL_DATA_CACHE_DIR=str(self.work / "cache-maintainer"), **extra)
        env.pop("SOURCE_DATE_EPOCH")
        return env

    def git(self, *args: str) -> str:
        return run("git", "-C", self.clone, *args, step=f"git {args[0]}")

    def version(self) -> str:
        return str(tomllib.loads((self.clone / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])

    def pinned(self) -> dict[str, Any]:
        data = json.loads((self.clone / "src" / "kuril_data" / "releases.json").read_text(encoding="utf-8"))
        return dict(data["releases"])

    # --- the chain -------------------------------------------------------------------------------

    def bump(self, version: str, note: str) -> None:
        """Prepare release `version` as CONTRIBUTING's checklist says: the version in pyproject.toml and
        datapackage.json, a CHANGELOG section, CITATION.cff regenerated; commit."""
        old = self.version()
        pyproject = self.clone / "pyproject.toml"
        pyproject.write_text(pyproject.read_text(encoding="utf-8").replace(
            f'version = "{old}"', f'version = "{version}"', 1), encoding="utf-8")
        descriptor = self.clone / "datapackage.json"
        descriptor.write_text(descriptor.read_text(encoding="utf-8").replace(
            f'"version": "{old}"', f'"version": "{version}"', 1), encoding="utf-8")
        changelog = self.clone / "CHANGELOG.md"
        changelog.write_text(changelog.read_text(encoding="utf-8").replace(
            "## [Unreleased]\n", f"## [Unreleased]\n\n## [{version}] - {time.strftime('%Y-%m-%d')}\n\n"
            f"### Changed\n\n- {note}\n", 1), encoding="utf-8")
        run(self.python, "-m", "kuril_data.release.describe", "update", cwd=self.clone, env=self.env(),
            step="describe update")
        self.git("commit", "-qam", f"Release {version}")
        if self.version() != version:
            raise Failed(f"bump: pyproject.toml still says {self.version()}")

    def release(self, version: str) -> Path:
        """Tag vX, then the release job's steps (the scripts the workflow runs) and the publication."""
        tag = f"v{version}"
        self.git("tag", tag)
        self.step(f"tag {tag}")
        env = self.env(KURIL_DATA_SOURCES_URL=self.sources_url)
        run("bash", self.clone / "scripts" / "release-check.sh", tag, self.work / f"sources-{version}",
            cwd=self.clone, env=env, step="release-check.sh")
        self.step(f"release checks of {version} (verbatim checks included)")
        out = self.work / f"out-{version}"
        run("bash", self.clone / "scripts" / "release-build.sh", tag, out, cwd=self.clone, env=env,
            step="release-build.sh")
        self.step(f"release {version} built twice, identical; pinned; wheel and sdist pass twine check --strict")
        # Publish: the pypi job (twine upload, as the publish action does) and the github-release job.
        dists = sorted(p for p in (out / "upload").iterdir() if p.suffix == ".whl" or p.name.endswith(".tar.gz"))
        run(self.python, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar",
            "--repository-url", self.index_url + "/", "-u", "rehearsal", "-p", "rehearsal", *dists,
            step="twine upload")
        (self.mirror / tag).mkdir(parents=True)
        for path in (out / "upload").iterdir():
            shutil.copyfile(path, self.mirror / tag / path.name)
        run("sha256sum", "-c", "SHA256SUMS", cwd=self.mirror / tag, step="SHA256SUMS of the release")
        self.step(f"published {version}: package index and release files")
        return out

    def record(self, version: str) -> None:
        """After publishing: merge the published registry into the repository and commit it."""
        self.git("checkout", "--", "src/kuril_data/releases.json")  # the job's pin stays in the job
        run(self.python, "-m", "kuril_data.release.registry", "record",
            self.mirror / f"v{version}" / "releases.json", cwd=self.clone, env=self.env(), step="registry record")
        self.git("commit", "-qam", f"releases.json: pin {version} as published")
        self.step(f"recorded the pin of {version} in the repository")

    def analyst_venv(self) -> Path:
        py = self.analyst / "bin" / "python"
        run(self.python, "-m", "venv", self.analyst, step="analyst venv")
        run(py, "-m", "pip", "install", "-q", *(f"{k}=={v}" for k, v in OLDER.items()), step="older pandas, pyarrow")
        self.step(f"a fresh venv with pandas {OLDER['pandas']} and pyarrow {OLDER['pyarrow']}")
        return py

    def install(self, version: str) -> None:
        """`pip install kuril-data==X` as the README says; the index stands in for PyPI, and kuril-data
        must come from it (not from anywhere pip's configuration points at)."""
        py = self.analyst / "bin" / "python"
        report = self.work / f"pip-report-{version}.json"
        # The dependencies come from pip's usual index; the report says where kuril-data came from.
        run(py, "-m", "pip", "install", "-q", "--extra-index-url", self.index_url + "/simple/", "--report", report,
            f"kuril-data=={version}", step=f"pip install kuril-data=={version}")
        got = {i["metadata"]["name"].lower(): i["download_info"]["url"]
               for i in json.loads(report.read_text(encoding="utf-8"))["install"]}
        if not got.get("kuril-data", "").startswith(self.index_url):
            raise Failed(f"pip install: kuril-data did not come from the rehearsal's index: {got.get('kuril-data')}")
        frozen = run(py, "-m", "pip", "freeze", step="pip freeze")
        for name, wanted in OLDER.items():
            if f"{name}=={wanted}" not in frozen.splitlines():
                raise Failed(f"pip install kuril-data=={version} changed {name} (wanted {wanted}):\n{frozen}")
        self.step(f"pip install kuril-data=={version} from the index; pandas and pyarrow unchanged")

    def load(self, version: str, *, check: str) -> dict[str, Any]:
        """In the analyst's venv, from an empty folder and an empty cache: load(version=X) (and 'vX')
        from the mirror, verified against the installed wheel's pin; return a summary of the frames."""
        folder = self.work / f"load-{version}-{check}"
        folder.mkdir()
        code = (
            "import json, sys, kuril_data\n"
            "from importlib.metadata import version\n"
            "from kuril_data.release.registry import registry\n"
            "a = kuril_data.load(version=sys.argv[1])\n"
            "b = kuril_data.load(version='v' + sys.argv[1])\n"
            "assert list(a) == list(b) and all(a[k].equals(b[k]) for k in a)\n"
            "print(json.dumps({'installed': version('kuril-data'), 'pins': registry(),\n"
            "                  'rows': {k: len(v) for k, v in a.items()},\n"
            "                  'summaries': dict(zip(a['events']['event_id'], a['events']['summary']))}))\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("KURIL_DATA_")}
        env.update(KURIL_DATA_RELEASES_URL=self.mirror_url, KURIL_DATA_CACHE_DIR=str(folder / "cache"))
        out = run(self.analyst / "bin" / "python", "-c", code, version, cwd=folder, env=env,
                  step=f"load(version={version!r}) ({check})")
        result: dict[str, Any] = json.loads(out)
        self.step(f"kuril-data {result['installed']}: load(version={version!r}) verified from the mirror ({check})")
        return result

    def correct_one_word(self) -> tuple[str, str]:
        """A data correction as a pull request makes it: one word of one event summary; no version bump,
        and the registry is untouched. Returns the event and its new summary."""
        events = self.clone / "data" / "events.csv"
        text = events.read_text(encoding="utf-8")
        match = re.search(r"^([a-z0-9-]+),.*?\b(signed)\b", text, re.MULTILINE)
        if match is None:
            raise Failed("correction: no event summary with the word 'signed' to correct")
        text = text[:match.start(2)] + "concluded" + text[match.end(2):]
        events.write_text(text, encoding="utf-8", newline="")
        before = self.pinned()
        self.git("commit", "-qam", f"Data: one-word correction of {match.group(1)}")
        if self.pinned() != before or self.git("diff", "--name-only", "HEAD~1").split() != ["data/events.csv"]:
            raise Failed("correction: the data correction touched more than data/events.csv")
        return match.group(1), ""

    def site_links(self, out: Path) -> int:
        """Every link of the Pages site (what release.yml deploys) to a file of the release answers over HTTP."""
        pages = out / "pages"
        parser = _Links()
        parser.feed((pages / "site" / "index.html").read_text(encoding="utf-8"))
        files = [h for h in parser.hrefs if not urllib.parse.urlsplit(h).scheme]  # the release's own files
        if not files:
            raise Failed("site: the downloads section of site/index.html links no file of the release")
        with http_folder(pages) as url:
            for href in [*files, "/"]:
                target = urllib.parse.urljoin(url + "/site/index.html", href)
                try:
                    urllib.request.urlopen(urllib.request.Request(target, method="HEAD"), timeout=10).close()
                except OSError as exc:
                    raise Failed(f"site: download link {href} -> {target}: {exc}") from None
        self.step(f"the Pages site's {len(files)} download links to the release's files all answer")
        return len(files)


def rehearse(repo: Path, work: Path, sources: Path, *, python: str = sys.executable, hook: Hook | None = None) -> None:
    """The whole chain (see the module's docstring); raises Failed at the first broken step."""
    r = Rehearsal(repo, work, sources, python, hook)
    run("git", "clone", "-q", "--no-hardlinks", repo, r.clone, step="scratch clone")
    r.git("config", "user.email", "rehearsal@127.0.0.1")
    r.git("config", "user.name", "Release rehearsal")
    r.packages.mkdir()
    with http_folder(sources) as sources_url, http_folder(r.mirror.parent) as base, \
            package_index(r.packages, python) as index_url:
        r.mirror.mkdir()
        r.sources_url, r.mirror_url, r.index_url = sources_url, f"{base}/{r.mirror.name}", index_url
        x = r.version()
        if r.git("tag", "-l", f"v{x}").strip() or x in r.pinned():
            r.bump(next_patch(x), "Rehearsal: the release after the last published one.")
            x = r.version()
        r.step(f"scratch clone; release {x}")
        r.release(x)
        r.analyst_venv()
        r.install(x)
        first = r.load(x, check="published")
        r.record(x)
        published_x = json.loads((r.mirror / f"v{x}" / "releases.json").read_text(encoding="utf-8"))["releases"][x]

        event, _ = r.correct_one_word()
        r.step(f"one-word correction of {event}: no version bump, registry untouched")
        y = next_patch(x)
        r.bump(y, f"Corrected the summary of `{event}`.")
        out = r.release(y)
        pins = json.loads((r.mirror / f"v{y}" / "releases.json").read_text(encoding="utf-8"))["releases"]
        if pins.get(x) != published_x:
            raise Failed(f"registry: the wheel of {y} pins {x} as {pins.get(x)}, but {x} was published as "
                         f"{published_x}: a published pin was rewritten")
        r.step(f"the wheel of {y} keeps the pin of {x} unchanged")
        r.install(y)
        again = r.load(x, check=f"with the wheel of {y}")
        if again["rows"] != first["rows"] or again["summaries"] != first["summaries"]:
            raise Failed(f"load(version={x!r}) with {y} installed differs from what {x} gave")
        second = r.load(y, check="published")
        changed = [k for k in second["summaries"] if second["summaries"][k] != first["summaries"].get(k)]
        if changed != [event]:
            raise Failed(f"release {y}: expected only {event}'s summary to change, got {changed}")
        diff = json.loads(run(python, "-m", "kuril_data", "diff", "--format", "json",
                              r.mirror / f"v{x}" / f"kuril-data-{x}.zip", r.mirror / f"v{y}" / f"kuril-data-{y}.zip",
                              cwd=r.clone, env=r.env(), step="kuril-data diff"))
        if diff.get("bump") != "patch":
            raise Failed(f"kuril-data diff {x} -> {y} advises {diff.get('bump')!r}, not 'patch'")
        r.step(f"kuril-data diff {x} -> {y} advises a patch bump")
        r.site_links(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sources", type=Path, required=True, help="folder of the source texts (served as the mirror)")
    parser.add_argument("--repo", type=Path, default=ROOT, help="repository to clone (default: this one)")
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary one, removed after)")
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kuril-rehearsal-")))
        try:
            rehearse(args.repo.resolve(), work.resolve(), args.sources.resolve())
        except Failed as exc:
            print(f"REHEARSAL FAILED: {exc}", file=sys.stderr)
            return 1
    print("the rehearsal passed: every step of the publication chain worked")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
