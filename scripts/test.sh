#!/usr/bin/env bash
# Sets up what the tests need (ONNX Runtime, model packs) and runs every test.
# Model-dependent tests skip with a message when models or ../shared are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The web UI's end-to-end test: Debian's chromium and playwright-core (npm).
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing chromium (Debian) for the web UI test" >&2
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; } \
    || echo "test: chromium not installed; the web UI test will skip" >&2
fi
# Camera tests (ffmpeg decoding, real RTSP servers) and the XMP check with exiftool: Debian packages.
want=""
command -v ffmpeg >/dev/null 2>&1 || want="$want ffmpeg"
[ -d /usr/share/perl5/RTSP ] || dpkg -s rtsp-server-perl >/dev/null 2>&1 || want="$want rtsp-server-perl"
dpkg -s gir1.2-gst-rtsp-server-1.0 >/dev/null 2>&1 || want="$want gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good python3-gi"
command -v exiftool >/dev/null 2>&1 || want="$want libimage-exiftool-perl"
if [ -n "$want" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "==> installing$want (Debian) for the camera and XMP tests" >&2
  apt-get install -y -qq $want >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $want >/dev/null 2>&1; } \
    || echo "test: could not install$want; the tests that need them will skip" >&2
fi
if [ ! -f web/e2e/node_modules/playwright-core/package.json ] || [ ! -f web/e2e/node_modules/@aws-sdk/client-rekognition/package.json ]; then
  echo "==> installing web/e2e's node modules (playwright-core, @aws-sdk/client-rekognition) for the UI and JavaScript SDK tests" >&2
  npm ci --silent --prefix web/e2e >/dev/null || echo "test: web/e2e's node modules not installed; the UI and JavaScript SDK tests will skip" >&2
fi
# In CI the web UI and JavaScript SDK tests must run, not skip.
if [ "${CI:-}" = true ] && command -v chromium >/dev/null 2>&1; then export MIEN_REQUIRE_E2E=1; fi
export MIEN_HOME=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_ORT_LIB=${MIEN_ORT_LIB:-$MIEN_HOME/lib/libonnxruntime.so.1}
# The liveness tests' camera clips: real LFW photos of one person (about a minute of CPU), cached under
# the key of the generator's inputs (scripts/liveness-clips.sh --key), so a changed generator makes them
# again. In CI (or with MIEN_REQUIRE_E2E=1) clips that cannot be made, or whose verdicts are wrong, fail
# the run; elsewhere their tests skip with a message.
if [ -z "${MIEN_LIVENESS_CLIPS:-}" ] && [ -d ../shared/data/lfw/images ] && [ -x scripts/liveness-clips.sh ]; then
  key=$(scripts/liveness-clips.sh --key)
  clips="$MIEN_HOME/cache/liveness-clips-$key"
  if [ "$(cat "$clips/inputs.sha256" 2>/dev/null)" != "$key" ]; then
    echo "==> making the liveness camera clips in $clips" >&2
    mkdir -p "$MIEN_HOME/cache"
    if ! scripts/liveness-clips.sh "$clips" >"$clips.log" 2>&1; then
      grep -v '^survey: \|^liveness sessions \[' "$clips.log" | tail -n 15 >&2 || true
      if [ "${CI:-}" = true ] || [ "${MIEN_REQUIRE_E2E:-}" = 1 ]; then
        echo "test: the liveness clips could not be made (log: $clips.log)" >&2
        exit 1
      fi
      echo "test: the liveness clips could not be made (log: $clips.log); their tests will skip" >&2
    fi
  fi
  if [ "$(cat "$clips/inputs.sha256" 2>/dev/null)" = "$key" ]; then export MIEN_LIVENESS_CLIPS="$clips"; fi
fi
echo "==> go vet" >&2
go vet ./...
echo "==> pure-Go build (CGO_ENABLED=0)" >&2
CGO_ENABLED=0 go build ./...
tags=$(cat .build-tags 2>/dev/null || true)
echo "==> go test${tags:+ (tags: $tags)}" >&2
go test -tags "$tags" -count=1 -timeout 30m "$@" ./...
if [ -n "$tags" ]; then
  echo "==> go test ./imageio (pure-Go decoder)" >&2
  go test -count=1 ./imageio
fi
