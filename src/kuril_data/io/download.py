"""Downloads pinned by SHA-256 and kept in the user cache: the one path every download takes.

`kuril-data sources fetch` (the source texts) and pinned releases (`kuril-data fetch`,
`kuril_data.load(version=...)`) both fetch a file from a base URL, refuse it unless its SHA-256 is
the pinned one, and keep it in the user cache so that later runs work offline. pooch does the
streaming and the hash check; this module adds the cache location, the clear one-line errors and
the rule that a failed download leaves nothing behind: files are downloaded into a staging folder
(see `kuril_data.io.transaction.staging`) and moved into place only when everything is verified.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import quote

from kuril_data.errors import KurilDataError

CACHE_ENV = "KURIL_DATA_CACHE_DIR"  # overrides the platform's user cache folder (tests, CI, shared machines)
APP = "kuril-data"


class DownloadError(KurilDataError):
    """A download could not be done or was refused (network, HTTP error, checksum mismatch): exit 2."""


def cache_dir() -> Path:
    """The user cache folder of kuril-data: $KURIL_DATA_CACHE_DIR, else the platform's (platformdirs)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP, appauthor=False))


def url_for(base: str, rel: str) -> str:
    """`rel` (a POSIX relative path) under the base URL `base`, each segment percent-encoded."""
    return base.rstrip("/") + "/" + quote(rel)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified(path: Path, sha256: str) -> bool:
    """Whether `path` is a regular file (not a link) whose SHA-256 is `sha256`."""
    return path.is_file() and not path.is_symlink() and sha256_of(path) == sha256


def download(url: str, sha256: str, target: Path) -> None:
    """Download `url` to `target` and keep it only if its SHA-256 is `sha256`.

    `target` should lie in a staging folder: pooch streams into a temporary file beside it and
    renames it only after the hash matched. Raises DownloadError naming the URL and the reason.
    """
    import pooch
    import requests

    pooch.get_logger().setLevel("WARNING")  # no "Downloading ..." chatter on stderr
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        pooch.retrieve(url, known_hash=f"sha256:{sha256}", fname=target.name, path=target.parent,
                       progressbar=False)
    except requests.HTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        raise DownloadError(f"{url}: the server answered HTTP {status}"
                            f"{' (not found)' if status == 404 else ''}") from None
    except requests.RequestException as exc:
        raise DownloadError(f"{url}: download failed ({type(exc).__name__}: network or server unreachable)") \
            from None
    except ValueError as exc:
        if "hash" not in str(exc).lower():
            raise DownloadError(f"{url}: cannot download ({exc})") from None
        raise DownloadError(f"{url}: checksum mismatch, the file's SHA-256 is not the pinned {sha256}; "
                            "refusing it (nothing was kept)") from None
    except OSError as exc:
        raise DownloadError(f"{url}: cannot write {target} ({exc.strerror or exc})") from None
    target.chmod(0o644)  # pooch's temporary file is private (0600); the texts and zips are not secrets
