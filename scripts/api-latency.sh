#!/usr/bin/env bash
# GET /api/backups latency with 10,000 catalogued backups: a `coffer
# controller` on a fresh PostgreSQL database (127.0.0.1:5432, user postgres,
# trust), the catalog filled by scripts/apilatency, load from hey on
# loopback. Prints p50/p99 per query.
# Usage: scripts/api-latency.sh [N]   (env: REQUESTS, CONCURRENCY, COFFER)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
REQUESTS=${REQUESTS:-4000}
CONCURRENCY=${CONCURRENCY:-4}
bash scripts/deps/controller.sh
export PATH="$(go env GOPATH)/bin:$PATH"

# COFFER names a prebuilt binary; by default bin/coffer is built.
COFFER=${COFFER:-}
if [ -z "$COFFER" ]; then
  go build -o bin/coffer ./cmd/coffer
  COFFER=./bin/coffer
fi
WORK=$(mktemp -d)
DB="coffer_latency_$$"
PSQL=(psql -q -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1)
cleanup() {
  [ -n "${CTL_PID:-}" ] && kill "$CTL_PID" 2>/dev/null && wait "$CTL_PID" 2>/dev/null || true
  "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"${PSQL[@]}" -c "CREATE DATABASE $DB"
DSN="postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable"
HTTP=127.0.0.1:$((20000 + RANDOM % 10000))
cat > "$WORK/controller.yaml" <<YAML
dataDir: $WORK
catalog: {dsn: "$DSN"}
http: {addr: $HTTP}
grpc: {addr: 127.0.0.1:0}
adminTokenFile: $WORK/admin.token
log: {level: warn}
YAML
"$COFFER" controller --config "$WORK/controller.yaml" >"$WORK/controller.log" 2>&1 &
CTL_PID=$!
for _ in $(seq 1 100); do
  curl -fs "http://$HTTP/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
TOKEN=$(cat "$WORK/admin.token")
go run ./scripts/apilatency --dsn "$DSN" --n "$N"

echo "GET /api/backups with $N catalogued backups; $REQUESTS requests, $CONCURRENCY concurrent, loopback"
printf '%-55s %10s %10s %10s\n' query p50 p99 req/s
for q in "" "?limit=100" "?source=source-3&status=completed" "?type=full&startDate=2024-01-01T00:00:00Z" "?page=400&limit=20"; do
  out=$(hey -n "$REQUESTS" -c "$CONCURRENCY" -H "Authorization: Bearer $TOKEN" "http://$HTTP/api/backups$q")
  codes=$(grep -E '^\s+\[[0-9]{3}\]\s+[0-9]+ responses' <<<"$out" || true)
  if [ -z "$codes" ] || grep -qv '\[200\]' <<<"$codes"; then
    echo "non-200 answers for $q:" >&2; echo "$out" >&2; exit 1
  fi
  p50=$(awk '/ 50% in/ {printf "%.2fms", $3*1000}' <<<"$out")
  p99=$(awk '/ 99% in/ {printf "%.2fms", $3*1000}' <<<"$out")
  rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
  printf '%-55s %10s %10s %10s\n' "/api/backups$q" "$p50" "$p99" "$rps"
done
