#!/usr/bin/env bash
# The same-face rule's figures on the dev split (docs/liveness.md, "Same face
# throughout"; docs/benchmarks.md, "Liveness identity"): makes OUT/sequences
# unless they exist (the first 40 dev synthetic heads, lips closed at rest, and
# every attack species made from the first 12 of them), evaluates them with
# MIEN (default bin/mien) with the per-frame trace into OUT/NAME.json and
# OUT/NAME.txt, and prints the similarity distributions the rule stands on:
# the same person at rest and away from rest against the first frame, along
# the track against the previous embedded frame, and the switched-in person's
# frames in the person-switched attacks.
#
#   scripts/liveness-identity.sh OUT [MIEN [NAME]]
#
# OUT may also be any other set made by scripts/liveness-sessions.sh (with its
# sequences). THR=SAMEFACE,SAMETRACK gives the thresholds when no reason names
# them (0.341,0.487 for the standard pack); TABLE_ONLY=1 prints the table of
# an earlier OUT/NAME.json without evaluating again.
# SURVEY=FILE copies a cached photo survey (survey.jsonl) into OUT first (its
# making takes about 15 minutes). Needs scripts/setup.sh and python3. Dev split
# only: never run it on a held-out set to choose anything.
set -euo pipefail
out=${1:?usage: liveness-identity.sh OUT [MIEN [NAME]]}
root=$(cd "$(dirname "$0")/.." && pwd)
mien=${2:-$root/bin/mien}
name=${3:-eval}
mkdir -p "$out"
if [ ! -d "$out/sequences" ]; then
	[ -n "${SURVEY:-}" ] && cp "$SURVEY" "$out/survey.jsonl"
	"$root/scripts/liveness-sessions.sh" "$out" -- -stitched=false -warp 40 -warp-attacks 12 -split dev -close-rest-mouth
fi
if [ -z "${TABLE_ONLY:-}" ]; then
	uptime
	/usr/bin/time -f "%e s wall, %U s user, %S s system" "$mien" eval liveness-sessions --dir "$out" --json "$out/$name.json" --trace | tee "$out/$name.txt"
	uptime
fi
python3 - "$out/$name.json" "$out/sequences" <<'EOF'
import json, os, re, sys, collections
d = json.load(open(sys.argv[1]))
seqs = sys.argv[2]
thr, link = [float(x) for x in os.environ["THR"].split(",")] if os.environ.get("THR") else (None, None)
for s in d["sessions"] if thr is None else []:
    for r in s.get("reasons") or []:
        m = re.search(r"to the first frame, at least (0\.\d+)", r)
        thr = float(m.group(1)) if m else thr
        m = re.search(r"to the previous embedded frame, at least (0\.\d+)", r)
        link = float(m.group(1)) if m else link
rows = collections.defaultdict(list)
for s in d["sessions"]:
    truth = json.load(open(os.path.join(seqs, s["species"], s["name"], "truth.json")))
    # who each frame shows: "synthetic head of NAME", or an LFW file NAME/NAME_0001.jpg
    src = [f["source"].replace("synthetic head of ", "").replace("synthetic/", "").split("/")[0] for f in truth["frames"]]
    sp = "bona fide" if s["expected_live"] else s["species"]
    seen_other = False
    for i, fr in enumerate(s.get("trace") or []):
        m = fr["measure"]
        if i == 0 or not m.get("embedded") or "similarity" not in m:
            continue
        a, p = m["similarity"], m.get("prev_similarity")
        if src[i] == src[0]:
            away = max(abs(m["yaw"]), abs(m["pitch"])) >= 10 or fr["shows"] != "rest"
            rows[(sp, "same person, " + ("away from rest" if away else "frontal, at rest"), "first frame")].append(a)
            if p is not None:
                rows[(sp, "same person", "previous embedded frame")].append(p)
        else:
            k = "switched-in person, later frames" if seen_other else "switched-in person, first embedded frame"
            seen_other = True
            rows[(sp, k, "first frame")].append(a)
            if p is not None:
                rows[(sp, k, "previous embedded frame")].append(p)
q = lambda v, f: sorted(v)[min(len(v) - 1, int(f * len(v)))]
print("\nsimilarity of embedded frames (SameFace %s, SameTrack %s)" % (thr, link))
print("| sessions | frames | compared with | n | min | 5% | median | 95% | max | >= SameFace | >= SameTrack |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for k in sorted(rows, key=lambda k: (k[0] != "bona fide", k)):
    v = rows[k]
    n = lambda t: sum(x >= t for x in v) if t else "?"
    print("| %s | %s | %s | %d | %.3f | %.3f | %.3f | %.3f | %.3f | %s | %s |" % (*k, len(v), min(v), q(v, .05), q(v, .5), q(v, .95), max(v), n(thr), n(link)))
EOF
