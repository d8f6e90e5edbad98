#!/usr/bin/env bash
# The release job's build (.github/workflows/release.yml runs this, and so does the rehearsal,
# scripts/rehearse_release.py): build the release zip twice and require identical bytes, pin its
# SHA-256 in the registry of published releases (src/kuril_data/releases.json) so the wheel built
# next verifies it offline, build the wheel and sdist, check them as PyPI will (twine check --strict,
# the twine of the pinned publish action), and lay out what is published:
#   OUT/upload/  the GitHub Release's files: the zip, the wheel, the sdist, releases.json, SHA256SUMS
#   OUT/notes.md the release notes (the version's CHANGELOG section)
#   OUT/pages/   the GitHub Pages site: the release folder itself, so the site's download links
#                (../<file> from site/) resolve; its index.html leads to site/
# Usage: scripts/release-build.sh TAG OUT    (PY: the Python with kuril-data[test], default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PY:-.venv/bin/python}
tag=${1:?usage: release-build.sh TAG OUT}
out=${2:?usage: release-build.sh TAG OUT}
version="${tag#v}"
name="kuril-data-$version"
if [ -e "$out" ]; then echo "Error: $out exists; give a new folder" >&2; exit 2; fi
"$py" -m kuril_data.release.describe check-tag "$tag"

"$py" -m kuril_data release --out "$out/a" .
"$py" -m kuril_data release --out "$out/b" .
diff -r "$out/a" "$out/b"
echo "the two builds are identical"

"$py" -m kuril_data.release.registry pin "$version" "$out/a/$name.zip"
"$py" -m build --no-isolation --outdir "$out/python" .
"$py" -m twine check --strict "$out"/python/*
# The wheel must carry the pin just written: it is what verifies the zip on a user's machine.
"$py" - "$out/python" "$version" "$out/a/$name.zip" <<'PY'
import hashlib, json, sys, zipfile
from pathlib import Path
[wheel] = Path(sys.argv[1]).glob("kuril_data-*.whl")
pins = json.loads(zipfile.ZipFile(wheel).read("kuril_data/releases.json"))["releases"]
zip_sha = hashlib.sha256(Path(sys.argv[3]).read_bytes()).hexdigest()
if pins.get(sys.argv[2], {}).get("sha256") != zip_sha:
    sys.exit(f"Error: {wheel.name} does not pin {sys.argv[2]} to the zip's sha256 {zip_sha}")
print(f"{wheel.name} pins {sys.argv[2]} to {zip_sha}")
PY

mkdir "$out/upload"
cp "$out/a/$name.zip" "$out"/python/* src/kuril_data/releases.json "$out/upload/"
(cd "$out/upload" && sha256sum -- * > SHA256SUMS && cat SHA256SUMS)
"$py" -m kuril_data.release.describe notes "$version" > "$out/notes.md"
cp -r "$out/a/$name" "$out/pages"
printf '<!doctype html>\n<meta charset="utf-8">\n<meta http-equiv="refresh" content="0; url=site/">\n<title>kuril-data %s</title>\n<a href="site/">kuril-data %s</a>\n' \
  "$version" "$version" > "$out/pages/index.html"
echo "release $version built into $out"
