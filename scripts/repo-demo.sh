#!/usr/bin/env bash
# `make run`: the demo on embedded defaults. Initialises a repository and key under
# ./.coffer, backs up a generated sample tree, changes it, backs it up again
# (incremental), verifies every byte, restores both snapshots and compares them.
set -euo pipefail
cd "$(dirname "$0")/.."
COFFER=${COFFER:-./bin/coffer}
DIR=${COFFER_DEMO_DIR:-.coffer}
REPO="$DIR/repo"
KEY="$DIR/repo.key"
SRC="$DIR/demo-source"
OUT="$DIR/demo-restore"
mkdir -p "$DIR"
rm -rf "$SRC" "$OUT"

echo "== sample data in $SRC"
mkdir -p "$SRC/docs/nested/deeper" "$SRC/bin"
for i in $(seq 1 200); do printf 'line %d of a small text file\n' $(seq 1 $i) > "$SRC/docs/note-$i.txt"; done
head -c 24000000 /dev/urandom > "$SRC/bin/random.dat"
: > "$SRC/docs/empty"
ln -s ../bin/random.dat "$SRC/docs/link-to-random"
ln "$SRC/docs/note-1.txt" "$SRC/docs/nested/hardlink-to-note-1"
printf 'deep\n' > "$SRC/docs/nested/deeper/file"

if [ ! -f "$REPO/config" ]; then
  echo "== coffer repo init"
  $COFFER repo init --repo "$REPO" --key-file "$KEY"
fi
echo "== coffer repo backup (first)"
$COFFER repo backup --repo "$REPO" --key-file "$KEY" "$SRC"
echo "== change the data: edit, add, delete"
printf 'changed\n' >> "$SRC/docs/note-7.txt"
printf 'new file\n' > "$SRC/docs/added.txt"
rm "$SRC/docs/note-9.txt"
echo "== coffer repo backup (incremental)"
$COFFER repo backup --repo "$REPO" --key-file "$KEY" "$SRC"
echo "== coffer repo snapshots"
$COFFER repo snapshots --repo "$REPO" --key-file "$KEY"
echo "== coffer repo verify --read-data"
$COFFER repo verify --repo "$REPO" --key-file "$KEY" --read-data
echo "== coffer repo restore latest"
$COFFER repo restore --repo "$REPO" --key-file "$KEY" latest --target "$OUT"
abs=$(cd "$SRC" && pwd)
if diff -r "$SRC" "$OUT$abs" >/dev/null; then
  echo "== restored tree is identical to the source ($OUT$abs)"
else
  echo "!! restored tree differs from the source" >&2
  diff -r "$SRC" "$OUT$abs" | head >&2
  exit 1
fi
echo
echo "Demo done. Repository: $REPO   key: $KEY"
echo "Try: $COFFER repo snapshots --repo $REPO --key-file $KEY"
