#!/usr/bin/env bash
# Plays a dead Exchange while `npm run demo` runs in another terminal:
#   bash infra/scripts/demo-upstream.sh stop    stops the demo's stand-in upstream
#   bash infra/scripts/demo-upstream.sh start   runs it again here, in the foreground (Ctrl-C stops it again)
set -euo pipefail
cd "$(dirname "$0")/../.."
data_dir="${DATA_DIR:-$(pwd)/.data}"
pidfile="$data_dir/demo/standin.pid"
port="${DEMO_UPSTREAM_PORT:-2526}"
# The project pins Node 24 as a dev dependency; put it ahead of the system's node.
export PATH="$(pwd)/node_modules/.bin:$PATH"

case "${1:-}" in
  stop)
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      kill -TERM "$(cat "$pidfile")"
      rm -f "$pidfile"
      echo "stand-in upstream stopped: mail is still accepted, deliveries to it wait and retry, and the demo"
      echo "tenant switches to continuity mode within about 30 s (npm run cli -- continuity status demo)"
    else
      echo "the stand-in upstream is not running (already stopped, or the demo is not running)"
    fi
    ;;
  start)
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "something already listens on port $port; the stand-in is probably running" >&2
      exit 1
    fi
    echo "stand-in upstream starting on 127.0.0.1:$port (Ctrl-C stops it again)"
    echo "if the tenant is in continuity mode: npm run cli -- continuity end demo --reason \"Exchange is back\""
    node dist/infra/standin-upstream/main.js --port "$port" --dir "$data_dir/upstream" &
    child=$!
    echo "$child" >"$pidfile"
    trap 'kill -TERM "$child" 2>/dev/null' INT TERM
    # A signal interrupts wait; wait again until the stand-in has closed, then drop
    # the pid file unless it already names another stand-in (no stale pid left behind).
    while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
    [ "$(cat "$pidfile" 2>/dev/null)" = "$child" ] && rm -f "$pidfile"
    exit 0
    ;;
  *)
    echo "usage: $0 stop|start" >&2
    exit 2
    ;;
esac
