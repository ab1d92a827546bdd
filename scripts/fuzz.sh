#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan+UBSan) in build-fuzz and runs
# each for SECONDS (default 20) from its seed corpus. Non-zero exit on any
# crash, leak or sanitizer report. Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
build=${TERN_FUZZ_BUILD_DIR:-build-fuzz}
if [ ! -f "$build/CMakeCache.txt" ]; then
  CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTERN_FUZZ=ON \
    -DTERN_WERROR=OFF -DTERN_BUILD_TESTS=OFF \
    -DTERN_DEBUG_LINES_ONLY="${TERN_DEBUG_LINES_ONLY:-OFF}" >/dev/null
fi
targets=(${TERN_FUZZ_TARGETS:-smtp_protocol pop3_protocol imap_protocol imap_search mime_header mime_structure address config dkim spf dmarc})
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"
for t in "${targets[@]}"; do
  corpus="$build/corpus/$t"
  mkdir -p "$corpus"
  seeds=tests/fuzz/corpus/$t
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "fuzzing $t for ${seconds}s" >&2
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$build/" "${dict[@]}" "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) 2>&1 | tail -n 15
done
