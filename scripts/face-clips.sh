#!/usr/bin/env bash
# face-clips.sh OUTDIR: makes the issue 13 test clips from real photos in
# ../shared/fixtures with ffmpeg (nothing synthetic is drawn on the faces):
#   mesh-640.mp4   10 s, 640x480, 30 fps: a frontal portrait (Pexels) panned
#                  and zoomed slowly, for `mien bench mesh`.
#   drowsy.y4m     640x480, 10 fps, 9 s: eyes open 3 s, closed 3 s, open 3 s
#                  (InspireFace reaction_* photos), for the driver page in
#                  chromium's fake camera (which loops it) and `mien drive`.
#   awake.y4m      640x480, 10 fps, 6 s: the open-eyed photo only, slightly
#                  moving: no alert may come from it.
# Usage: scripts/face-clips.sh OUTDIR [all|mesh|driver]   (SHARED=../shared by default)
set -euo pipefail
out=${1:?usage: face-clips.sh OUTDIR [all|mesh|driver]}
which=${2:-all}
here=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$here/../shared}
fx=$shared/fixtures
[ -d "$fx" ] || { echo "face-clips: $fx not found (set SHARED)" >&2; exit 1; }
mkdir -p "$out"
ff=(ffmpeg -hide_banner -loglevel error -y)
fit='scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2,setsar=1'

# A slow pan and zoom over a 4:3 window of the 1080x1080 portrait.
[ "$which" = driver ] || "${ff[@]}" -loop 1 -framerate 30 -t 10 -i "$fx/pexels/pexels-dinielle-de-veyra-4195444.jpg" \
	-vf "crop=1080:810:0:100,zoompan=z='1.3+0.08*sin(2*PI*on/210)':x='iw/2-iw/zoom/2+50*sin(2*PI*on/150)':y='ih/2-ih/zoom/2+25*sin(2*PI*on/120)':d=1:s=640x480:fps=30,setsar=1" \
	-c:v libx264 -preset veryfast -pix_fmt yuv420p -r 30 "$out/mesh-640.mp4"

[ "$which" != mesh ] || exit 0
open=$fx/insightface/reaction_open_eyes.png
closed=$fx/insightface/reaction_close_eyes.jpeg
# Each photo fitted to 640x480; a small drift so that frames differ.
move="crop=iw-8:ih-6:x='4+3*sin(2*PI*t)':y='3+2*cos(2*PI*t)',$fit"
"${ff[@]}" -loop 1 -framerate 10 -t 3 -i "$open" -loop 1 -framerate 10 -t 3 -i "$closed" \
	-loop 1 -framerate 10 -t 3 -i "$open" \
	-filter_complex "[0]$move,format=yuv420p[a];[1]$move,format=yuv420p[b];[2]$move,format=yuv420p[c];[a][b][c]concat=n=3:v=1[v]" \
	-map '[v]' -r 10 -pix_fmt yuv420p "$out/drowsy.y4m"
"${ff[@]}" -loop 1 -framerate 10 -t 6 -i "$open" -vf "$move,format=yuv420p" -r 10 -pix_fmt yuv420p "$out/awake.y4m"
