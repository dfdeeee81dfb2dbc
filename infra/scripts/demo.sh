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

for port in "$upstream_port" "$MX_SMTP_PORT" "$MX_HTTP_PORT" "$WORKER_HTTP_PORT"; do
  if in_use "$port"; then
    echo "port $port is already in use (another demo running?); stop that first or override the port variables" >&2
    exit 1
  fi
done

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
  echo
  say "stopping…"
  for pid in "${pids[@]}" $(cat "$run_dir/standin.pid" 2>/dev/null); do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -f "$run_dir"/*.pid
  say "stopped. Data is kept in $DATA_DIR and the database; run npm run demo again to continue."
}
trap stop_all EXIT
trap 'exit 130' INT TERM

start standin node dist/infra/standin-upstream/main.js --port "$upstream_port" --dir "$upstream_dir"
start mx node dist/apps/mx/src/main.js
start worker node dist/apps/worker/src/main.js
standin_pid=${pids[0]}; mx_pid=${pids[1]}; worker_pid=${pids[2]}

for _ in $(seq 1 60); do
  in_use "$MX_SMTP_PORT" && in_use "$WORKER_HTTP_PORT" && break
  sleep 0.5
done

cat <<BANNER

$(say "The continuity service runs: mx on SMTP 127.0.0.1:$MX_SMTP_PORT, worker, and a stand-in Exchange on 127.0.0.1:$upstream_port.")

  Demo tenant   Demo Corp (slug demo), domain demo.example (verified)
  Mailboxes     alice@demo.example, bob@demo.example, carol@demo.example
  Alias         info@demo.example -> alice     Group  team@demo.example (all three)

Send a first message (apt-get install swaks if you lack it):
  swaks --server 127.0.0.1:$MX_SMTP_PORT --to alice@demo.example --from someone@example.org

Where to look:
  what "Exchange" received   ls $upstream_dir   (one .eml and one .json per message)
  the mirror                 psql $DATABASE_URL -c "SELECT mb.address, e.folder, m.subject, m.queue_id, e.received_at FROM mirror_entries e JOIN mailboxes mb ON mb.id = e.mailbox_id JOIN messages m ON m.id = e.message_id ORDER BY e.received_at DESC LIMIT 10"
  deliveries                 psql $DATABASE_URL -c "SELECT recipient, state, attempts, last_reply FROM deliveries ORDER BY created_at DESC LIMIT 10"
  health and metrics         curl 127.0.0.1:$MX_HTTP_PORT/health/ready   curl 127.0.0.1:$MX_HTTP_PORT/metrics
                             curl 127.0.0.1:$WORKER_HTTP_PORT/health/ready   curl 127.0.0.1:$WORKER_HTTP_PORT/metrics

Play a dead Exchange (in another terminal):
  bash infra/scripts/demo-upstream.sh stop     then send mail: it is accepted (250) and waits
  bash infra/scripts/demo-upstream.sh start    the stand-in is back; waiting mail arrives within ~30 s

Ctrl-C stops everything.

BANNER

# Runs until Ctrl-C, or until mx or the worker dies (the stand-in may come and go).
while kill -0 "$mx_pid" 2>/dev/null && kill -0 "$worker_pid" 2>/dev/null; do
  wait -n 2>/dev/null || true
done
kill -0 "$mx_pid" 2>/dev/null || echo "mx exited; stopping the demo" >&2
kill -0 "$worker_pid" 2>/dev/null || echo "worker exited; stopping the demo" >&2
exit 1
