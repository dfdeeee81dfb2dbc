#!/usr/bin/env bash
# npm run bench:ingest [-- --runs N | --quick | --help]
# Installs Postfix (smtp-source, smtp-sink) if missing, builds, then runs the
# ingest benchmark; it stops and removes everything it started.
#
# By default the bench runs the apps from a private build of the current tree
# (bench/results/build-<pid>/dist, removed afterwards): `npm run build` starts
# with `rm -rf dist`, and a build by anyone else during a 15-minute run would
# otherwise pull the apps out from under it. BENCH_USE_DIST=1 runs dist/ as it
# is (building it first if it is missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ ! -x /usr/sbin/smtp-source ] || [ ! -x /usr/sbin/smtp-sink ] || [ ! -x /usr/sbin/postfix ]; then
  echo "[bench] installing postfix (for smtp-source, smtp-sink and the reference MTA)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  flock /tmp/apt.lock $SUDO bash -c '
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    DEBIAN_FRONTEND=noninteractive apt-get install -y postfix || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix; }
  '
fi
command -v redis-server >/dev/null || { echo "[bench] redis-server is required (the bench starts a private one)" >&2; exit 1; }

dist_complete() {
  [ -f dist/libs/database/src/migrate.js ] || return 1
  for app in mx worker; do
    if [ -f "apps/$app/src/main.ts" ] && [ ! -f "dist/apps/$app/src/main.js" ]; then return 1; fi
  done
}

if [ -z "${BENCH_USE_DIST:-}" ]; then
  BUILD="bench/results/build-$$"
  trap 'rm -rf "$BUILD"' EXIT
  echo "[bench] building the current tree into $BUILD" >&2
  if npx tsc -p tsconfig.build.json --outDir "$BUILD/dist" >&2 && npx tsc-alias -p tsconfig.build.json --outDir "$BUILD/dist" >&2; then
    node "$BUILD/dist/bench/ingest/ingest-bench.js" "$@"
    exit $?
  fi
  echo "[bench] the private build failed; falling back to dist/" >&2
fi

if ! dist_complete; then
  echo "[bench] dist/ is missing or incomplete: npm run build" >&2
  npm run build >&2 || echo "[bench] build failed; receivers that need it are skipped" >&2
fi
if [ ! -f dist/bench/ingest/ingest-bench.js ] || [ -n "$(find bench -name '*.ts' -newer dist/bench/ingest/ingest-bench.js -print -quit)" ]; then
  npx tsc -p bench/tsconfig.json >&2
fi
node dist/bench/ingest/ingest-bench.js "$@"
