#!/bin/sh
# Writes test clips (LFW faces walking through a scene) and their ground truth
# to the folder given: scripts/make-clips.sh OUT [LFW_DIR]
# Clips are large: never commit them.
set -eu
out=${1:?usage: scripts/make-clips.sh OUT [LFW_DIR]}
lfw=${2:-../shared/data/lfw}
cd "$(dirname "$0")/.."
exec go run ./scripts/make-clips -out "$out" -lfw "$lfw"
