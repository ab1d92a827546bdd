#!/usr/bin/env bash
# The sanitizer stage of the test suite (scripts/test.sh runs it after the
# normal build's tests; it also runs alone):
#   1. build-asan: the whole tree with AddressSanitizer, LeakSanitizer and
#      UndefinedBehaviorSanitizer (TERN_SANITIZE); every unit and interop test
#      through ctest, so the interop tests drive the instrumented tern.
#   2. build-tsan: the store and queue unit tests with ThreadSanitizer
#      (TERN_TSAN): the writer thread, the reader pool and group commit.
# Any sanitizer report fails the stage, also one from a process whose exit
# code no test looks at: ASan, LeakSanitizer and TSan reports go to files
# under the build directory, which are printed and counted at the end; UBSan
# (built -fno-sanitize-recover) ends the process, and the ctest log is
# searched for its reports too.
# Usage: scripts/sanitize.sh [asan|tsan]...   (default: both)
set -euo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(asan tsan)
jobs=${TERN_JOBS:-$(nproc)}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

# Fails when sanitizer report files exist under $1; prints them first.
check_reports() {
  local reports
  reports=$(find "$1" -maxdepth 1 -type f -name 'report.*' 2>/dev/null || true)
  [ -z "$reports" ] && return 0
  echo "sanitizer reports in $1:" >&2
  for r in $reports; do
    echo "==== $r" >&2
    cat "$r" >&2
  done
  return 1
}

run_asan() {
  local build=${TERN_ASAN_BUILD_DIR:-build-asan}
  if [ ! -f "$build/CMakeCache.txt" ]; then
    # Debug: builds in less time than an optimised ASan build and runs the suite fast enough.
    cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DTERN_SANITIZE=ON \
      -DTERN_DEBUG_LINES_ONLY="${TERN_DEBUG_LINES_ONLY:-OFF}"
  fi
  local start=$SECONDS
  cmake --build "$build" -j "$jobs"
  echo "== asan build: $((SECONDS - start)) s" >&2
  start=$SECONDS
  local reports="$PWD/$build/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  # abort_on_error: a report ends the process at once (a test sees it die);
  # log_path: the report is also kept where check_reports finds it.
  export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1:log_path=$reports/report.asan"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/report.ubsan"
  export LSAN_OPTIONS="log_path=$reports/report.lsan"
  local status=0
  # Two interop tests spend their time waiting out throttle delays and
  # deadlines; the code they reach runs under ASan in the unit tests
  # (auth/throttle_test, session/engine_test) and the other interop tests.
  (cd "$build" && ctest --output-on-failure --timeout 900 -j "$jobs" -L 'unit|interop' \
    -E '^interop\.test_(auth_throttle|limits_timeouts)$') || status=$?
  check_reports "$reports" || status=1
  # UBSan (built -fno-sanitize-recover) ends the process with exit 1 and
  # writes to stderr whatever log_path says; catch what reached a test's output.
  if grep -E -n 'runtime error:|ERROR: (Address|Leak)Sanitizer' "$build/Testing/Temporary/LastTest.log"; then
    echo "sanitizer report in the test output above" >&2
    status=1
  fi
  unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
  echo "== asan tests: $((SECONDS - start)) s" >&2
  return $status
}

run_tsan() {
  local build=${TERN_TSAN_BUILD_DIR:-build-tsan}
  if [ ! -f "$build/CMakeCache.txt" ]; then
    # Debug: the two test binaries run in seconds either way, and -O0 builds in far less time.
    cmake -S . -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Debug -DTERN_TSAN=ON \
      -DTERN_DEBUG_LINES_ONLY="${TERN_DEBUG_LINES_ONLY:-OFF}"
  fi
  local start=$SECONDS
  cmake --build "$build" -j "$jobs" --target test_store test_queue
  echo "== tsan build: $((SECONDS - start)) s" >&2
  local reports="$PWD/$build/sanitizer-reports"
  rm -rf "$reports" && mkdir -p "$reports"
  export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$reports/report.tsan"
  local status=0
  for t in test_store test_queue; do
    echo "running $t under ThreadSanitizer" >&2
    "$build/tests/$t" --gtest_brief=1 || status=1
  done
  check_reports "$reports" || status=1
  unset TSAN_OPTIONS
  return $status
}

status=0
for stage in "${stages[@]}"; do
  case "$stage" in
    asan) run_asan || status=1 ;;
    tsan) run_tsan || status=1 ;;
    *) echo "usage: scripts/sanitize.sh [asan|tsan]..." >&2; exit 2 ;;
  esac
done
exit $status
