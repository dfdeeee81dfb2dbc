#!/usr/bin/env bash
# npm run bench:ingest [-- --runs N | --quick | --help]
# Installs Postfix (smtp-source, smtp-sink) if missing, builds what is missing,
# then runs the ingest benchmark; it stops and removes everything it started.
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

# Build the project when its build is missing (not when an app's source does not exist yet).
need_build=""
[ -f dist/libs/database/src/migrate.js ] || need_build=1
for app in mx worker; do
  [ -f "apps/$app/src/main.ts" ] && [ ! -f "dist/apps/$app/src/main.js" ] && need_build=1
done
if [ -n "$need_build" ]; then
  echo "[bench] dist/ is missing or incomplete: npm run build" >&2
  npm run build >&2 || echo "[bench] build failed; receivers that need it are skipped" >&2
fi
# The bench's own code compiles on its own, so that a bench change never removes another build's dist/.
if [ ! -f dist/bench/ingest/ingest-bench.js ] || [ -n "$(find bench -name '*.ts' -newer dist/bench/ingest/ingest-bench.js -print -quit)" ]; then
  npx tsc -p bench/tsconfig.json >&2
fi

exec node dist/bench/ingest/ingest-bench.js "$@"
