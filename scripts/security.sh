#!/usr/bin/env bash
# Runs mien's security test suite (every test named TestSecurity...) as an
# outsider would: the temp directory after each kind of upload, the AWS
# protocol's signature rules, unsigned floods, hostile JPEGs (scan bombs,
# abandoned decodes), idle connections, security headers and whatever the
# other security tests cover (erasure on disk, keys, libraries), then prints
# a summary. Tests that need models or ../shared skip with a message; run
# scripts/setup.sh first to enable them. Extra arguments go to go test.
#
#   scripts/security.sh                 # the suite
#   FUZZ=30s scripts/security.sh        # and each security fuzz target for 30 s
set -uo pipefail
cd "$(dirname "$0")/.."
export MIEN_HOME=${MIEN_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/mien}
export MIEN_ORT_LIB=${MIEN_ORT_LIB:-$MIEN_HOME/lib/libonnxruntime.so.1}
tags=$(cat .build-tags 2>/dev/null || true)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "==> go test -run Security${tags:+ (tags: $tags)}" >&2
go test -tags "$tags" ./... -run Security -count=1 -v "$@" 2>&1 | tee "$log" | grep -E '^(=== RUN|--- |    |ok |FAIL|PASS|panic)' || true
rc=${PIPESTATUS[0]}
if [ -n "$tags" ]; then
  echo "==> go test ./imageio -run Security (pure-Go decoder)" >&2
  go test ./imageio -run Security -count=1 -v 2>&1 | tee -a "$log" | grep -E '^(--- |ok |FAIL)' || true
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
fi
if [ -n "${FUZZ:-}" ]; then
  echo "==> fuzzing slow decodes for $FUZZ" >&2
  go test -tags "$tags" ./imageio -run '^$' -fuzz '^FuzzDecodeSlow$' -fuzztime "$FUZZ" 2>&1 | tail -3 | tee -a "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
fi
pass=$(grep -c -- '^--- PASS: TestSecurity' "$log")
fail=$(grep -c -- '^--- FAIL: TestSecurity' "$log")
skip=$(grep -c -- '^--- SKIP: TestSecurity' "$log")
echo
echo "security suite: $pass passed, $fail failed, $skip skipped (go test exit $rc)"
grep -- '^--- \(FAIL\|SKIP\): TestSecurity' "$log" | sed 's/^/  /'
[ "$rc" = 0 ] && [ "$fail" = 0 ]
