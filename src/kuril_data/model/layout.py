"""The names the outputs take for themselves, declared once where validation can see them (the
layer below the writers): the export's files, the SQLite metadata table, the release's files and
folders, the site's own files, and the fields the site, timeline and SQLite views read.

Readers (io/versions) and writers (outputs/, release/) take their names from here, and a package
may not claim them: `model.package` refuses resources and paths that would collide,
`validate.checks.contract` tables that lack what the writers read. tests/test_contract.py compares
these with a real release, so a new release file or site page cannot be forgotten here.
"""

from __future__ import annotations

from pathlib import PurePosixPath

ARTIFACT = "kuril-data"  # the distribution name and the stem of every release file
PARQUET_DIR = "parquet"
JSON_FILE = f"{ARTIFACT}.json"  # the one-file JSON Data Package (inline data)
SQLITE_FILE = f"{ARTIFACT}.sqlite"
DATASETTE_FILE = "metadata.json"
METADATA_TABLE = "_metadata"  # the SQLite table holding name, version, build date, source checksums

# The release folder, besides the export's files and the package's own (datapackage.json, data, schemas).
CHANGELOG = "CHANGELOG.md"
CHECKSUMS = "SHA256SUMS"
DICTIONARY = "data-dictionary.md"
TIMELINE = "timeline.svg"
SITE = "site"
# What the release says about itself (release/describe.py) and the licences copied beside it.
DESCRIBE_FILES = ("README.md", "CITATION.cff", f"{ARTIFACT}.jsonld", "LICENSE", "LICENSE-DATA.md")

# The site's own files; record pages live under pages named by `kuril_data.outputs.names`.
SITE_ASSETS = "assets"
SITE_INDEX = "index.html"
SITE_SEARCH = "search.html"
SITE_SEARCH_INDEX = "search-index.js"
SITE_TIMELINE = "timeline.html"
SITE_DOWNLOADS = "downloads.html"
SITE_DOWNLOADS_DIR = "downloads"  # a standalone site's copies of the CSVs
SITE_FILES = (SITE_ASSETS, SITE_INDEX, SITE_SEARCH, SITE_SEARCH_INDEX, SITE_TIMELINE, SITE_DOWNLOADS,
              SITE_DOWNLOADS_DIR)

# Top-level entries of a release folder: a resource's data or schema file is copied into the release
# at its own path, so none may start with one of these (compared without regard to case: zips and
# some file systems ignore it).
RELEASE_NAMES = frozenset({
    "datapackage.json", JSON_FILE, SQLITE_FILE, DATASETTE_FILE, PARQUET_DIR,
    CHANGELOG, CHECKSUMS, DICTIONARY, TIMELINE, SITE, *DESCRIBE_FILES,
})
# Top-level entries of the site: each resource with pages is a folder of the site named after it,
# beside these.
SITE_NAMES = frozenset(SITE_FILES)
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
