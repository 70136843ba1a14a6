#!/usr/bin/env bash
# Runs the tests of every module in the workspace (go.work). Extra arguments
# go to `go test`, e.g. scripts/test-all.sh -race -count=1.
# Tests that need Redis, PostgreSQL, MariaDB, Node.js or Chromium skip with a
# message unless their environment variables / tools are there (see README).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t mods < <(go list -m -f '{{.Dir}}')
pkgs=()
for m in "${mods[@]}"; do pkgs+=("$m/..."); done
exec go test "$@" "${pkgs[@]}"
