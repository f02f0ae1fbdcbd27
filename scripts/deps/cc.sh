#!/usr/bin/env bash
# A C compiler: cgo builds compress with libzstd (github.com/DataDog/zstd,
# bundled source) and `go test -race` needs cgo. Without one, Go builds
# without cgo and Coffer falls back to the pure-Go zstd encoder (slower).
set -euo pipefail
if command -v gcc >/dev/null; then exit 0; fi
echo "installing gcc (cgo: libzstd, race detector)"
apt-get install -y gcc >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y gcc >/dev/null)
