#!/usr/bin/env bash
# Every test of the project: `npm test`. Installs dependencies if missing,
# makes sure Postgres and Redis run, builds (end-to-end tests spawn the built
# apps), typechecks, then runs the unit, integration and end-to-end tiers.
# Each tier runs even if an earlier one failed; the exit code is non-zero if
# any step failed.
set -uo pipefail
cd "$(dirname "$0")/../.."

[ -d node_modules ] || npm ci || exit 1
bash infra/scripts/ensure-services.sh || exit 1
bash infra/scripts/ensure-chromium.sh || exit 1
npm run build || exit 1

failed=()
step() { # name command...
  local name=$1; shift
  echo
  echo "=== $name"
  "$@" || failed+=("$name")
}
step typecheck npm run -s typecheck
step unit npx jest --selectProjects unit --passWithNoTests
step integration npx jest --selectProjects integration --runInBand --passWithNoTests
step e2e npx jest --selectProjects e2e --runInBand --passWithNoTests

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all tests passed (typecheck, unit, integration, e2e)"
