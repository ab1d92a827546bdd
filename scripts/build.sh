#!/usr/bin/env bash
# Configures and builds tern in ./build (Release with debug info by default).
# TERN_BUILD_TARGET=tern builds only the server binary (no tests);
# TERN_DEBUG_LINES_ONLY=ON keeps line tables only (-g1) in a new build dir.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${TERN_BUILD_DIR:-build}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE="${TERN_BUILD_TYPE:-RelWithDebInfo}" \
    -DTERN_DEBUG_LINES_ONLY="${TERN_DEBUG_LINES_ONLY:-OFF}" "$@"
fi
cmake --build "$build_dir" -j "$(nproc)" ${TERN_BUILD_TARGET:+--target "$TERN_BUILD_TARGET"}
