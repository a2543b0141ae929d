#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh FUZZER CORPUS_DIR SECONDS: fuzzes for SECONDS starting from the
# repository's corpus (read-only: new inputs go to a scratch directory).
# Fails, keeping the crashing input, when the target crashes or leaks.
set -eu
fuzzer=$1 corpus=$2 seconds=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-fuzz.XXXXXX")
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/" \
  "$work" "$corpus" 2>"$work/log" || status=$?
grep -E "^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ +DONE)" \
  "$work/log" || true
if [ "$status" -ne 0 ]; then
  tail -60 "$work/log"
  echo "fuzz: $(basename "$fuzzer") FAILED; inputs kept in $work" >&2
  exit "$status"
fi
rm -rf "$work"
