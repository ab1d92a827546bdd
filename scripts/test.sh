#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, and runs every test
# (unit, protocol tests against a running tern, fuzz smoke runs) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd "${TERN_BUILD_DIR:-build}"
ctest --output-on-failure --timeout 600 -j "$(nproc)"
