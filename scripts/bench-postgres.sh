#!/usr/bin/env bash
# Coffer against pgBackRest on the same PostgreSQL 15 cluster, same machine, one run:
# full backup time, incremental after 1% of the rows changed, restore time (files only,
# no WAL replay), repository size and peak RSS, with ratios. Both compress with zstd
# (default level), encrypt (Coffer AES-256-GCM, pgBackRest aes-256-cbc) and use the same
# number of processes (BENCH_PG_PROCS, default the number of CPUs).
# BENCH_PG_SCALE sets the pgbench scale (default 100, about 1.5 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps/postgres.sh
SCALE=${BENCH_PG_SCALE:-100}
PROCS=${BENCH_PG_PROCS:-$(nproc)}
W=${BENCH_PG_DIR:-/tmp/coffer-bench-pg}
BIN=/usr/lib/postgresql/15/bin
PORT=${BENCH_PG_PORT:-55432}

go build -o "$W.bin/coffer" ./cmd/coffer
COFFER=$W.bin/coffer
chmod 755 "$W.bin"

as_pg() { runuser -u postgres -- "$@"; }
cleanup() { as_pg "$BIN/pg_ctl" -D "$W/data" -m immediate stop >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup
rm -rf "$W"
mkdir -p "$W"
chown postgres: "$W"
chmod 755 "$W"

# run LABEL CMD... : runs CMD as postgres under /usr/bin/time; prints "seconds maxrss_kib"
run() {
	local label=$1
	shift
	as_pg /usr/bin/time -f "%e %M" -o "$W/time.$label" "$@" >"$W/log.$label" 2>&1 || {
		echo "!! $label failed:" >&2
		tail -20 "$W/log.$label" >&2
		exit 1
	}
	cat "$W/time.$label"
}

# settle: flush the previous step's dirty pages and empty the page cache,
# so neither tool pays for the other's writeback or reads the other's warm
# cache.
settle() {
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
}

# quiesce: switch WAL and wait until the archiver has caught up, so no
# tool pays for the other's (or pgbench's) archiving backlog.
quiesce() {
	local seg
	seg=$(as_pg "$BIN/psql" -h "$W" -p "$PORT" -Atqc "SELECT pg_walfile_name(pg_current_wal_lsn())" postgres)
	as_pg "$BIN/psql" -h "$W" -p "$PORT" -qAtc "SELECT pg_switch_wal()" postgres >/dev/null
	until [ "$(as_pg "$BIN/psql" -h "$W" -p "$PORT" -Atqc "SELECT coalesce(last_archived_wal, '') >= '$seg' FROM pg_stat_archiver" postgres)" = t ]; do
		sleep 0.2
	done
	settle
}

echo "== cluster: pgbench scale $SCALE, archiving to both tools"
as_pg "$BIN/initdb" -D "$W/data" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
as_pg "$COFFER" repo init --repo "$W/coffer" --key-file "$W/coffer.key" >/dev/null
cat >"$W/pgbackrest.conf" <<EOF
[global]
repo1-path=$W/pgbackrest
repo1-cipher-type=aes-256-cbc
repo1-cipher-pass=bench-cipher-passphrase
compress-type=zst
process-max=$PROCS
start-fast=y
log-level-console=warn
log-path=$W
lock-path=$W

[bench]
pg1-path=$W/data
pg1-port=$PORT
pg1-socket-path=$W
EOF
chown postgres: "$W/pgbackrest.conf"
PGBR="pgbackrest --config=$W/pgbackrest.conf --stanza=bench"
cat >>"$W/data/postgresql.conf" <<EOF
port = $PORT
unix_socket_directories = '$W'
listen_addresses = ''
shared_buffers = 256MB
max_wal_size = 4GB
wal_level = replica
archive_mode = on
archive_command = '$COFFER wal-push --source bench --repo $W/coffer --key-file $W/coffer.key %p && $PGBR archive-push %p'
EOF
as_pg "$BIN/pg_ctl" -D "$W/data" -l "$W/postgres.log" -w start >/dev/null
as_pg $PGBR stanza-create >/dev/null
as_pg "$BIN/pgbench" -h "$W" -p "$PORT" -i -s "$SCALE" -q postgres >/dev/null 2>&1
as_pg "$BIN/psql" -h "$W" -p "$PORT" -qc CHECKPOINT postgres
DATA_MB=$(du -sm "$W/data" | cut -f1)

quiesce
BFLAGS=(${COFFER_PG_FLAGS:-}) # extra backup flags, e.g. "--compression max"
CARGS=(--source bench --host "$W" --port "$PORT" --user postgres --pgdata "$W/data" --repo "$W/coffer" --key-file "$W/coffer.key" --json)
echo "== full backups ($DATA_MB MB data directory, $PROCS processes)"
read -r c_full c_full_rss < <(run coffer-full "$COFFER" postgres backup "${CARGS[@]}" "${BFLAGS[@]}")
quiesce
read -r p_full p_full_rss < <(run pgbr-full $PGBR --type=full backup)

echo "== 1% of pgbench_accounts updated"
as_pg "$BIN/psql" -h "$W" -p "$PORT" -qc "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0" postgres
as_pg "$BIN/psql" -h "$W" -p "$PORT" -qc CHECKPOINT postgres
quiesce
read -r c_incr c_incr_rss < <(run coffer-incr "$COFFER" postgres backup "${CARGS[@]}" "${BFLAGS[@]}" --parent latest)
quiesce
read -r p_incr p_incr_rss < <(run pgbr-incr $PGBR --type=incr backup)

echo "== restores of the incremental (files only; twice each, order A B B A, mean)"
restore_coffer() {
	rm -rf "$W/restore-coffer"
	settle
	run coffer-restore "$COFFER" postgres restore "${CARGS[@]}" --immediate --target "$W/restore-coffer" --no-archive --verify-wal=false
}
restore_pgbr() {
	rm -rf "$W/restore-pgbr"
	settle
	run pgbr-restore $PGBR --pg1-path="$W/restore-pgbr" --type=immediate restore
}
read -r c_rest1 c_rest_rss < <(restore_coffer)
read -r p_rest1 p_rest_rss < <(restore_pgbr)
read -r p_rest2 p_rest_rss2 < <(restore_pgbr)
read -r c_rest2 c_rest_rss2 < <(restore_coffer)
mean() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (a + b) / 2 }'; }
c_rest=$(mean "$c_rest1" "$c_rest2")
p_rest=$(mean "$p_rest1" "$p_rest2")
c_rest_rss=$(( c_rest_rss > c_rest_rss2 ? c_rest_rss : c_rest_rss2 ))
p_rest_rss=$(( p_rest_rss > p_rest_rss2 ? p_rest_rss : p_rest_rss2 ))
echo "restore runs: coffer $c_rest1 s, $c_rest2 s; pgbackrest $p_rest1 s, $p_rest2 s"

size() { du -sb "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
c_size=$(size "$W/coffer/data" "$W/coffer/index" "$W/coffer/snapshots")
p_size=$(size "$W/pgbackrest/backup")
c_wal=$(size "$W/coffer/wal")
p_wal=$(size "$W/pgbackrest/archive")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
echo
printf "%-34s %12s %12s %10s\n" "pgbench scale $SCALE ($DATA_MB MB)" "coffer" "pgbackrest" "ratio"
printf "%-34s %11ss %11ss %9sx  (pgBackRest time / Coffer time)\n" "full backup" "$c_full" "$p_full" "$(ratio "$p_full" "$c_full")"
printf "%-34s %11ss %11ss %9sx\n" "incremental after 1% updated" "$c_incr" "$p_incr" "$(ratio "$p_incr" "$c_incr")"
printf "%-34s %11ss %11ss %9sx\n" "restore (files, no replay)" "$c_rest" "$p_rest" "$(ratio "$p_rest" "$c_rest")"
printf "%-34s %10sMB %10sMB %9sx  (Coffer size / pgBackRest size)\n" "repository: both backups" "$(mb "$c_size")" "$(mb "$p_size")" "$(ratio "$c_size" "$p_size")"
printf "%-34s %10sMB %10sMB %9sx\n" "repository: archived WAL" "$(mb "$c_wal")" "$(mb "$p_wal")" "$(ratio "$c_wal" "$p_wal")"
printf "%-34s %10sMB %10sMB %9sx  (Coffer / pgBackRest)\n" "peak RSS, full backup" "$(mb $((c_full_rss * 1024)))" "$(mb $((p_full_rss * 1024)))" "$(ratio "$c_full_rss" "$p_full_rss")"
printf "%-34s %10sMB %10sMB %9sx\n" "peak RSS, incremental" "$(mb $((c_incr_rss * 1024)))" "$(mb $((p_incr_rss * 1024)))" "$(ratio "$c_incr_rss" "$p_incr_rss")"
printf "%-34s %10sMB %10sMB %9sx\n" "peak RSS, restore" "$(mb $((c_rest_rss * 1024)))" "$(mb $((p_rest_rss * 1024)))" "$(ratio "$c_rest_rss" "$p_rest_rss")"
