#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test
# (unit, protocol tests against a running tern, fuzz smoke runs) through ctest;
# then the same unit and protocol tests against an ASan+UBSan build, and the
# store and queue unit tests under TSan (scripts/sanitize.sh; docs/security.md).
# TERN_SANITIZE=0 skips that second stage.
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
stage build scripts/build.sh
stage tests bash -c 'cd "${TERN_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 600 -j "$(nproc)"'
if [ "${TERN_SANITIZE:-1}" != 0 ]; then
  stage sanitizers scripts/sanitize.sh
fi
