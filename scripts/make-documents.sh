#!/usr/bin/env bash
# Makes the synthetic ID-document set for `mien eval kyc` (docs/kyc.md):
#
#   scripts/make-documents.sh OUT [N] [SEED]     (N defaults to 1000, SEED to 1; LFW from ../shared)
#
# Each document is a card or passport page of a fictional state with a real LFW
# portrait printed small, photographed at an angle with glare, blur and noise;
# the person's second LFW photo is the selfie. Deterministic in SEED.
set -euo pipefail
out=${1:?usage: make-documents.sh OUT [N] [SEED]}
root=$(cd "$(dirname "$0")/.." && pwd)
lfw=${MIEN_LFW:-$root/../shared/data/lfw/images}
[ -d "$lfw" ] || { echo "make-documents: no LFW at $lfw (set MIEN_LFW)" >&2; exit 1; }
rm -rf "$out"
cd "$root" && go run ./scripts/docgen -lfw "$lfw" -out "$out" -n "${2:-1000}" -seed "${3:-1}"
