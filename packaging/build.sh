#!/usr/bin/env bash
# Build the clinical workstation bundle dist/CardioView/ (one folder) with PyInstaller.
#
#   packaging/build.sh            uses .venv/bin/python (override: PYTHON=/path/to/python)
#
# Installs PyInstaller into that environment when it is missing. Ships the weights in
# weights/cxa_dense121 (override: CARDIOVIEW_BUNDLE_WEIGHTS=/path/to/bundle). Build on the
# operating system you ship to: PyInstaller does not cross-compile.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
PYINSTALLER_VERSION=6.22.3   # keep in step with the "bundle" extra in pyproject.toml

if ! "$PYTHON" -c "import PyInstaller" 2>/dev/null; then
    echo "installing pyinstaller==$PYINSTALLER_VERSION into $("$PYTHON" -c 'import sys; print(sys.prefix)')"
    "$PYTHON" -m pip install -q -c packaging/constraints.txt "pyinstaller==$PYINSTALLER_VERSION"
fi
if "$PYTHON" -m pip show opencv-python >/dev/null 2>&1; then
    echo "build.sh: opencv-python (non-headless) is installed; its Qt plugins clash with PySide6." >&2
    echo "          pip uninstall opencv-python && pip install opencv-python-headless" >&2
    exit 1
fi
rm -rf dist/CardioView
"$PYTHON" -m PyInstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
    packaging/cardioview.spec
echo "built $(pwd)/dist/CardioView"
