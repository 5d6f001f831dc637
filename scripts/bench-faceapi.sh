#!/usr/bin/env bash
# Side by side over the same images: `mien embed --workers 2` (one process,
# flip on, standard pack) against the face-api peer (@vladmandic/face-api
# 1.7.15 on TensorFlow.js 4.22's wasm backend, two single-threaded
# processes, one per core; bench/faceapi). Runs are interleaved (mien,
# face-api, mien, face-api, ...) so load changes hit both; prints images/s
# of each run, the medians and their ratio.
#
#   scripts/bench-faceapi.sh [IMAGES] [ROUNDS]
#     IMAGES  how many LFW images, in path order (default 771)
#     ROUNDS  interleaved rounds (default 3)
#
# Needs bin/mien (scripts/setup.sh), node and ../shared/data/lfw; installs
# bench/faceapi's npm packages on first use (its own package.json, apart
# from web/e2e's). Note `uptime` before and after: the figures are only
# comparable on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-771}
ROUNDS=${2:-3}
export MIEN_HOME=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_ORT_LIB=${MIEN_ORT_LIB:-$MIEN_HOME/lib/libonnxruntime.so.1}
LFW=$(cd ../shared/data/lfw/images && pwd)
[ -x bin/mien ] || { echo "bin/mien missing: run scripts/setup.sh" >&2; exit 1; }
if [ ! -d bench/faceapi/node_modules/@vladmandic/face-api ]; then
	(cd bench/faceapi && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
find "$LFW" -name "*.jpg" | sort > "$TMP/all"
head -n "$N" "$TMP/all" > "$TMP/list"
N=$(wc -l < "$TMP/list")
echo "images: $N LFW photos; $(nproc) CPUs; load before:$(uptime | sed 's/.*average://')"

mien_run() { # prints images/s of one `mien embed --workers 2` over the list
	local t0 t1
	t0=$(date +%s.%N)
	xargs -a "$TMP/list" -d '\n' bin/mien embed --workers 2 > "$TMP/mien.json"
	t1=$(date +%s.%N)
	awk -v n="$N" -v a="$t0" -v b="$t1" 'BEGIN { print n / (b - a) }'
}

faceapi_run() { # two processes, each half the list; images/s over the slower one's loop
	local a b
	node bench/faceapi/faceapi.cjs "$TMP/list" 0 2 > "$TMP/fa0" &
	a=$!
	node bench/faceapi/faceapi.cjs "$TMP/list" 1 2 > "$TMP/fa1" &
	b=$!
	wait "$a" "$b"
	node -e '
		const r = [0, 1].map((i) => JSON.parse(require("fs").readFileSync(process.argv[1] + i, "utf8")));
		console.log(((r[0].images + r[1].images) / Math.max(r[0].seconds, r[1].seconds)).toFixed(3));
	' "$TMP/fa"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

: > "$TMP/m"; : > "$TMP/f"
for r in $(seq "$ROUNDS"); do
	m=$(mien_run); echo "$m" >> "$TMP/m"
	f=$(faceapi_run); echo "$f" >> "$TMP/f"
	printf 'round %d: mien %.1f images/s, face-api %.2f images/s (load%s)\n' "$r" "$m" "$f" "$(uptime | sed 's/.*average://')"
done
M=$(median < "$TMP/m"); F=$(median < "$TMP/f")
printf 'median: mien %.1f images/s, face-api %.2f images/s, ratio %.1fx\n' "$M" "$F" "$(awk -v m="$M" -v f="$F" 'BEGIN { print m / f }')"
