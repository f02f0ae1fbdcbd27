#!/usr/bin/env bash
# Tools the controller's benchmarks use: hey (HTTP load generator) for
# scripts/api-latency.sh. Idempotent and fast when already installed.
set -euo pipefail
GOBIN_DIR=$(go env GOBIN)
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
if [ ! -x "$GOBIN_DIR/hey" ] && ! command -v hey >/dev/null 2>&1; then
  echo "installing hey"
  # Outside the module so its old dependencies never touch go.mod.
  (cd /tmp && GOFLAGS=-mod=mod go install github.com/rakyll/hey@v0.1.4)
fi
