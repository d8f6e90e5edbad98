"""Downloads pinned by SHA-256 and kept in the user cache: the one function every network read takes.

`kuril-data sources fetch` (the source texts) and pinned releases (`kuril-data fetch`,
`kuril_data.load(version=...)`) both fetch a file from a base URL, refuse it unless its SHA-256 is
the pinned one, and keep it in the user cache so that later runs work offline. A mirror is
untrusted (SECURITY.md), so `download` bounds what it can cost: http(s) only (redirects too, at
most MAX_REDIRECTS), a total deadline (not only a per-read timeout: a mirror dripping one byte a
second is cut off), a byte cap checked against Content-Length before reading and counted while
reading (after decompression, when the server compresses in spite of `Accept-Encoding: identity`),
and the file is streamed into a temporary file beside the target and renamed only after its hash
matched. Callers put the target in a staging folder (`kuril_data.io.transaction.staging`).
"""

from __future__ import annotations

import os
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urljoin, urlsplit

from kuril_data.errors import KurilDataError

if TYPE_CHECKING:
    import urllib.request

# The network modules (http.client, urllib.request, ssl, email: ~15 ms) and hashlib are imported by the
# functions that download or hash: `validate` imports this module for `cache_dir` and `user_path` alone.

CACHE_ENV = "KURIL_DATA_CACHE_DIR"  # overrides the platform's user cache folder (tests, CI, shared machines)
APP = "kuril-data"
SCHEMES = ("http", "https")
MAX_REDIRECTS = 5
CHUNK = 1 << 16


@dataclass(frozen=True)
class Budget:
    """What one download may cost. The defaults are far above a release zip (~1 MB) or a source text."""

    max_bytes: int = 256 * 1024 * 1024
    seconds: float = 300.0  # total, from the request to the last byte
    read_timeout: float = 30.0  # one read, within the total


DEFAULT_BUDGET = Budget()


class DownloadError(KurilDataError):
    """A download could not be done or was refused (network, HTTP error, checksum mismatch, budget): exit 2."""


def user_path(value: str, what: str) -> Path:
    """A folder named by the user (an environment variable, an option) with `~` and `~user` expanded,
    the one way every path setting is read; an unknown user's home is a DownloadError naming `what`."""
    try:
        return Path(value).expanduser()
    except RuntimeError:  # Path.expanduser: "Could not determine home directory."
        raise DownloadError(f"{what}={value!r}: cannot expand '~' (no such user, or no home folder)") from None


def cache_dir() -> Path:
    """The user cache folder of kuril-data: $KURIL_DATA_CACHE_DIR (`~` expanded), else the platform's."""
    env = os.environ.get(CACHE_ENV, "").strip()
    if env:
        return user_path(env, CACHE_ENV)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def url_for(base: str, rel: str) -> str:
    """`rel` (a POSIX relative path) under the base URL `base`, each segment percent-encoded."""
    return base.rstrip("/") + "/" + quote(rel)


def sha256_of(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified(path: Path, sha256: str) -> bool:
    """Whether `path` is a regular file (not a link) whose SHA-256 is `sha256`."""
    try:
        return path.is_file() and not path.is_symlink() and sha256_of(path) == sha256
    except OSError:
        return False


def check_url(url: str) -> None:
    """Refuse a URL that is not http(s): no file://, ftp:// or data: read by a download."""
    if urlsplit(url).scheme.lower() not in SCHEMES or not urlsplit(url).netloc:
        raise DownloadError(f"{url}: not an http(s) URL; only http:// and https:// mirrors are downloaded from")


def _opener() -> urllib.request.OpenerDirector:
    import urllib.request

    class Redirects(urllib.request.HTTPRedirectHandler):
        max_redirections = MAX_REDIRECTS

        def http_error_302(self, req, fp, code, msg, headers):
            new = headers.get("location") or headers.get("uri")
            if new:
                check_url(urljoin(req.full_url, new.strip()))
            return super().http_error_302(req, fp, code, msg, headers)

        http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302

    # Only the handlers named here: no FTP, file or data handler, no proxy credentials guessed.
    return urllib.request.build_opener(Redirects)


def download(url: str, sha256: str, target: Path, budget: Budget | None = None) -> None:
    """Download `url` to `target` and keep it only if its SHA-256 is `sha256`, within `budget`.

    Raises DownloadError naming the URL and the reason; on any failure nothing is left at `target`.
    """
    import tempfile

    check_url(url)
    budget = budget or DEFAULT_BUDGET
    deadline = time.monotonic() + budget.seconds
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".download-", dir=target.parent)
    except OSError as exc:
        raise DownloadError(f"{url}: cannot write {target.parent} ({exc.strerror or exc})") from None
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _stream(url, out, budget, deadline)
        if digest != sha256:
            raise DownloadError(f"{url}: checksum mismatch, the file's SHA-256 is not the pinned {sha256}; "
                                "refusing it (nothing was kept)")
        tmp.chmod(0o644)  # mkstemp's file is private (0600); the texts and zips are not secrets
        os.replace(tmp, target)
    except OSError as exc:
        raise DownloadError(f"{url}: cannot write {target} ({exc.strerror or exc})") from None
    finally:
        tmp.unlink(missing_ok=True)


def _stream(url: str, out: object, budget: Budget, deadline: float) -> str:
    """Write the body of `url` to `out` (a binary file), returning its SHA-256; budget enforced."""
    import hashlib
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"Accept-Encoding": "identity", "User-Agent": APP})
    cap = budget.max_bytes
    try:
        response = _opener().open(request, timeout=min(budget.read_timeout, budget.seconds))
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:
            raise DownloadError(f"{url}: more than {MAX_REDIRECTS} redirects, or a redirect loop") from None
        raise DownloadError(f"{url}: the server answered HTTP {exc.code}{' (not found)' if exc.code == 404 else ''}") \
            from None
    except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(reason, DownloadError):
            raise reason from None
        why = getattr(reason, "strerror", None) or reason
        raise DownloadError(f"{url}: download failed ({why}: network or server unreachable)") from None
    with response:
        length = response.headers.get("Content-Length", "")
        if length.strip().isdigit() and int(length) > cap:
            raise DownloadError(f"{url}: the server announces {int(length)} bytes; the limit is {cap}; refusing it")
        encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
        if encoding not in ("identity", "", "gzip", "x-gzip", "deflate"):
            raise DownloadError(f"{url}: the server sent it in the encoding {encoding!r}, which is not read")
        inflate = None if encoding in ("identity", "") else zlib.decompressobj(47 if "gzip" in encoding else 15)
        digest = hashlib.sha256()
        total = 0
        sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DownloadError(f"{url}: took longer than {budget.seconds:g} s; refusing it")
                if sock is not None:
                    sock.settimeout(min(left, budget.read_timeout))
                raw = response.read1(CHUNK)
                if not raw:
                    break
                if inflate is not None:  # bounded: never more than the rest of the cap at once
                    data = inflate.decompress(raw, cap - total + 1)
                    while inflate.unconsumed_tail and len(data) <= cap - total:
                        data += inflate.decompress(inflate.unconsumed_tail, cap - total - len(data) + 1)
                else:
                    data = raw
                total += len(data)
                if total > cap:
                    raise DownloadError(f"{url}: more than {cap} bytes; refusing it")
                digest.update(data)
                out.write(data)  # type: ignore[attr-defined]
        except TimeoutError:
            if time.monotonic() >= deadline:
                raise DownloadError(f"{url}: took longer than {budget.seconds:g} s; refusing it") from None
            raise DownloadError(f"{url}: the server stopped sending (no data for {budget.read_timeout:g} s)") \
                from None
        except (zlib.error, ValueError) as exc:
            raise DownloadError(f"{url}: corrupt {encoding} data ({exc})") from None
        except (OSError, EOFError, http.client.HTTPException) as exc:
            raise DownloadError(f"{url}: download failed ({type(exc).__name__}: {exc})") from None
    if length.strip().isdigit() and inflate is None and total != int(length):
        raise DownloadError(f"{url}: the server announced {int(length)} bytes but sent {total}")
    return digest.hexdigest()
