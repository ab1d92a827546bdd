#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test
# (unit, protocol tests against a running tern, fuzz smoke runs) through ctest;
# then the same unit and protocol tests against an ASan+UBSan build, and the
# store and queue unit tests under TSan (scripts/sanitize.sh; docs/security.md).
# TERN_SANITIZE=0 skips that second stage.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
(cd "${TERN_BUILD_DIR:-build}" && ctest --output-on-failure --timeout 600 -j "$(nproc)")
if [ "${TERN_SANITIZE:-1}" != 0 ]; then
  scripts/sanitize.sh
fi
