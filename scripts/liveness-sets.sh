#!/usr/bin/env bash
# Assembles the passive-liveness evaluation sets for `mien eval liveness`
# (docs/benchmarks.md, "Liveness (issue 12)"), in two disjoint splits by LFW
# identity: calib/ (to choose the threshold) and report/ (to report on).
#
#   scripts/liveness-sets.sh OUT [SHARED]     (SHARED defaults to ../shared)
#
# bona fide: the first photo of every 8th LFW identity (alphabetical order);
#            report/ also gets the Pexels photos and the real anti-spoof fixture.
# attacks:   from the second photo of every 5th identity that has two, the three
#            synthetic kinds of scripts/spoofgen (screen, print, reencode);
#            report/ also gets the fixtures' print, screen-replay and insightface
#            rgb_fake attacks (species fixture-print, fixture-screen, fixture-rgb-fake).
# Identities alternate between the splits, so no person is in both.
set -euo pipefail
out=${1:?usage: liveness-sets.sh OUT [SHARED]}
shared=$(cd "${2:-$(dirname "$0")/../../shared}" && pwd)
lfw=$shared/data/lfw/images
root=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$out"
for s in calib report; do mkdir -p "$out/$s/bona-fide" "$out/$s/attack"; done
mapfile -t ids < <(ls "$lfw" | sort)
declare -a src_calib=() src_report=()
b=0 a=0
for i in "${!ids[@]}"; do
  id=${ids[$i]}
  if (( i % 8 == 0 )); then
    split=$([ $((b % 2)) -eq 0 ] && echo calib || echo report); b=$((b + 1))
    ln -s "$lfw/$id/${id}_0001.jpg" "$out/$split/bona-fide/"
  fi
  if (( i % 5 == 0 )) && [ -f "$lfw/$id/${id}_0002.jpg" ]; then
    if (( a % 2 == 0 )); then src_calib+=("$lfw/$id/${id}_0002.jpg"); else src_report+=("$lfw/$id/${id}_0002.jpg"); fi
    a=$((a + 1))
  fi
done
(cd "$root" && go run ./scripts/spoofgen -out "$out/calib/attack" "${src_calib[@]}")
(cd "$root" && go run ./scripts/spoofgen -out "$out/report/attack" "${src_report[@]}")
fx=$shared/fixtures
ln -s "$fx"/pexels/*.jpg "$fx/antispoof/image_T1.jpg" "$out/report/bona-fide/"
mkdir -p "$out/report/attack/fixture-print" "$out/report/attack/fixture-screen" "$out/report/attack/fixture-rgb-fake"
ln -s "$fx/antispoof/image_F1.jpg" "$out/report/attack/fixture-print/"
ln -s "$fx/antispoof/image_F2.jpg" "$out/report/attack/fixture-screen/"
ln -s "$fx/insightface/bulk_rgb_fake.jpg" "$out/report/attack/fixture-rgb-fake/"
for s in calib report; do
  echo "$s: $(find "$out/$s/bona-fide" -name '*.jp*g' | wc -l) bona fide, $(find "$out/$s/attack" -name '*.jp*g' | wc -l) attacks"
done
