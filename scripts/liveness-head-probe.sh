#!/usr/bin/env bash
# The synthetic head's measuring tape (docs/benchmarks.md, "Liveness bona fide:
# the head's outline turns with it"): every dev-split synthetic head through
# fixed poses (turns of 30 either way, look-ups of 24, 32 and 40, the jaw fully
# open, a turn of 38), each read by a liveness session as the evaluation reads
# it, and the recognizer's similarity of the posed frame to the rest frame.
# Writes OUT/probe.jsonl (and a few heads' peak frames in OUT/probe.jsonl.frames)
# and prints, per pose, the reading and the similarity against the session's
# thresholds (turns 20, look-up 15, mouth 0.2 over rest; same face 0.341).
#
#   scripts/liveness-head-probe.sh OUT [SHARED] [-- extra flags of scripts/livegen, e.g. -head-ring=false]
#
# OUT/survey.jsonl is the photo survey's cache (copy one from an earlier
# scripts/liveness-sessions.sh run to skip its 15 minutes). About 2-5 minutes.
set -euo pipefail
out=${1:?usage: liveness-head-probe.sh OUT [SHARED] [-- livegen flags]}
shift
shared=../shared
if [ $# -gt 0 ] && [ "$1" != "--" ]; then shared=$1; shift; fi
[ "${1:-}" = "--" ] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$root" && cd "$shared" && pwd)
tags=$(cat "$root/.build-tags" 2>/dev/null || true)
home=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
mkdir -p "$out"
(cd "$root" && go build -tags "$tags" -o "$out/.livegen" ./scripts/livegen)
"$out/.livegen" -pack "${MIEN_MODELS:-$home/models}/standard" -ort "${MIEN_ORT_LIB:-$home/lib/libonnxruntime.so.1}" \
  -lfw "$shared/data/lfw/images" -out "$out" -split dev -warp 40 -probe "$out/probe.jsonl" "$@"
jq -rs '
  def thr: if . == "look_up" then 15 elif . == "open_mouth" then 0.2 else 20 end;
  def med: sort | if length % 2 == 1 then .[length/2|floor] else (.[length/2-1] + .[length/2]) / 2 end;
  def r2: . * 100 | round / 100;
  def r3: . * 1000 | round / 1000;
  [.[].poses[]] | group_by([.action, .applied])[] | (.[0].action | thr) as $t |
  "\(.[0].action) \(.[0].applied): n=\(length) read median \(map(.read) | med | r2) min \(map(.read) | min | r2) under \($t): \(map(select(.read < $t)) | length) | similarity median \(map(.similarity) | med | r3) min \(map(.similarity) | min | r3) under 0.341: \(map(select(.similarity < 0.341)) | length)"
' "$out/probe.jsonl"
