"""The project's identity for the site's home page, read from the installed package's metadata."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "kuril-data"


def project_urls() -> dict[str, str]:
    """`[project.urls]` as {label: URL}, in the order declared; empty when none are declared or the
    distribution is not installed (the site then links only to what the data package names)."""
    try:
        meta = metadata.metadata(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return {}
    urls: dict[str, str] = {}
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if url.strip().startswith(("https://", "http://")):
            urls.setdefault(label.strip(), url.strip())
    home = meta.get("Home-page")
    if home and home.startswith(("https://", "http://")):
        urls.setdefault("Homepage", home)
    return urls
