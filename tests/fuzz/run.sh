#!/bin/sh
# Runs every built fuzz target for N seconds over its corpus.
# Usage: tests/fuzz/run.sh <build-dir> <seconds>
# Targets are the fuzz_* executables in <build-dir>/tests; each runs over
# tests/fuzz/corpus/<target>/ (read-only: new inputs go to a scratch
# directory) and fails the script on any crash, leak or timeout.
set -u
build=${1:?usage: run.sh <build-dir> <seconds>}
secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
status=0
found=0
for bin in "$build"/tests/fuzz_*; do
    [ -x "$bin" ] || continue
    found=1
    name=$(basename "$bin")
    corpus="$here/corpus/$name"
    scratch=$(mktemp -d)
    mkdir -p "$corpus"
    echo "== $name: ${secs}s"
    if ! ASAN_OPTIONS=detect_leaks=1 "$bin" -max_total_time="$secs" \
        -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -artifact_prefix="$scratch/" "$scratch" "$corpus" \
        >"$scratch/log" 2>&1; then
        echo "FAIL: $name crashed; artifacts in $scratch"
        tail -n 40 "$scratch/log"
        status=1
        continue
    fi
    tail -n 1 "$scratch/log"
    rm -rf "$scratch"
done
if [ "$found" = 0 ]; then
    echo "no fuzz targets in $build/tests (configure with -DSL_FUZZ=ON)"
    exit 1
fi
exit $status
