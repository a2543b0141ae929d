#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The ABI check: libferry.so as built against the dump of the last release
# (libferry-<version>.abi, made by abidw from that release's build). An
# incompatible change (a function removed, a type changed in a way old
# callers would misread) fails; a compatible one (a struct grown at its end,
# which struct_size versions) passes only when abi.suppr explains it.
#
#   tests/abi/check.sh BUILD_DIR            check
#   tests/abi/check.sh BUILD_DIR --dump     print the dump of this build
#                                           (for the next release's baseline)
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lib=$(readlink -f "$build/sdk/libferry.so")
if ! readelf -S "$lib" | grep -q debug_info; then
  echo "abi: $lib has no debug information (build with -g)"; exit 1
fi
headers=$(mktemp -d)
trap 'rm -rf "$headers"' EXIT
mkdir "$headers/ferry"
cp "$root"/sdk/include/ferry/*.h "$root"/sdk/include/ferry/*.hpp \
  "$build"/sdk/include/ferry/*.h "$headers/ferry/"
dump() {
  abidw --headers-dir "$headers/ferry" --drop-private-types \
    --exported-interfaces-only \
    --no-corpus-path --drop-undefined-syms \
    "$lib"
}
if [ "${2:-}" = "--dump" ]; then dump; exit 0; fi
baseline=$(ls "$here"/libferry-*.abi | sort -V | tail -1)
dump >"$headers/current.abi"
set +e
abidiff --suppressions "$here/abi.suppr" \
  --no-added-syms "$baseline" "$headers/current.abi" \
  >"$headers/report" 2>&1
status=$?
set -e
# abidiff's status is a bit field: 4 an ABI change, 8 an incompatible one,
# 1 and 2 its own errors.
if [ "$status" != 0 ]; then
  cat "$headers/report"
  echo "abi: libferry.so differs from $(basename "$baseline") (abidiff status $status)"
  exit 1
fi
echo "abi: compatible with $(basename "$baseline")"
