#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds tern, and runs the
# protocol tests against it and the fuzz smoke runs through ctest; then the
# unit tests and the protocol tests again against an ASan+UBSan build, and
# the store and queue unit tests under TSan (scripts/sanitize.sh;
# docs/security.md). TERN_SANITIZE=0 skips the sanitizer stage and runs the
# unit tests in the first build instead.
# Every build it makes carries line tables only (TERN_DEBUG_LINES_ONLY):
# reports keep their function names and lines, and the builds take a third
# less time. Each stage's time is printed at its end.
set -euo pipefail
cd "$(dirname "$0")/.."
export TERN_DEBUG_LINES_ONLY=${TERN_DEBUG_LINES_ONLY:-ON}
stage() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  echo "== stage $name: $((SECONDS - start)) s" >&2
}
stage install-deps scripts/install-deps.sh --check
if [ "${TERN_SANITIZE:-1}" != 0 ]; then
  # The unit tests are built and run once, in the sanitizer stage (half of
  # what the build compiles is test code); the optimised build is the
  # server binary, which the protocol tests and the fuzz smoke run drive.
  stage build env TERN_BUILD_TARGET=tern scripts/build.sh
  stage tests bash -c 'cd "${TERN_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 600 -j "$(nproc)" -L "interop|fuzz"'
  stage sanitizers scripts/sanitize.sh
else
  stage build scripts/build.sh
  stage tests bash -c 'cd "${TERN_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 600 -j "$(nproc)"'
fi
