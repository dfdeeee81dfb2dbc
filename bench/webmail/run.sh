#!/usr/bin/env bash
# npm run bench:webmail [-- --messages N --mailbox N --runs N --iterations N --keep]
# Bundles the bench with esbuild (seconds, not a full build) and runs it
# against the local Postgres; it creates and drops its own database.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="bench/results/webmail-bench-$$.js"
mkdir -p bench/results
trap 'rm -f "$OUT"' EXIT
npx esbuild bench/webmail/webmail-bench.ts --bundle --platform=node --target=node24 --packages=external \
  --tsconfig=tsconfig.json --outfile="$OUT" --log-level=warning
node "$OUT" "$@"
