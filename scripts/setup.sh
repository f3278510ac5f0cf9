#!/usr/bin/env bash
# Installs everything Dynamiq and its tests need on a fresh Debian/Ubuntu machine:
# system packages (bubblewrap and the official CLIs for sandboxes, Chromium for portal tests),
# the Temporal CLI for the embedded server, npm dependencies and the Prisma client.
# Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n== %s\n' "$*"; }

APT_PACKAGES=(bubblewrap gh awscli chromium docker-compose util-linux procps)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    say "Installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing system packages (install them with your package manager): ${missing[*]}" >&2
  fi
fi

# Go's official installer puts it in /usr/local/go, which a non-login shell may not have on PATH.
if ! command -v go >/dev/null && [ -x /usr/local/go/bin/go ]; then PATH="/usr/local/go/bin:$PATH"; fi
if ! command -v temporal >/dev/null && [ ! -x .tools/bin/temporal ]; then
  if command -v go >/dev/null; then
    say "Building the Temporal CLI from the Go module proxy (first time: a few minutes)"
    GOBIN="$PWD/.tools/bin" go install github.com/temporalio/cli/cmd/temporal@v1.5.1
  else
    echo "No temporal CLI and no Go: npm start will download the Temporal CLI (needs internet)." >&2
  fi
fi

# Node.js 22 or newer: when the machine's own is older, Node 24 from the npm registry goes into
# .tools/node, and the npm scripts that run the product and the tests use it (scripts/with-node.sh).
node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$node_major" -lt 22 ] && [ ! -d .tools/node ]; then
  say "Node.js $(node --version 2>/dev/null || echo '(none)') is older than 22: installing Node 24 into .tools/node"
fi
if [ "$node_major" -lt 22 ] || [ -d .tools/node ]; then
  PATH="$(bash scripts/install-node.sh):$PATH"
  export PATH
fi

say "Installing npm dependencies (Node $(node --version))"
npm ci --no-audit --no-fund
npm ci --prefix tools/prisma6 --ignore-scripts --no-audit --no-fund

say "Setup complete. Start with: npm start"
