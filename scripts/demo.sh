#!/usr/bin/env bash
# The main job: set everything up, run the REMAP demo on the bundled offline data set (sample a
# model space, train it, ablate and vary the best model, print the table, export the best model
# as a PyTorch file), then show it: in VS Code when `code` is on the PATH (the extension is
# packaged and installed, and the demo workspace opens), otherwise as a self-contained HTML
# report. Extra arguments go to `remap demo` (e.g. --models 20 --fresh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
WS="${REMAP_DEMO_WORKSPACE:-$ROOT/demo-workspace}"
"$ROOT/.venv/bin/remap" demo --workspace "$WS" "$@"

# Point the extension at this repository's interpreter for the demo workspace.
mkdir -p "$WS/.vscode"
[ -f "$WS/.vscode/settings.json" ] || cat > "$WS/.vscode/settings.json" <<JSON
{
  "remap.python": "$ROOT/.venv/bin/python"
}
JSON

if command -v code >/dev/null 2>&1 && [ -z "${REMAP_NO_EDITOR:-}" ]; then
  echo "[demo] packaging the extension and opening the demo workspace in VS Code"
  npm run -s package >/dev/null
  code --install-extension "$ROOT/dist/remap.vsix" --force >/dev/null
  code "$WS"
  echo "[demo] in VS Code: run 'REMAP: Open Model Map' from the command palette"
else
  "$ROOT/.venv/bin/remap" report --workspace "$WS" --out "$WS/remap-report.html"
  echo "[demo] no 'code' command on the PATH: open $WS/remap-report.html in a browser"
fi
