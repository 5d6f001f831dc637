#!/usr/bin/env bash
# Sets mien up (ONNX Runtime, the binary, the model packs) and starts the
# server. On the first run it makes a master key ($MIEN_HOME/master.key,
# mode 0600) and the first admin API key, printed once.
# With arguments, runs `bin/mien ARGS...` instead (e.g. scripts/run.sh compare a.jpg b.jpg).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export MIEN_HOME=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_ORT_LIB=${MIEN_ORT_LIB:-$MIEN_HOME/lib/libonnxruntime.so.1}
if [ $# -gt 0 ]; then
  exec bin/mien "$@"
fi
if [ -z "${MIEN_MASTER_KEY:-}" ] && [ -z "${MIEN_MASTER_KEY_FILE:-}" ]; then
  export MIEN_MASTER_KEY_FILE="$MIEN_HOME/master.key"
  if [ ! -s "$MIEN_MASTER_KEY_FILE" ]; then
    (umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$MIEN_MASTER_KEY_FILE")
    echo "==> made a master key in $MIEN_MASTER_KEY_FILE (back it up: without it the templates cannot be read)"
  fi
fi
data=${MIEN_DATA:-$MIEN_HOME/data}
if [ ! -s "$data/mien.db" ]; then
  echo "==> first run: your admin API key (shown once, stored only as a hash):"
  bin/mien keys create --data "$data" --tenant default --role admin
fi
exec bin/mien serve --addr "${MIEN_ADDR:-127.0.0.1:8080}" --data "$data"
