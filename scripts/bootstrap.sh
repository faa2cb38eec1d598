#!/usr/bin/env bash
# Installs FOMM Studio and its dependencies into the current Python.
# torch is pinned first: with 2.13.0 already present pip treats the dependency as satisfied
# and never pulls a newer (multi-GB CUDA) build.
set -euo pipefail
PY=${PYTHON:-python3}
cd "$(dirname "$0")/.."
if ! "$PY" -c "import torch" >/dev/null 2>&1; then
    "$PY" -m pip install -q "torch==2.13.0"
fi
stamp=.bootstrap-stamp
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    "$PY" -m pip install -q -e ".[dev]"
    touch "$stamp"
fi
