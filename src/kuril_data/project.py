"""The project's identity — name, version, summary, authors, licence, URLs — from one place.

`pyproject.toml`'s `[project]` and `[project.urls]` are the only place these are written by hand.
From a source checkout they are read from that file (always current); from an installed package,
from its metadata (which the build copied from that file). Everything else that shows them — the
release's datapackage.json, CITATION.cff, the JSON-LD, Datasette metadata, release notes — is
generated from `project()`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

DIST = "kuril-data"
CORRECTION_FORM = "correction.yml"  # .github/ISSUE_TEMPLATE/<this>: the site's "Propose a correction"


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    summary: str
    license: str
    authors: tuple[str, ...]
    keywords: tuple[str, ...]
    urls: dict[str, str] = field(default_factory=dict)

    def url(self, label: str) -> str:
        """The `[project.urls]` entry `label`; KeyError naming the labels there when it is missing."""
        try:
            return self.urls[label]
        except KeyError:
            raise KeyError(f"[project.urls] has no {label!r}; it has: {', '.join(self.urls)}") from None

    @property
    def homepage(self) -> str:
        return self.url("Homepage")

    @property
    def repository(self) -> str:
        return self.url("Repository")

    def web_urls(self) -> dict[str, str]:
        """The `[project.urls]` that are web links (http or https): what a page may link to."""
        return {label: url for label, url in self.urls.items() if url.startswith(("https://", "http://"))}

    def site_url(self) -> str | None:
        """Where the static site is published, ending in `/`: `[project.urls] Site` when given, else the
        GitHub Pages address of a github.com `Repository` (`https://github.com/O/R` gives
        `https://O.github.io/R/`); None when neither is known."""
        site = self.web_urls().get("Site")
        if site:
            return site.rstrip("/") + "/"
        found = re.fullmatch(r"https://github\.com/([A-Za-z0-9-]+)/([A-Za-z0-9._-]+?)(?:\.git)?/?",
                             self.urls.get("Repository", ""))
        return f"https://{found[1].lower()}.github.io/{found[2]}/" if found else None

    def correction_form(self) -> str | None:
        """The new-issue address of the correction form (.github/ISSUE_TEMPLATE/correction.yml) under
        `[project.urls] Issues` on GitHub, or None when the issues are not on GitHub."""
        issues = self.urls.get("Issues", "")
        if not re.fullmatch(r"https://github\.com/[A-Za-z0-9-]+/[A-Za-z0-9._-]+/issues/?", issues):
            return None
        return issues.rstrip("/") + "/new?template=" + CORRECTION_FORM

    def release_page(self, version: str) -> str:
        """The page of release `version` (a GitHub Release: `<Releases>/tag/v<version>`)."""
        return f"{self.url('Releases')}/tag/v{version}"

    def download_url(self, version: str, file: str) -> str:
        """Where a file of release `version` is downloaded from: `<Download>/v<version>/<file>`."""
        return f"{self.url('Download')}/v{version}/{file}"


def checkout_pyproject() -> Path | None:
    """pyproject.toml of the source checkout this module runs from, if it does (src layout)."""
    candidate = Path(__file__).resolve().parent.parent.parent / "pyproject.toml"
    return candidate if candidate.is_file() else None


def from_pyproject(path: Path) -> Project:
    meta = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    license_ = meta.get("license", "")
    return Project(
        name=meta["name"], version=meta["version"], summary=meta.get("description", ""),
        license=license_ if isinstance(license_, str) else license_.get("text", ""),
        authors=tuple(a["name"] for a in meta.get("authors", []) if "name" in a),
        keywords=tuple(meta.get("keywords", [])), urls=dict(meta.get("urls", {})))


def from_metadata(dist: str = DIST) -> Project:
    from importlib.metadata import metadata

    meta = metadata(dist)

    def get(key: str) -> str:
        return next(iter(meta.get_all(key) or []), "")

    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [] if ", " in u)
    authors = get("Author") or get("Author-email")
    return Project(
        name=meta["Name"], version=meta["Version"], summary=get("Summary"),
        license=get("License-Expression") or get("License"),
        authors=tuple(a.strip() for a in authors.split(",") if a.strip()),
        keywords=tuple(k.strip() for k in get("Keywords").split(",") if k.strip()), urls=urls)


@cache
def project() -> Project:
    """The identity of kuril-data: from the checkout's pyproject.toml, else the installed metadata."""
    path = checkout_pyproject()
    if path is not None:
        found = from_pyproject(path)
        if found.name == DIST:
            return found
    return from_metadata()


__all__ = ["Project", "project"]
