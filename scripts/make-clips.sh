#!/bin/sh
# Writes test clips (LFW faces walking through a scene) and their ground truth,
# and head-1280x720.mp4 (one LFW photo moving and turning, with audio: the
# effects clip; -head in scripts/make-clips)
# to the folder given: scripts/make-clips.sh OUT [LFW_DIR]
# Clips are large: never commit them.
set -eu
out=${1:?usage: scripts/make-clips.sh OUT [LFW_DIR]}
lfw=${2:-../shared/data/lfw}
cd "$(dirname "$0")/.."
exec go run ./scripts/make-clips -out "$out" -lfw "$lfw"
