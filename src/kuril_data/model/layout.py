"""The names of what the writers produce, declared once: the export's files, the SQLite metadata
table, the release's files and folders, and the site's own files. Readers (io/versions) and
writers (outputs/, release/) both take them from here; a check that a package path cannot collide
with an output reads them here too."""

from __future__ import annotations

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

# The site's own files; record pages live under pages named by `kuril_data.outputs.names`.
SITE_ASSETS = "assets"
SITE_INDEX = "index.html"
SITE_SEARCH = "search.html"
SITE_SEARCH_INDEX = "search-index.js"
SITE_TIMELINE = "timeline.html"
SITE_FILES = (SITE_ASSETS, SITE_INDEX, SITE_SEARCH, SITE_SEARCH_INDEX, SITE_TIMELINE)
