#!/usr/bin/env bash
# npm run bench:continuity [-- --messages N]            replay of held mail against plain delivery
# npm run bench:continuity -- --activation [--mailboxes N] [--probe-interval S] [--failures N] [--window S]
#                                                       upstream death → activation → last credentials text
# Builds the current tree into a private directory (a concurrent `npm run build`
# starts with rm -rf dist), then runs against local Postgres and Redis; it
# removes what it created.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD="bench/results/build-continuity-$$"
trap 'rm -rf "$BUILD"' EXIT
echo "[bench] building the current tree into $BUILD" >&2
npx tsc -p tsconfig.build.json --outDir "$BUILD/dist" >&2 || echo "[bench] tsc reported errors; running what it emitted" >&2
npx tsc-alias -p tsconfig.build.json --outDir "$BUILD/dist" >&2
SCRIPT=replay-bench.js
ARGS=()
for a in "$@"; do
  if [ "$a" = "--activation" ]; then SCRIPT=activation-bench.js; else ARGS+=("$a"); fi
done
BENCH_BUILD_ROOT="$PWD/$BUILD/dist" node "$BUILD/dist/bench/continuity/$SCRIPT" "${ARGS[@]}"
