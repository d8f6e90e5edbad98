"""The names the outputs take for themselves, declared where validation can see them (the layer
below the writers): the top-level files of a release and of the site, and the fields the site,
timeline and SQLite views read. A package may not claim them: `model.package` refuses resources and
paths that would collide, `validate.checks.contract` tables that lack what the writers read.

tests/test_contract.py compares these with the writers' own constants and with a real release,
so a new release file or site page cannot be forgotten here.
"""

from __future__ import annotations

from pathlib import PurePosixPath

# Top-level entries of a release folder (release/build.py, release/describe.py, outputs/export.py):
# a resource's data or schema file is copied into the release at its own path, so none may start
# with one of these (compared without regard to case: zips and some file systems ignore it).
RELEASE_NAMES = frozenset({
    "datapackage.json", "kuril-data.json", "kuril-data.sqlite", "metadata.json", "parquet",
    "CHANGELOG.md", "SHA256SUMS", "data-dictionary.md", "timeline.svg", "site",
    "CITATION.cff", "kuril-data.jsonld", "README.md", "LICENSE", "LICENSE-DATA.md",
})
# Top-level entries of the site (outputs/site/build.py): each resource with pages is a folder of
# the site named after it, beside these.
SITE_NAMES = frozenset({"index.html", "search.html", "timeline.html", "assets", "search-index.js"})
# A record's page is `<resource>/<id>.html` beside the resource's own `index.html`.
PAGE_INDEX = "index"
MAX_ID_BYTES = 200  # `<id>.html` within the 255 bytes most file systems allow a name

# The fields the site, the timeline and the SQLite views read by name, when their table is there:
# table -> field -> the type the writers expect.
OUTPUT_FIELDS: dict[str, dict[str, str]] = {
    "events": {"event_id": "string", "title": "string", "kind": "string", "date": "string"},
    "documents": {"document_id": "string", "title": "string", "kind": "string", "date": "string"},
    "citations": {"citation_id": "string", "source_id": "string", "locator": "string"},
    "disagreements": {"disagreement_id": "string", "kind": "string"},
    "disagreement_accounts": {"disagreement_id": "string", "citation_id": "string", "account": "string"},
    "quotations": {"quotation_id": "string", "text": "string", "language": "string"},
}

# The latest day a date may reach: the timeline's axis runs to the first day of the year after
# the last date, and Python's dates (the site, the timeline) end with 9999-12-31.
LATEST_DAY = "9998-12-31"


def reserved_path(rel: str) -> str | None:
    """The release entry a descriptor path would land on, or None."""
    parts = PurePosixPath(rel).parts
    if not parts:
        return None
    top = parts[0].casefold()
    return next((name for name in sorted(RELEASE_NAMES) if name.casefold() == top), None)


def reserved_resource(name: str) -> str | None:
    """The site entry a resource name (a folder of the site) would collide with, or None."""
    return next((n for n in sorted(SITE_NAMES) if n.casefold() == name.casefold()), None)
