#!/usr/bin/env bash
# Where the synthetic head's low passive scores come from (docs/benchmarks.md,
# "Liveness bona fide: a compliant synthetic head"): scores every dev-split
# head's rest photo as the LFW file, on the 480 px canvas, and through each
# step of the generator's camera model (scripts/livepassive), and prints the
# median, mean and count under the pack's threshold per step.
#
#   scripts/liveness-passive-dev.sh DEV OUT [SHARED]
#
# DEV: a directory written by `scripts/liveness-sessions.sh DEV -- -stitched=false
# -warp 200 -split dev` (every dev-split synthetic head).
set -euo pipefail
dev=${1:?usage: liveness-passive-dev.sh DEV OUT [SHARED]}
out=${2:?usage: liveness-passive-dev.sh DEV OUT [SHARED]}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "${3:-$root/../shared}" && pwd)
home=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_HOME=$home MIEN_ORT_LIB=${MIEN_ORT_LIB:-$home/lib/libonnxruntime.so.1}
rm -rf "$out"
(cd "$root" && go run ./scripts/livepassive -lfw "$shared/data/lfw/images" -dir "$dev" -out "$out/variants")
# eval liveness wants an attack directory: one session frame stands in (its score is not used)
mkdir -p "$out/attack/none"
cp "$(ls "$out"/variants/8-session-frame/* | head -1)" "$out/attack/none/"
for v in "$out"/variants/*/; do
  name=$(basename "$v")
  "$root/bin/mien" eval liveness --bona-fide "$v" --attack "$out/attack" --scores "$out/$name.tsv" >/dev/null 2>&1
  awk -F'\t' '$1=="bona-fide"{print $3}' "$out/$name.tsv" | sort -g |
    awk -v n="$name" '{v[++k]=$1; s+=$1; if ($1<0.4198) u++}
      END{m=(k%2)?v[(k+1)/2]:(v[k/2]+v[k/2+1])/2; printf "%-22s n=%d median %.3f mean %.3f under 0.4198: %d\n", n, k, m, s/k, u}'
done
