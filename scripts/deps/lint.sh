#!/usr/bin/env bash
# Installs the linters CI runs (staticcheck; go vet comes with Go).
set -euo pipefail
GOBIN="$(go env GOPATH)/bin"
want="v0.8.2"
if [ -x "$GOBIN/staticcheck" ] && "$GOBIN/staticcheck" -version 2>/dev/null | grep -q "$want"; then
  exit 0
fi
go install "honnef.co/go/tools/cmd/staticcheck@$want"
