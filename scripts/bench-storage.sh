#!/usr/bin/env bash
# Measures Coffer's storage backends against rclone: the same files are
# uploaded to and downloaded from the same local servers (versitygw,
# Azurite, fake-gcs-server, sshd) by both tools, and MB/s with ratios are
# printed. Also runs the per-backend Go benchmarks (object sizes 64 KiB to
# 16 MiB) unless QUICK=1.
#
#   scripts/bench-storage.sh                     # 32 files x 8 MiB, 4 transfers
#   COFFER_BENCH_FILES=64 COFFER_BENCH_FILE_MIB=16 COFFER_BENCH_TRANSFERS=8 scripts/bench-storage.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/deps/storage-servers.sh >/dev/null

echo "== Coffer vs rclone (same files, same servers)"
go test -run '^$' -bench '^BenchmarkVsRclone$' -benchtime 1x -timeout 30m ./internal/storage/all/ |
	grep -vE '^(goos|goarch|pkg|cpu|PASS|ok|BenchmarkVsRclone)'

if [ "${QUICK:-0}" != 1 ]; then
	echo
	echo "== Per-backend Save/Open throughput (go test -bench)"
	go test -run '^$' -bench '^BenchmarkUploadDownload$' -benchtime 10x -timeout 30m \
		./internal/storage/s3/ ./internal/storage/azure/ ./internal/storage/gcs/ ./internal/storage/sftp/ |
		grep -E '^(Benchmark|ok|FAIL)'
fi
