#!/usr/bin/env bash
# An analyst's environment is left alone: in a fresh venv that already holds older pandas and
# pyarrow within the declared ranges, installing the kuril-data wheel (as a user would: no
# constraints) changes neither, and kuril_data.load() works. Usage: check-older-deps.sh [WHEEL]
# Versions: PANDAS=2.2.3 PYARROW=17.0.0 by default (the lowest lines pyproject.toml declares).
set -euo pipefail
cd "$(dirname "$0")/.."
pandas=${PANDAS:-2.2.3}
pyarrow=${PYARROW:-17.0.0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wheel=${1:-}
if [ -z "$wheel" ]; then
  python3 -m pip wheel -q --no-deps -w "$work/wheel" . && wheel=$(ls "$work"/wheel/kuril_data-*.whl)
fi
python3 -m venv "$work/venv"
pip="$work/venv/bin/pip"
"$pip" install -q "pandas==$pandas" "pyarrow==$pyarrow"
"$pip" freeze | grep -iE '^(pandas|pyarrow|numpy)==' | sort > "$work/before"
"$pip" install -q "$wheel"
"$pip" freeze | grep -iE '^(pandas|pyarrow|numpy)==' | sort > "$work/after"
if ! diff -u "$work/before" "$work/after"; then
  echo "FAIL: installing kuril-data changed the versions above" >&2
  exit 1
fi
cd "$work"  # away from the checkout: the data comes from the installed wheel
"$work/venv/bin/python" - <<'PY'
import pandas, pyarrow
import kuril_data
from kuril_data.load import default_source
frames = kuril_data.load()
assert "_package" in str(default_source()), default_source()
rows = {name: len(frame) for name, frame in frames.items()}
assert all(rows.values()), rows
print(f"OK: pandas {pandas.__version__}, pyarrow {pyarrow.__version__} unchanged; "
      f"load() gave {len(rows)} tables, {sum(rows.values())} rows")
PY
