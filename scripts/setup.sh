#!/usr/bin/env bash
# Prepares everything REMAP needs, idempotently: a Python virtual environment in .venv with
# PyTorch (CPU build 2.13.0, installed first so that no other torch build is pulled) and the
# remap package with its dev tools; then the extension's npm packages and its build (the
# extension bundle, the webviews and the HTML-report assets). Re-running it takes seconds.
#   REMAP_PYTHON=python3.11 bash scripts/setup.sh     # choose the base interpreter
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PY=${REMAP_PYTHON:-python3}
VENV="$ROOT/.venv"
log() { echo "[setup] $*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV"
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  log "installing torch==2.13.0"
  "$VENV/bin/pip" install -q --disable-pip-version-check torch==2.13.0
fi
stamp="$VENV/.remap-installed"
if [ ! -f "$stamp" ] || [ python_server/pyproject.toml -nt "$stamp" ]; then
  log "installing the remap package, its dev tools, the Ray and bench extras"
  "$VENV/bin/pip" install -q --disable-pip-version-check -e "python_server[dev,ray,bench]"
  touch "$stamp"
fi
log "python ready: $("$VENV/bin/python" -c 'import torch, remap; print("torch", torch.__version__, "· remap", remap.__version__)')"
warm="$VENV/.remap-numba-warm"
if [ ! -f "$warm" ] || [ python_server/pyproject.toml -nt "$warm" ]; then
  # numba's on-disk cache (OTMANN kernel, pynndescent): the first map of a session then
  # loads compiled code instead of compiling it (see remap/analysis/warmup.py)
  log "warming the numba cache (once)"
  "$VENV/bin/python" -c "from remap.analysis.warmup import configure_numba_cache; configure_numba_cache(); from remap.analysis.otmann_fast import warm_up; from remap.analysis.projection import warmup_fit; warm_up(); warmup_fit()" \
    && touch "$warm" || log "numba warm-up failed (maps still work; the first one compiles)"
fi

if command -v npm >/dev/null; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  log "building the extension and webviews"
  npm run -s build >/dev/null
else
  log "npm not found: skipping the VS Code extension and the HTML report bundle"
fi
