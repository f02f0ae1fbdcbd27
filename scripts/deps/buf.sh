#!/usr/bin/env bash
# Installs buf and the protoc plugins that scripts/generate.sh runs, at pinned
# versions, into $(go env GOPATH)/bin. Idempotent and fast when already installed.
#
# protoc-gen-go and the grpc-gateway plugins are pinned to the versions of their
# runtime libraries in go.mod, so generated code always matches what it links
# against; bumping those modules in go.mod bumps the generators with them.
set -euo pipefail

cd "$(dirname "$0")/../.."

BUF_VERSION=v1.75.0
GO_GRPC_VERSION=v1.6.2 # google.golang.org/grpc/cmd/protoc-gen-go-grpc (its own module)

modversion() { go list -m -f '{{.Version}}' "$1"; }
PROTOBUF_VERSION=$(modversion google.golang.org/protobuf)
GATEWAY_VERSION=$(modversion github.com/grpc-ecosystem/grpc-gateway/v2)

GOBIN_DIR=$(go env GOBIN)
[ -n "$GOBIN_DIR" ] || GOBIN_DIR="$(go env GOPATH)/bin"

# install BINARY PACKAGE VERSION: skips the build when the binary at
# GOBIN_DIR already reports that module version.
install() {
	local bin=$1 pkg=$2 version=$3
	if [ -x "$GOBIN_DIR/$bin" ] &&
		go version -m "$GOBIN_DIR/$bin" 2>/dev/null | awk '$1 == "mod" { print $3 }' | grep -qx "$version"; then
		return 0
	fi
	echo "installing $bin $version" >&2
	GOBIN="$GOBIN_DIR" go install "$pkg@$version"
}

install buf github.com/bufbuild/buf/cmd/buf "$BUF_VERSION"
install protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go "$PROTOBUF_VERSION"
install protoc-gen-go-grpc google.golang.org/grpc/cmd/protoc-gen-go-grpc "$GO_GRPC_VERSION"
install protoc-gen-grpc-gateway github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-grpc-gateway "$GATEWAY_VERSION"
install protoc-gen-openapiv2 github.com/grpc-ecosystem/grpc-gateway/v2/protoc-gen-openapiv2 "$GATEWAY_VERSION"
