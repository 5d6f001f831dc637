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
#
#   scripts/liveness-clips.sh OUT [SHARED]      (SHARED defaults to ../shared)
#
# 640x480, yuv420p, 10 frames/s; each clip starts with 3.6 s of rest (a page
# needs time to open a session) and ends with 3.6 s of rest. The person and
# the challenges are fixed, so the clips are the same on every run.
# Needs the standard pack and ONNX Runtime (scripts/setup.sh) and ffmpeg.
set -euo pipefail
out=${1:?usage: liveness-clips.sh OUT [SHARED]}
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$root" && cd "${2:-../shared}" && pwd)
person=Tony_Blair # 144 photos: turns either way, a clearly open mouth, looking up
tags=$(cat "$root/.build-tags" 2>/dev/null || true)
home=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
engine=(-pack "${MIEN_MODELS:-$home/models}/standard" -ort "${MIEN_ORT_LIB:-$home/lib/libonnxruntime.so.1}")
mkdir -p "$out"
(cd "$root" && go build -tags "$tags" -o "$out/.livegen" ./scripts/livegen)
"$out/.livegen" "${engine[@]}" -lfw "$shared/data/lfw/images" -out "$out" -person "$person" -min-photos 1 -max-photos 1000
for name in pass print screen; do
  ffmpeg -loglevel error -y -framerate 10 -i "$out/frames/$name/%03d.jpg" \
    -vf "pad=640:480:80:0:color=0x969088,format=yuv420p" -f yuv4mpegpipe "$out/$name.y4m"
done
ls -l "$out"/*.y4m
cat "$out/clips.json"
