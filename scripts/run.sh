#!/usr/bin/env bash
# `make run`: controller and agent in one process (`coffer dev`) on the embedded defaults —
# SQLite catalog, local repository and key, admin token — all under ./.coffer, with the
# dashboard and REST API on http://127.0.0.1:8080. On first start it registers a demo files
# source (a generated sample tree) and an hourly schedule, and runs one backup.
# Runs until Ctrl-C. COFFER_DEV_DIR, COFFER_HTTP_ADDR and COFFER_GRPC_ADDR override defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
COFFER=${COFFER:-$PWD/bin/coffer}
DIR=${COFFER_DEV_DIR:-.coffer}
HTTP=${COFFER_HTTP_ADDR:-127.0.0.1:8080}
GRPC=${COFFER_GRPC_ADDR:-127.0.0.1:9090}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)

"$COFFER" dev --data-dir "$DIR" --http-addr "$HTTP" --grpc-addr "$GRPC" &
dev=$!
stop() { kill -INT $dev 2>/dev/null || true; wait $dev 2>/dev/null || true; }
trap 'stop; exit 0' INT TERM   # Ctrl-C is how a user ends it: not an error
trap stop EXIT

for _ in $(seq 1 300); do
  curl -fsS "http://$HTTP/healthz" >/dev/null 2>&1 && [ -s "$DIR/admin.token" ] && break
  kill -0 $dev 2>/dev/null || { echo "coffer dev exited" >&2; exit 1; }
  sleep 0.2
done
export COFFER_ADDR="http://$HTTP" COFFER_TOKEN_FILE="$DIR/admin.token"
c() { "$COFFER" "$@" --token-file "$DIR/admin.token"; }

if ! c source list 2>/dev/null | grep -qw demo; then
  src="$DIR/demo-source"
  mkdir -p "$src/docs" "$src/data"
  for i in $(seq 1 50); do printf 'demo line %d\n' $(seq 1 $i) > "$src/docs/note-$i.txt"; done
  head -c 8000000 /dev/urandom > "$src/data/random.bin"
  echo "== registering the demo files source and an hourly schedule"
  c source create --name demo --type files --path "$src"
  c schedule create --name demo-hourly --cron "0 * * * *" --timezone UTC --source demo --keep-last 24
  echo "== first backup of the demo source"
  c backup create demo --wait
fi
echo
echo "Dashboard and API: http://$HTTP/   (paste the token from $DIR/admin.token)"
echo "CLI:  export COFFER_ADDR=http://$HTTP COFFER_TOKEN=\$(cat $DIR/admin.token); $COFFER backup list"
wait $dev || true
