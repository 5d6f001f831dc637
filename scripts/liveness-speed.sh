#!/usr/bin/env bash
# Measures what a liveness challenge session costs (docs/benchmarks.md,
# "Liveness speed: MiniFASNet PRelu rewrite and per-frame cost"):
#
#   1. each anti-spoof model as shipped and with its PRelu as depthwise
#      convolutions (go test -bench AntiSpoofModel: wall and CPU ms a run);
#   2. a tracked mesh frame as shipped, with mesh.Options.FastIris (as liveness
#      sessions run it) and with FastPRelu (both models rewritten);
#   3. `mien eval liveness-sessions` over DIR with bin/mien and, when given,
#      OLD (an older binary), ROUNDS times interleaved, one process at a time:
#      decision time after the last frame, per-stage cost, CPU per frame;
#      then the verdicts and reasons of the two compared session by session.
#
#   scripts/liveness-speed.sh DIR [OLD [ROUNDS]]     (reports under /tmp/liveness-speed)
#
# The machine's load average is printed before and after every step: the
# wall times mean little without it; CPU times (user + system) less so.
# Needs scripts/setup.sh (ONNX Runtime, the standard pack) and python3.
set -euo pipefail
dir=${1:?usage: liveness-speed.sh DIR [OLD [ROUNDS]]}
old=${2:-}
rounds=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tags=$(cat .build-tags 2>/dev/null || true)
home=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_HOME=$home MIEN_ORT_LIB=${MIEN_ORT_LIB:-$home/lib/libonnxruntime.so.1}
out=/tmp/liveness-speed
mkdir -p "$out"
go build -tags "$tags" -o bin/mien ./cmd/mien
uptime
go test -tags "$tags" . -run '^$' -bench AntiSpoofModel -benchtime 300x -count 3 | grep Benchmark
uptime
go test -tags "$tags" ./mesh -run '^$' -bench 'Track640$|Track640Fast' -benchtime 100x -count 3 | grep Benchmark
uptime
run() { # run NAME BIN ROUND
	local f=$out/$1-$3
	uptime | tee "$f.txt"
	/usr/bin/time -f '%e s wall, %U s user, %S s sys' "$2" eval liveness-sessions --dir "$dir" --json "$f.json" \
		2>"$f.err" | grep -E 'decision|per frame|AddFrame|CPU|sessions,' | tee -a "$f.txt"
	tail -1 "$f.err" | tee -a "$f.txt"
}
for r in $(seq 1 "$rounds"); do
	run new bin/mien "$r"
	if [ -n "$old" ]; then run old "$old" "$r"; fi
done
uptime
if [ -n "$old" ]; then
	python3 - "$out/old-1.json" "$out/new-1.json" <<'EOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ka = {(s['species'], s['name']): s for s in a['sessions']}
kb = {(s['species'], s['name']): s for s in b['sessions']}
diff = [k for k in ka if k not in kb or (ka[k]['live'], ka[k].get('reasons')) != (kb[k]['live'], kb[k].get('reasons'))]
for k in diff:
    print('different:', k, ka[k]['live'], ka[k].get('reasons'), '->', kb.get(k, {}).get('live'), kb.get(k, {}).get('reasons'))
print(f"{len(ka)} sessions: {len(diff)} with another verdict or reasons")
sys.exit(1 if diff else 0)
EOF
fi
