#!/usr/bin/env bash
# Every test and check: set-up, then Python lint (ruff), format check, type check (mypy
# --strict), TypeScript type check and lint, unit tests (pytest, vitest), webview tests in
# headless Chromium, and the end-to-end tests in a real VS Code (code-server). Installs
# Chromium and code-server on first use (scripts/e2e-install.sh). Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
V="$ROOT/.venv/bin"
status=0
failed=()
step() { echo; echo "=== $*"; }
check() { local name=$1; shift; "$@" || { status=1; failed+=("$name"); }; }

step "ruff check"
check ruff "$V/ruff" check python_server tests bench
step "ruff format --check"
check ruff-format "$V/ruff" format --check python_server tests bench
step "mypy --strict"
check mypy bash -c "cd python_server && '$V/mypy'"
step "tsc (extension, webview, tests)"
check tsc npm run -s typecheck
step "eslint"
check eslint npm run -s lint
step "vitest (TypeScript unit tests)"
check vitest npm run -s test:unit
step "install Chromium and code-server for the browser tests (first run only)"
check e2e-install bash scripts/e2e-install.sh
step "webview tests (headless Chromium)"
check webview npm run -s test:webview
step "end-to-end tests in a real VS Code (code-server + Chromium)"
check e2e npm run -s test:e2e
step "pytest"
check pytest "$V/pytest" -q -p no:cacheprovider "$@"

if [ $status -ne 0 ]; then
  echo; echo "FAILED: ${failed[*]}"
fi
exit $status
