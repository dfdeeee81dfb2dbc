#!/usr/bin/env bash
# `npm run demo`: the whole service on this machine with a demo tenant and a
# stand-in Exchange, in the foreground. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

# Demo settings; any of them can be overridden from the environment.
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/continuity}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export DATA_DIR="${DATA_DIR:-$root/.data}"
export LOG_LEVEL="${LOG_LEVEL:-info}"
export MX_SMTP_HOST="${MX_SMTP_HOST:-127.0.0.1}"
export MX_SMTP_PORT="${MX_SMTP_PORT:-2525}"
export MX_HTTP_PORT="${MX_HTTP_PORT:-9025}"
export WORKER_HTTP_PORT="${WORKER_HTTP_PORT:-9026}"
export API_HTTP_PORT="${API_HTTP_PORT:-9027}"
export WEBMAIL_HTTP_PORT="${WEBMAIL_HTTP_PORT:-9028}"
export PUBLIC_API_URL="${PUBLIC_API_URL:-http://localhost:$API_HTTP_PORT}"
export PUBLIC_WEBMAIL_URL="${PUBLIC_WEBMAIL_URL:-http://localhost:$WEBMAIL_HTTP_PORT}"
# Texts are recorded in $DATA_DIR/sms-outbox.jsonl instead of sent (npm run cli -- sms outbox).
export SMS_DRIVER="${SMS_DRIVER:-outbox}"
# Retry quickly so that mail held while the stand-in is "down" arrives soon after it is back.
export RETRY_BASE_SECONDS="${RETRY_BASE_SECONDS:-5}"
export RETRY_MAX_SECONDS="${RETRY_MAX_SECONDS:-30}"
# Mail for the internet (DSNs to senders, outbound mail) goes to the stand-in too:
# the demo never sends anything off this machine.
upstream_port="${DEMO_UPSTREAM_PORT:-2526}"
export STATIC_ROUTES="${STATIC_ROUTES:-*=127.0.0.1:$upstream_port}"
upstream_dir="$DATA_DIR/upstream"
run_dir="$DATA_DIR/demo"

if [ -t 1 ]; then say() { printf '\033[1m%s\033[0m\n' "$*"; }; else say() { printf '%s\n' "$*"; }; fi
in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for port in "$upstream_port" "$MX_SMTP_PORT" "$MX_HTTP_PORT" "$WORKER_HTTP_PORT" "$API_HTTP_PORT" "$WEBMAIL_HTTP_PORT"; do
  if in_use "$port"; then
    echo "port $port is already in use (another demo running?); stop that first or override the port variables" >&2
    exit 1
  fi
done

if [ ! -d node_modules ]; then
  say "installing dependencies (npm ci)…"
  npm ci
fi
bash infra/scripts/ensure-services.sh
# The project pins Node 24 as a dev dependency; put it ahead of the system's node.
export PATH="$(pwd)/node_modules/.bin:$PATH"
say "building…"
npm run -s build
say "migrating $DATABASE_URL…"
npm run -s cli -- migrate
say "seeding the demo tenant…"
node dist/infra/demo/seed-demo.js infra/demo/mailboxes.csv 127.0.0.1 "$upstream_port"
# Detection fast enough to watch: probe every 5 s, down after 3 failures over at least
# 10 s, so stopping the stand-in activates continuity mode within about half a minute.
# Production defaults are 30 s, 4 failures, 2 min. The event is ended by hand (tour step 5).
say "continuity detection for the demo tenant…"
npm run -s cli -- continuity settings demo --upstream-kind on-premises --policy automatic \
  --probe-interval 5s --failure-threshold 3 --failure-window 10s --hysteresis 30s --auto-switch-back off

mkdir -p "$upstream_dir" "$run_dir"
pids=()
stopping=0

# Starts a process with its output prefixed by its name; remembers its pid.
# Each runs in a session of its own, so Ctrl-C reaches only this script, which
# then sends one SIGTERM to each (a graceful shutdown); the prefixing seds
# ignore Ctrl-C so that the apps' last log lines still get through.
start() { # name command...
  local name=$1; shift
  setsid "$@" > >(trap '' INT; exec sed -u "s/^/[$name] /") 2> >(trap '' INT; exec sed -u "s/^/[$name] /" >&2) &
  pids+=($!)
  echo $! >"$run_dir/$name.pid"
}

stop_all() {
  [ "$stopping" = 1 ] && return
  stopping=1
  # A second Ctrl-C (npm passes one on too) must not cut the shutdown short and leave
  # the apps running without this script: from here on, signals are ignored.
  trap '' INT TERM
  echo
  say "stopping… (work in flight gets up to ${SHUTDOWN_GRACE_MS:-30000} ms)"
  # The stand-in may have been restarted by demo-upstream.sh: its pid file names the current one.
  for pid in "${pids[@]}" $(cat "$run_dir/standin.pid" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$run_dir"/*.pid "$run_dir/dns.address"
  say "stopped. Data is kept in $DATA_DIR and the database; run npm run demo again to continue."
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# Everything but the stand-in, which the tour stops and starts on purpose.
services=()
# Lookups (SPF, DKIM, DMARC, MX, MTA-STS) go to a DNS server of the demo's own that
# answers NXDOMAIN at once, unless DNS_SERVERS names one: a resolver that drops
# queries would hold each inbound message for AUTH_VERIFY_TIMEOUT_MS (10 s).
if [ -z "${DNS_SERVERS:-}" ]; then
  rm -f "$run_dir/dns.address"
  start dns node dist/infra/demo/demo-dns.js "$run_dir/dns.address"
  services+=(dns "${pids[-1]}")
  for _ in $(seq 1 40); do [ -s "$run_dir/dns.address" ] && break; sleep 0.25; done
  [ -s "$run_dir/dns.address" ] || { echo "the demo's DNS server did not start" >&2; exit 1; }
  export DNS_SERVERS=$(cat "$run_dir/dns.address")
  dns_note="answered by the demo's own server at $DNS_SERVERS (NXDOMAIN for every name)"
else
  dns_note="sent to DNS_SERVERS=$DNS_SERVERS"
fi
start standin node dist/infra/standin-upstream/main.js --port "$upstream_port" --dir "$upstream_dir"
start mx node dist/apps/mx/src/main.js
services+=(mx "${pids[-1]}")
start worker node dist/apps/worker/src/main.js
services+=(worker "${pids[-1]}")
start api node dist/apps/api/src/main.js
services+=(api "${pids[-1]}")
start webmail node dist/apps/webmail/src/main.js
services+=(webmail "${pids[-1]}")

alive() { local i; for ((i = 1; i < ${#services[@]}; i += 2)); do kill -0 "${services[i]}" 2>/dev/null || return 1; done; }
give_up() {
  local i
  for ((i = 1; i < ${#services[@]}; i += 2)); do
    kill -0 "${services[i]}" 2>/dev/null || echo "${services[i - 1]} exited (its last log lines are above); stopping the demo" >&2
  done
  exit 1
}
for _ in $(seq 1 120); do
  alive || break
  in_use "$MX_SMTP_PORT" && in_use "$WORKER_HTTP_PORT" && in_use "$API_HTTP_PORT" && in_use "$WEBMAIL_HTTP_PORT" && break
  sleep 0.5
done
alive || give_up

cli="npm run cli --"
cat <<BANNER

$(say "Mail continuity runs: mx (SMTP 127.0.0.1:$MX_SMTP_PORT), worker, api ($PUBLIC_API_URL), webmail ($PUBLIC_WEBMAIL_URL) and a stand-in Exchange (127.0.0.1:$upstream_port).")

  Demo tenant   Demo Corp (slug demo), domain demo.example (verified), admin Dana Admin (+447700900100)
  Mailboxes     alice@demo.example, bob@demo.example, carol@demo.example (each with a mobile number)
  Alias         info@demo.example -> alice     Group  team@demo.example (all three)
  Console       $PUBLIC_API_URL/console   password demo-console-password for
                dana@demo.example (tenant admin), victor@demo.example (viewer), operator@continuity.example (operator);
                the authenticator code: node dist/infra/demo/demo-totp.js

$(say "A tour, in another terminal in this directory (apt-get install swaks if you lack it):")

1. Mail flows: send a message, see what "Exchange" received
     swaks --server 127.0.0.1:$MX_SMTP_PORT --from someone@example.org --to alice@demo.example
     ls $upstream_dir                   (one .eml and one .json per message)

2. Exchange goes down: stop the stand-in and watch the tenant switch to ACTIVE (about 30 s)
     bash infra/scripts/demo-upstream.sh stop
     $cli continuity status demo
   or switch at once by hand:
     $cli continuity activate demo --reason "Exchange is down"

3. Employees get credentials by SMS: read the texts, open a sign-in link in a browser
   (or sign in with address and code at $PUBLIC_WEBMAIL_URL/signin), set a password,
   and work in the webmail: the mail from step 1 is there; reply, write to bob
     $cli sms outbox
   The console shows the same event: $PUBLIC_API_URL/console (status, texts, readiness, audit log)

4. Mail during the outage is accepted, held for Exchange and mirrored for the webmail
     swaks --server 127.0.0.1:$MX_SMTP_PORT --from someone@example.org --to team@demo.example --header "Subject: during the outage"
     $cli recovery status --tenant demo                 (held: 1, the group's copy for Exchange)
     psql $DATABASE_URL -c "SELECT mb.address, m.subject FROM mirror_entries e JOIN mailboxes mb ON mb.id = e.mailbox_id JOIN messages m ON m.id = e.message_id ORDER BY e.received_at DESC LIMIT 6"

5. Exchange is back: start the stand-in (it stays in the foreground of that terminal),
   then end the event in another; held mail is released oldest first, at a paced rate
     bash infra/scripts/demo-upstream.sh start
     $cli continuity end demo --reason "Exchange is back"
     $cli recovery status --tenant demo

6. The reconciliation report: per mailbox, what was received, replayed, suppressed or failed
     $cli recovery report --tenant demo

DNS lookups: $dns_note.
More: $cli continuity history demo · $cli --help · docs/runbook-continuity.md
Health and metrics: curl 127.0.0.1:{$MX_HTTP_PORT,$WORKER_HTTP_PORT,$API_HTTP_PORT,$WEBMAIL_HTTP_PORT}/health/ready (and /metrics)

Ctrl-C stops everything.

BANNER

# Runs until Ctrl-C, or until one of the services dies (the stand-in may come and go).
while alive; do
  wait -n 2>/dev/null || true
done
give_up
