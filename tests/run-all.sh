#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite: unit tests
# (also under ASan+UBSan), fuzz targets briefly, and the integration tests
# against real multi-node clusters on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

bash deploy/install-deps.sh

echo "== build (ASan+UBSan) and unit tests"
cmake -S . -B build-asan -DSL_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan -L unit --output-on-failure -j"$jobs"

if ls tests/fuzz/fuzz_*.c >/dev/null 2>&1; then
  echo "== fuzz targets (briefly)"
  CC=clang cmake -S . -B build-fuzz -DSL_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j"$jobs" >/dev/null
  bash tests/fuzz/run.sh build-fuzz "${SL_FUZZ_SECONDS:-15}"
fi

echo "== build (release) and all tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" >/dev/null
ctest --test-dir build --output-on-failure
