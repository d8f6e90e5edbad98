#!/usr/bin/env bash
# The release job's checks before anything is built (.github/workflows/release.yml runs this, and so
# does the rehearsal, scripts/rehearse_release.py): the tag names the version, the CSVs are in
# canonical form, and the package validates with every verbatim check against the source texts,
# fetched from the mirror $KURIL_DATA_SOURCES_URL and verified against their pinned SHA-256.
# Without a mirror it refuses: a release is never checked less than a pull request.
# Usage: scripts/release-check.sh TAG SOURCES_FOLDER    (PY: the Python with kuril-data[tools], default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PY:-.venv/bin/python}
tag=${1:?usage: release-check.sh TAG SOURCES_FOLDER}
sources=${2:?usage: release-check.sh TAG SOURCES_FOLDER}
"$py" -m kuril_data.release.describe check-tag "$tag"
if [ -z "${KURIL_DATA_SOURCES_URL:-}" ]; then
  echo "Error: refusing to release without the verbatim checks: no mirror of the source texts is configured" \
       "(repository variable or secret KURIL_DATA_SOURCES_URL; see CONTRIBUTING.md, 'Releasing')" >&2
  exit 1
fi
"$py" -m kuril_data sources fetch --to "$sources"
"$py" -m kuril_data fmt --check
"$py" -m kuril_data validate --sources "$sources"
echo "release checks passed for $tag, the verbatim checks included"
