#!/usr/bin/env bash
# Sets mien up (ONNX Runtime, the binary, the model packs) and runs it.
# With arguments, runs `mien ARGS...`; without, shows the engine on the
# bundled sample photos.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export MIEN_HOME=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_ORT_LIB=${MIEN_ORT_LIB:-$MIEN_HOME/lib/libonnxruntime.so.1}
if [ $# -gt 0 ]; then
  exec bin/mien "$@"
fi
echo "== mien detect examples/portrait-1.jpg --draw out/portrait-1-faces.png"
mkdir -p out
bin/mien detect --draw out/portrait-1-faces.png examples/portrait-1.jpg
echo "== mien compare examples/portrait-1.jpg examples/portrait-2.jpg"
bin/mien compare examples/portrait-1.jpg examples/portrait-2.jpg || true
echo
echo "Try: bin/mien --help"
