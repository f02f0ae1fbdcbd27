#!/usr/bin/env bash
# Regenerates gen/ from proto/ (make generate). Lints first so a bad API
# change fails before it produces code. Uses only local plugins, installed at
# pinned versions by scripts/deps/buf.sh; running it twice gives no diff.
set -euo pipefail

cd "$(dirname "$0")/.."

bash scripts/deps/buf.sh

GOBIN_DIR=$(go env GOBIN)
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"

buf lint
buf generate
