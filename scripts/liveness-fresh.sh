#!/usr/bin/env bash
# Regenerates the fresh held-out set of synthetic-head challenge sessions
# (docs/benchmarks.md, "Liveness bona fide: a compliant synthetic head, fresh
# held-out") and evaluates it once with `mien eval liveness-sessions`.
#
#   scripts/liveness-fresh.sh OUT [SHARED] [-- extra flags of scripts/livegen]
#
# SHARED defaults to ../shared. FRESH_BLOCK=K (default 1) takes the K-th
# block of 240 people in the hash order instead of the first, for another
# set of people never used before (block 2 with -close-rest-mouth: the
# second fresh set of docs/benchmarks.md).
#
# FRESH_POOL=single takes the people with exactly one photo instead (2,856
# outside the passive sets: the pool left once the four full blocks of 2-9
# photos were used; the synthetic head needs only its rest photo, but a
# person's one photo must then be frontal, eyes open, mouth near closed, so
# about a quarter of them give a head: 61 of singles block 1's 240).
#
# People: LFW people with 2 to 9 photos, so none of them is in the pool of
# people with 10 or more that the earlier dev, held-out and stitched-photo
# sets were drawn from; also left out are the identities that the passive
# sets of scripts/liveness-sets.sh use (every 8th and every 5th name in
# alphabetical order). They are taken in the order of an MD5 hash of
# "bona12-fresh:NAME" (fixed, so every run picks the same people); the first
# 240 are surveyed (at most 6 photos each) and the synthetic heads are made
# from the first 72 whose photos give a head (a frontal rest photo with
# open eyes, one face, a mesh with iris). Every head gives one bona fide
# session; the first 10 heads also give each attack species (80 sessions).
# Writes OUT/people.txt, OUT/sequences, OUT/report.txt (with `uptime` and
# /usr/bin/time -v of the evaluation) and OUT/report.json (with --trace).
# Needs scripts/setup.sh (bin/mien, the standard pack, ONNX Runtime). About
# 10 minutes of CPU on 2 cores.
set -euo pipefail
out=${1:?usage: liveness-fresh.sh OUT [SHARED] [-- livegen flags]}
shift
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$root/../shared
if [ $# -gt 0 ] && [ "$1" != "--" ]; then shared=$1; shift; fi
[ "${1:-}" = "--" ] && shift
shared=$(cd "$shared" && pwd)
block=${FRESH_BLOCK:-1}
pool=${FRESH_POOL:-2-9}
case $pool in
  2-9) lo=2 hi=9 ;;
  single) lo=1 hi=1 ;;
  *) echo "liveness-fresh: FRESH_POOL is 2-9 (default) or single, not $pool" >&2; exit 2 ;;
esac
lfw=$shared/data/lfw/images
tags=$(cat "$root/.build-tags" 2>/dev/null || true)
home=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_HOME=$home MIEN_ORT_LIB=${MIEN_ORT_LIB:-$home/lib/libonnxruntime.so.1}
engine=(-pack "${MIEN_MODELS:-$home/models}/standard" -ort "$MIEN_ORT_LIB")
rm -rf "$out"
mkdir -p "$out"
# the passive sets' identities, in their script's order (`ls | sort`) and,
# in case the locale orders differently, in byte order too
declare -A passive=()
for order in "sort" "env LC_ALL=C sort"; do
  mapfile -t ids < <(ls "$lfw" | $order)
  for i in "${!ids[@]}"; do
    (( i % 8 == 0 || i % 5 == 0 )) && passive[${ids[$i]}]=1
  done
done
for id in "${ids[@]}"; do
  [ -n "${passive[$id]:-}" ] && continue
  n=$(find "$lfw/$id" -name '*.jpg' | wc -l)
  (( n >= lo && n <= hi )) || continue
  printf '%s %s\n' "$(printf 'bona12-fresh:%s' "$id" | md5sum | cut -c1-32)" "$id"
done | LC_ALL=C sort | sed -n "$(( (block - 1) * 240 + 1 )),$(( block * 240 ))p" | cut -d' ' -f2 > "$out/people.txt"
echo "people listed: $(wc -l < "$out/people.txt")"
(cd "$root" && go build -tags "$tags" -o "$out/.livegen" ./scripts/livegen)
"$out/.livegen" "${engine[@]}" -lfw "$lfw" -out "$out" -people "$out/people.txt" \
  -min-photos "$lo" -max-photos 6 -stitched=false -split all -warp 72 -warp-attacks 10 "$@" 2> "$out/generate.log"
heads=$(find "$out/sequences/bona_fide_warp" -name truth.json | wc -l)
echo "bona fide sessions written: $heads"
if (( heads < 60 )); then echo "liveness-fresh: fewer than 60 synthetic heads; list more people" >&2; exit 1; fi
{
  uptime
  /usr/bin/time -v "$root/bin/mien" eval liveness-sessions --dir "$out" --json "$out/report.json" --trace 2> "$out/eval.err"
  uptime
  grep -E 'User time|System time|Elapsed' "$out/eval.err"
} > "$out/report.txt"
cat "$out/report.txt"
