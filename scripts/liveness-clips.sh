#!/usr/bin/env bash
# Makes three Y4M camera clips for Chromium's fake camera
# (--use-fake-device-for-media-stream --use-file-for-fake-video-capture=FILE),
# from real LFW photos of one person (docs/liveness.md, "Camera clips"):
#
#   OUT/pass.y4m     the person performs the challenges of OUT/clips.json, in order: must pass
#   OUT/print.y4m    a halftone print of their rest photo, turned in depth as a flat sheet
#                    while each head action is asked: must fail
#   OUT/screen.y4m   a pass of the same challenges in another order, shown on a screen
#                    (sub-pixel stripes, bezel, glare): must fail
#   OUT/clips.json   the challenges to create the sessions with, what each clip performs
#   OUT/frames/NAME  the frames (JPEG) and truth.json of each clip
#   OUT/verdicts.json  the real engine's verdict on each clip (mien eval liveness-sessions)
#   OUT/inputs.sha256  the generator's key (below), written last, once the verdicts are right
#
#   scripts/liveness-clips.sh OUT [SHARED]      (SHARED defaults to ../shared)
#   scripts/liveness-clips.sh --key             prints the key of the generator's inputs
#
# 640x480, yuv420p, 10 frames/s; each clip starts with 3.6 s of rest (a page
# needs time to open a session) and ends with 3.6 s of rest. The person and
# the challenges are fixed, so the clips are the same on every run. The
# clips are checked before the script succeeds: the pass must be live and
# the print and the screen not live, decided by the real engine
# (`mien eval liveness-sessions --strict`); otherwise it exits 1 and
# writes no OUT/inputs.sha256. The key is a hash of this script (which
# names the person) and the generator's sources (scripts/livegen,
# internal/livegen): scripts/test.sh caches the clips under it, so a
# changed generator makes them again.
# Needs the standard pack and ONNX Runtime (scripts/setup.sh) and ffmpeg.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
key() {
  (cd "$root" && ls scripts/liveness-clips.sh scripts/livegen/*.go internal/livegen/*.go | grep -v '_test\.go$' | LC_ALL=C sort |
    xargs sha256sum | sha256sum | cut -c1-16)
}
if [ "${1:-}" = --key ]; then key; exit 0; fi
out=${1:?usage: liveness-clips.sh OUT [SHARED] | liveness-clips.sh --key}
shared=$(cd "$root" && cd "${2:-../shared}" && pwd)
# Tony Blair: 144 photos, turns either way and looking up, each photo alone
# in the frame. His best rest photo by livegen.RestPhoto (0128) has another
# face beside him, so the generator takes the next rest photo that shows him
# alone and gives 3 actions from real photos (0101: turn left, turn right,
# look up), not a synthetic blink (docs/liveness.md, "Camera clips").
person=Tony_Blair
tags=$(cat "$root/.build-tags" 2>/dev/null || true)
export MIEN_HOME=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_MODELS=${MIEN_MODELS:-$MIEN_HOME/models} MIEN_ORT_LIB=${MIEN_ORT_LIB:-$MIEN_HOME/lib/libonnxruntime.so.1}
mkdir -p "$out"
# The survey cache is measured again (a few seconds): it may be another generator's.
rm -f "$out/inputs.sha256" "$out/verdicts.json" "$out/survey-$person.jsonl"
k=$(key)
(cd "$root" && go build -tags "$tags" -o "$out/.livegen" ./scripts/livegen && go build -tags "$tags" -o "$out/.mien" ./cmd/mien)
"$out/.livegen" -pack "$MIEN_MODELS/standard" -ort "$MIEN_ORT_LIB" -lfw "$shared/data/lfw/images" -out "$out" \
  -person "$person" -min-photos 1 -max-photos 1000
# The real engine decides each clip as a session asking the clips' challenges.
"$out/.mien" eval liveness-sessions --pack standard --dir "$out/frames" --json "$out/verdicts.json" --strict
for name in pass print screen; do
  ffmpeg -loglevel error -y -framerate 10 -i "$out/frames/$name/%03d.jpg" \
    -vf "pad=640:480:80:0:color=0x969088,format=yuv420p" -f yuv4mpegpipe "$out/$name.y4m"
done
echo "$k" >"$out/inputs.sha256"
ls -l "$out"/*.y4m
cat "$out/clips.json"
