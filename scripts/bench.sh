#!/usr/bin/env bash
# `make bench`: Coffer side by side with restic on the same data, same machine, one run.
# Prints backup/restore MB/s, repository size, peak RSS, unchanged re-backup time, the
# ratios against restic, and the machine's pipeline limit (hash, zstd, AES-GCM per core
# and disk). BENCH_MIB sets the data set size (default 2048); BENCH_SMALL_MIB and
# BENCH_LARGE_MIB the two sizes of the flat-memory check (default 1024 and 4096).
set -euo pipefail
cd "$(dirname "$0")/.."
COFFER=$PWD/bin/coffer
W=${BENCH_DIR:-$PWD/.bench}
MIB=${BENCH_MIB:-2048}
SMALL=${BENCH_SMALL_MIB:-1024}
LARGE=${BENCH_LARGE_MIB:-4096}
export RESTIC_PASSWORD=bench-password
unset COFFER_PASSPHRASE

if ! command -v restic >/dev/null; then
  echo "== installing restic from apt"
  (apt-get install -y restic >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y restic >/dev/null))
fi
[ -x /usr/bin/time ] || (apt-get install -y time >/dev/null 2>&1 || (apt-get update >/dev/null && apt-get install -y time >/dev/null))

mkdir -p "$W"
data() { # data NAME MIB
  local d="$W/$1"
  if [ ! -f "$d/.complete-$2" ]; then
    rm -rf "$d"; echo "== generating $2 MiB data set in $d" >&2
    go run ./scripts/benchdata -dir "$d" -mib "$2" >&2
    touch "$d/.complete-$2"
  fi
  echo "$d"
}

# run LABEL CMD... : runs CMD under /usr/bin/time, prints "seconds maxrss_kib"
# Each run starts with no dirty pages, so no tool pays for the previous one's
# writeback (restic does not fsync what it restores; Coffer does).
run() {
  local label=$1; shift
  sync
  /usr/bin/time -f "%e %M" -o "$W/time.$label" "$@" >"$W/log.$label" 2>&1 || {
    echo "!! $label failed:" >&2; tail -20 "$W/log.$label" >&2; exit 1; }
  cat "$W/time.$label"
}
size_of() { du -sb "$1" | cut -f1; }
# Disk restores go into a fresh ext4 file system on a loop device (an image
# file on this machine's disk), made anew for each run. On the long-lived
# root file system, after bench rounds had created and deleted a few hundred
# thousand files, ext4's inode allocator (recently_deleted checks under the
# directory lock) turned a 4.6 s restore into 9-27 s of mostly system time,
# for one tool more than the other. Without loop devices: a directory on $W.
fresh_target() { # fresh_target NAME: prints the directory to restore into
  local img="$W/$1.img" mnt="$W/$1.mnt"
  umount "$mnt" 2>/dev/null || true
  rm -rf "$img" "$mnt" "$W/$1.dir"; mkdir -p "$mnt"
  if truncate -s $(( BYTES * 2 + (1 << 30) )) "$img" && mkfs.ext4 -q -F "$img" >/dev/null 2>&1 &&
    mount -o loop "$img" "$mnt" 2>/dev/null; then
    echo "$mnt/t"
  else
    rm -f "$img"; echo "$W/$1.dir"
  fi
}
trap 'for m in "$W"/*.mnt; do umount "$m" 2>/dev/null || true; done' EXIT
drop_target() { umount "$W/$1.mnt" 2>/dev/null || true; rm -rf "$W/$1.img" "$W/$1.mnt" "$W/$1.dir"; }
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", b / 1048576 / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2fx", a / b }'; }

DATA=$(data main "$MIB")
BYTES=$(du -sb --exclude='.complete-*' "$DATA" | cut -f1)
sync

echo "== coffer backup"
rm -rf "$W/coffer-repo" "$W/coffer.key"
$COFFER repo init --repo "$W/coffer-repo" --key-file "$W/coffer.key" >/dev/null
read -r cb_s cb_rss < <(run coffer-backup $COFFER repo backup --repo "$W/coffer-repo" --key-file "$W/coffer.key" "$DATA")
read -r cr_s _ < <(run coffer-rebackup $COFFER repo backup --repo "$W/coffer-repo" --key-file "$W/coffer.key" "$DATA")
t=$(fresh_target coffer-restore)
read -r cx_s cx_rss < <(run coffer-restore $COFFER repo restore --repo "$W/coffer-repo" --key-file "$W/coffer.key" latest --target "$t")
c_size=$(size_of "$W/coffer-repo")
diff -rq "$DATA" "$t$DATA" >/dev/null || { echo "!! coffer restore differs from source" >&2; exit 1; }
drop_target coffer-restore

echo "== coffer backup, --compression fastest (speed over size)"
rm -rf "$W/coffer-fast-repo"
$COFFER repo init --repo "$W/coffer-fast-repo" --key-file "$W/coffer.key" >/dev/null
read -r cf_s cf_rss < <(run coffer-fast-backup $COFFER repo backup --repo "$W/coffer-fast-repo" --key-file "$W/coffer.key" --compression fastest "$DATA")
cf_size=$(size_of "$W/coffer-fast-repo")
rm -rf "$W/coffer-fast-repo"

echo "== restic backup"
rm -rf "$W/restic-repo"
restic init -r "$W/restic-repo" >/dev/null
read -r rb_s rb_rss < <(run restic-backup restic -r "$W/restic-repo" backup "$DATA")
read -r rr_s _ < <(run restic-rebackup restic -r "$W/restic-repo" backup "$DATA")
t=$(fresh_target restic-restore)
read -r rx_s rx_rss < <(run restic-restore restic -r "$W/restic-repo" restore latest --target "$t")
drop_target restic-restore
r_size=$(size_of "$W/restic-repo")

# Second round in the reverse order (A B B A): this VM's speed drifts by tens of
# percent over a minute, and the mean of both rounds cancels a steady drift.
echo "== second round, reverse order: restic then coffer"
rm -rf "$W/restic-repo2"
restic init -r "$W/restic-repo2" >/dev/null
read -r rb2_s _ < <(run restic-backup2 restic -r "$W/restic-repo2" backup "$DATA")
rm -rf "$W/restic-repo2"
t=$(fresh_target restic-restore)
read -r rx2_s _ < <(run restic-restore2 restic -r "$W/restic-repo" restore latest --target "$t")
drop_target restic-restore
t=$(fresh_target coffer-restore)
read -r cx2_s _ < <(run coffer-restore2 $COFFER repo restore --repo "$W/coffer-repo" --key-file "$W/coffer.key" latest --target "$t")
drop_target coffer-restore
rm -rf "$W/coffer-repo2"
$COFFER repo init --repo "$W/coffer-repo2" --key-file "$W/coffer.key" >/dev/null
read -r cb2_s _ < <(run coffer-backup2 $COFFER repo backup --repo "$W/coffer-repo2" --key-file "$W/coffer.key" "$DATA")
rm -rf "$W/coffer-repo2"
echo "backup runs: coffer $cb_s s, $cb2_s s; restic $rb_s s, $rb2_s s"
echo "restore runs: coffer $cx_s s, $cx2_s s; restic $rx_s s, $rx2_s s"
mean() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (a + b) / 2 }'; }
cb_s=$(mean "$cb_s" "$cb2_s"); rb_s=$(mean "$rb_s" "$rb2_s")
cx_s=$(mean "$cx_s" "$cx2_s"); rx_s=$(mean "$rx_s" "$rx2_s")

# Restores into memory (tmpfs) measure the tools rather than this machine's disk.
tx_c=n/a; tx_r=n/a
mkdir -p "$W/tmpfs"
if mount -t tmpfs -o size=$(( (BYTES / 1048576) * 2 + 1024 ))m tmpfs "$W/tmpfs" 2>/dev/null; then
  echo "== restores into tmpfs"
  read -r tx_c _ < <(run coffer-restore-tmpfs $COFFER repo restore --repo "$W/coffer-repo" --key-file "$W/coffer.key" latest --target "$W/tmpfs/c")
  rm -rf "$W/tmpfs/c"
  read -r tx_r _ < <(run restic-restore-tmpfs restic -r "$W/restic-repo" restore latest --target "$W/tmpfs/r")
  umount "$W/tmpfs"
  tx_c=$(mbps "$BYTES" "$tx_c"); tx_r=$(mbps "$BYTES" "$tx_r")
fi

echo "== coffer peak RSS at ${SMALL} MiB and ${LARGE} MiB"
rss_for() {
  local d; d=$(data "flat$1" "$1")
  rm -rf "$W/flat-repo"; $COFFER repo init --repo "$W/flat-repo" --key-file "$W/coffer.key" >/dev/null
  read -r _ rss < <(run "flat$1" $COFFER repo backup --repo "$W/flat-repo" --key-file "$W/coffer.key" "$d")
  rm -rf "$W/flat-repo"
  echo "$rss"
}
rss_small=$(rss_for "$SMALL")
rss_large=$(rss_for "$LARGE")

echo "== component benchmarks (chunker vs restic's, chunk ID, zstd levels, SaveBlob)"
go test -run '^$' -bench . -benchtime 20x ./internal/chunker ./internal/repo 2>&1 | grep -E '^Benchmark' | tee "$W/components.txt"

echo "== pipeline limit of this machine"
go run ./scripts/pipelinelimit -dir "$W" -data "$DATA" | tee "$W/limit.txt"
limit=$(awk '/^pipeline limit/ {print $3}' "$W/limit.txt")

cb=$(mbps "$BYTES" "$cb_s"); rb=$(mbps "$BYTES" "$rb_s"); cf=$(mbps "$BYTES" "$cf_s")
cx=$(mbps "$BYTES" "$cx_s"); rx=$(mbps "$BYTES" "$rx_s")
cat <<REPORT

Coffer vs restic $(restic version | awk '{print $2}') on $(awk -v b="$BYTES" 'BEGIN{printf "%.2f GiB", b/1073741824}') ($(nproc) cores)
                         coffer        restic        ratio (target)
backup MB/s              $(printf '%-13s %-13s' "$cb" "$rb") $(ratio "$cb" "$rb") (>= 2x; mean of 2 runs, A B B A)
restore MB/s             $(printf '%-13s %-13s' "$cx" "$rx") $(ratio "$cx" "$rx") (>= 2x; to a fresh ext4 on this disk; mean of 2 runs)
restore MB/s, to tmpfs   $(printf '%-13s %-13s' "$tx_c" "$tx_r") $(ratio "$tx_c" "$tx_r")
unchanged re-backup s    $(printf '%-13s %-13s' "$cr_s" "$rr_s") $(ratio "$rr_s" "$cr_s") faster
repository MiB           $(printf '%-13s %-13s' "$((c_size/1048576))" "$((r_size/1048576))") $(ratio "$c_size" "$r_size") (<= 1x)
backup MB/s, fastest     $(printf '%-13s %-13s' "$cf" "$rb") $(ratio "$cf" "$rb")   (--compression fastest)
repository MiB, fastest  $(printf '%-13s %-13s' "$((cf_size/1048576))" "$((r_size/1048576))") $(ratio "$cf_size" "$r_size")
backup peak RSS MiB      $(printf '%-13s %-13s' "$((cb_rss/1024))" "$((rb_rss/1024))")
restore peak RSS MiB     $(printf '%-13s %-13s' "$((cx_rss/1024))" "$((rx_rss/1024))")
coffer peak RSS: ${SMALL} MiB data $((rss_small/1024)) MiB, ${LARGE} MiB data $((rss_large/1024)) MiB (target: the same)
coffer backup vs pipeline limit: $cb of $limit MB/s = $(awk -v a="$cb" -v b="$limit" 'BEGIN{printf "%.0f%%", 100*a/b}') (target >= 80%)
REPORT

if [ "${BENCH_STORAGE:-1}" = 1 ]; then
  echo
  echo "== storage backends: coffer vs rclone against the same local servers"
  QUICK=${QUICK:-1} bash scripts/bench-storage.sh
fi

if [ "${BENCH_POSTGRES:-1}" = 1 ]; then
  echo
  echo "== PostgreSQL: coffer vs pgBackRest on a pgbench database"
  bash scripts/bench-postgres.sh
fi
