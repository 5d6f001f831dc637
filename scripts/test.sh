#!/usr/bin/env bash
# Sets up what the tests need (ONNX Runtime, model packs) and runs every test.
# Model-dependent tests skip with a message when models or ../shared are absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export MIEN_HOME=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_ORT_LIB=${MIEN_ORT_LIB:-$MIEN_HOME/lib/libonnxruntime.so.1}
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
