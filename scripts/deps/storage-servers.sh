#!/usr/bin/env bash
# Installs the real servers the remote storage backend tests run against:
#   versitygw (S3), fake-gcs-server (GCS), Azurite (Azure Blob), OpenSSH sshd (SFTP),
#   and rclone (for scripts/bench-storage.sh).
# Idempotent: each step checks first and returns quickly when already installed.
set -euo pipefail

VERSITYGW_VERSION=v1.8.0
FAKE_GCS_VERSION=v1.56.1
AZURITE_VERSION=3.37.0

GOBIN="$(go env GOPATH)/bin"
# Azurite goes under npm's global prefix (its azurite-blob lands in PATH); the tests
# also look in $COFFER_NPM_PREFIX/bin when that is set.
NPM_PREFIX="${COFFER_NPM_PREFIX:-$(npm prefix -g)}"

have_go_bin() { # name version
	local bin="$GOBIN/$1"
	[ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -q "mod.*$2"
}

if ! have_go_bin versitygw "$VERSITYGW_VERSION"; then
	echo "storage-servers: installing versitygw $VERSITYGW_VERSION"
	go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
fi

if ! have_go_bin fake-gcs-server "$FAKE_GCS_VERSION"; then
	echo "storage-servers: installing fake-gcs-server $FAKE_GCS_VERSION"
	go install "github.com/fsouza/fake-gcs-server@$FAKE_GCS_VERSION"
fi

if [ ! -x "$NPM_PREFIX/bin/azurite-blob" ] ||
	! grep -q "\"version\": \"$AZURITE_VERSION\"" "$NPM_PREFIX/lib/node_modules/azurite/package.json" 2>/dev/null; then
	echo "storage-servers: installing azurite $AZURITE_VERSION under $NPM_PREFIX"
	mkdir -p "$NPM_PREFIX"
	npm install --global --prefix "$NPM_PREFIX" --no-audit --no-fund "azurite@$AZURITE_VERSION"
fi

apt_missing=()
[ -x /usr/sbin/sshd ] || apt_missing+=(openssh-server)
command -v rclone >/dev/null || apt_missing+=(rclone)
if [ "${#apt_missing[@]}" -gt 0 ]; then
	echo "storage-servers: installing ${apt_missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Tests start sshd themselves on a free port; keep the package's
	# maintainer scripts from starting a system-wide one.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${apt_missing[@]}"
fi
echo "storage-servers: ok"
