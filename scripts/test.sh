#!/usr/bin/env bash
# Every test and check: set-up, then lint (ruff), format check, type check (mypy --strict)
# and the whole test suite (pytest). Extra arguments go to pytest.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
bash "$ROOT/scripts/setup.sh"
cd "$ROOT"
V="$ROOT/.venv/bin"
status=0
step() { echo; echo "=== $*"; }

step "ruff check"
"$V/ruff" check --config python_server/pyproject.toml python_server tests bench || status=1
step "ruff format --check"
"$V/ruff" format --check --config python_server/pyproject.toml python_server tests bench || status=1
step "mypy --strict"
(cd python_server && "$V/mypy") || status=1
step "pytest"
"$V/pytest" -q -p no:cacheprovider "$@" || status=1

exit $status
