#!/usr/bin/env bash
# Installs what the PostgreSQL driver's tests and benchmark need:
#   PostgreSQL 15 server and client binaries under /usr/lib/postgresql/15/bin
#   (initdb, postgres, pg_dump, pg_restore, pgbench, pg_waldump), the postgres
#   system user they run as, and pgbackrest for scripts/bench-postgres.sh.
# Idempotent: returns at once when everything is present.
set -euo pipefail

BIN=/usr/lib/postgresql/15/bin
missing=()
for b in initdb postgres pg_ctl pg_dump pg_dumpall pg_restore pgbench pg_waldump; do
	if [ ! -x "$BIN/$b" ]; then
		missing+=(postgresql-15 postgresql-client-15)
		break
	fi
done
command -v pgbackrest >/dev/null || missing+=(pgbackrest)

if [ "${#missing[@]}" -gt 0 ]; then
	echo "postgres: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Tests start their own clusters; keep the packages from starting one.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! id postgres >/dev/null 2>&1; then
	echo "postgres: creating the postgres system user"
	useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
