#!/bin/sh
# Runs a command (the npm scripts that run the product or the tests) with the Node.js that
# `npm run setup` installed into .tools/node first on PATH, when it is there: setup installs it
# when the machine's own Node is older than 22. Otherwise the machine's Node runs it.
root="$(cd "$(dirname "$0")/.." && pwd)"
for bin in "$root"/.tools/node/node_modules/node-linux-*/bin; do
  if [ -x "$bin/node" ]; then
    PATH="$bin:$PATH"
    export PATH
    break
  fi
done
exec "$@"
