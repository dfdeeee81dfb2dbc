#!/usr/bin/env bash
# npm run bench:continuity [-- --messages N]
# Builds the current tree into a private directory (a concurrent `npm run build`
# starts with rm -rf dist), then runs the replay-vs-plain-delivery benchmark
# against local Postgres and Redis; it removes what it created.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD="bench/results/build-continuity-$$"
trap 'rm -rf "$BUILD"' EXIT
echo "[bench] building the current tree into $BUILD" >&2
npx tsc -p tsconfig.build.json --outDir "$BUILD/dist" >&2 || echo "[bench] tsc reported errors; running what it emitted" >&2
npx tsc-alias -p tsconfig.build.json --outDir "$BUILD/dist" >&2
BENCH_BUILD_ROOT="$PWD/$BUILD/dist" node "$BUILD/dist/bench/continuity/replay-bench.js" "$@"
