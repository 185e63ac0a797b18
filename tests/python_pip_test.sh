#!/usr/bin/env bash
# `pip install .` into a fresh virtual environment (the build requirements from the package
# index), then the README's Python example and the package's tests against the installed copy.
# Exit 77 (skipped) when the package index cannot be reached.
set -euo pipefail
SRC=$(cd "${1:?usage: python_pip_test.sh SOURCE_DIR [PYTHON]}" && pwd)
PY=${2:-python3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$PY" -m venv "$work/venv"
pip=("$work/venv/bin/pip" --disable-pip-version-check -q)
if ! "${pip[@]}" download --no-deps -d "$work/probe" scikit-build-core > /dev/null 2>&1; then
  echo "skipped: the package index is not reachable (pip install . takes scikit-build-core and pybind11 from it)"
  exit 77
fi
echo "pip install $SRC[test]"
"${pip[@]}" install "$SRC[test]"
# The README's example as it stands there: the python block after "<!-- python example -->".
awk '/<!-- python example -->/ {on = 1; next} on && /^```python/ {code = 1; next} code && /^```/ {exit} code' \
  "$SRC/README.md" > "$work/example.py"
[ -s "$work/example.py" ] || { echo "FAIL: README.md has no Python example"; exit 1; }
echo "the README's example:"
(cd "$work" && "$work/venv/bin/python" example.py)
# The package's tests, importing the installed package (not python/ardm of the tree).
(cd "$work" && "$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$SRC/python/tests")
echo "ok: pip install, the README's example and the package's tests"
