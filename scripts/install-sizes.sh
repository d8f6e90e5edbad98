#!/usr/bin/env bash
# What each install of kuril-data brings: packages and disk size of a fresh venv's site-packages,
# for the wheel given (or built here), with the pins of constraints.txt. Used for the README table.
set -euo pipefail
cd "$(dirname "$0")/.."
wheel=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$wheel" ]; then
  python3 -m pip wheel -q --no-deps -w "$work/wheel" . && wheel=$(ls "$work"/wheel/kuril_data-*.whl)
fi
python3 -m venv "$work/empty"
base=$("$work/empty/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
base_kb=$(du -sk "$base" | cut -f1)
base_n=$("$work/empty/bin/pip" list --format=freeze 2>/dev/null | wc -l)
printf '| install | packages (kuril-data included) | size of site-packages |\n|---|---|---|\n'
for extra in "" "[tools]" "[serve]"; do
  venv="$work/v"
  rm -rf "$venv" && python3 -m venv "$venv"
  "$venv/bin/pip" install -q -c constraints.txt "kuril-data${extra} @ file://$(realpath "$wheel")" 2>/dev/null
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  kb=$(( $(du -sk "$site" | cut -f1) - base_kb ))
  n=$(( $("$venv/bin/pip" list --format=freeze 2>/dev/null | wc -l) - base_n ))
  printf '| `pip install "kuril-data%s"` | %d | %d MB |\n' "$extra" "$n" $(( (kb + 512) / 1024 ))
done
