#!/usr/bin/env bash
# Makes the challenge-session evaluation sequences for
# `mien eval liveness-sessions --dir OUT` (docs/liveness.md, "Evaluation"):
# measures the photos of every LFW person with at least 10 photos (at most 40
# each) with the standard pack's face mesh (cached in OUT/survey.jsonl), picks
# the people whose photos show the head poses and mouth opening the
# challenges need, and writes OUT/sequences/SPECIES/NAME/{000.jpg...,truth.json}.
#
#   scripts/liveness-sessions.sh OUT [SHARED] [-- extra flags of scripts/livegen]
#
# SHARED defaults to ../shared. Needs MIEN_HOME (or the defaults) with the
# standard pack and ONNX Runtime (scripts/setup.sh). About 15 minutes on 2 cores.
set -euo pipefail
out=${1:?usage: liveness-sessions.sh OUT [SHARED] [-- livegen flags]}
shift
shared=../shared
if [ $# -gt 0 ] && [ "$1" != "--" ]; then shared=$1; shift; fi
[ "${1:-}" = "--" ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$root" && cd "$shared" && pwd)
tags=$(cat "$root/.build-tags" 2>/dev/null || true)
home=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
engine=(-pack "${MIEN_MODELS:-$home/models}/standard" -ort "${MIEN_ORT_LIB:-$home/lib/libonnxruntime.so.1}")
mkdir -p "$out"
(cd "$root" && go build -tags "$tags" -o "$out/.livegen" ./scripts/livegen)
"$out/.livegen" "${engine[@]}" -lfw "$shared/data/lfw/images" -out "$out" "$@"
echo "sequences: $(find "$out/sequences" -name truth.json | wc -l) in $out/sequences"
echo "evaluate with: mien eval liveness-sessions --dir $out"
