#!/usr/bin/env bash
# The main job: set everything up, then run the REMAP demo on the bundled offline data set
# (sample a model space, train it, ablate and vary the best model, print the table, export
# the best model as a PyTorch file). Extra arguments go to `remap demo`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
exec "$ROOT/.venv/bin/remap" demo --workspace "${REMAP_DEMO_WORKSPACE:-$ROOT/demo-workspace}" "$@"
