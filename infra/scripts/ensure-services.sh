#!/usr/bin/env bash
# Makes sure Postgres and Redis answer on this machine, starting them if they
# are installed but not running. Servers elsewhere (DATABASE_URL / REDIS_URL
# pointing at another host) are only checked, never started.
set -euo pipefail

db_url="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/continuity}"
redis_url="${REDIS_URL:-redis://127.0.0.1:6379}"

host_of() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
port_of() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; [[ "$rest" == *:* ]] && echo "${rest##*:}" || echo "$2"; }
is_local() { [[ "$1" == 127.0.0.1 || "$1" == localhost || "$1" == ::1 ]]; }
listening() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

wait_for() { # name host port
  for _ in $(seq 1 60); do listening "$2" "$3" && return 0; sleep 0.5; done
  echo "ensure-services: $1 did not start listening on $2:$3" >&2
  return 1
}

pg_host=$(host_of "$db_url"); pg_port=$(port_of "$db_url" 5432)
if ! listening "$pg_host" "$pg_port"; then
  if is_local "$pg_host" && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "ensure-services: starting Postgres $version"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    wait_for Postgres "$pg_host" "$pg_port"
  else
    echo "ensure-services: Postgres is not reachable at $pg_host:$pg_port. Install it (apt-get install postgresql)," >&2
    echo "  or run: docker compose -f infra/docker-compose.yml up -d" >&2
    exit 1
  fi
fi

# A freshly installed Debian Postgres wants passwords on 127.0.0.1; CI (and only
# CI, as root) switches it to trust, which is what the tests and the demo expect.
if is_local "$pg_host" && command -v psql >/dev/null && ! psql "${db_url%/*}/postgres" -Atqc 'SELECT 1' >/dev/null 2>&1; then
  if [ "${CI:-}" = true ] && [ "$(id -u)" = 0 ] && [ -d /etc/postgresql ]; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    echo "ensure-services: CI: trusting local connections in $hba"
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' >"$hba"
    pg_ctlcluster --skip-systemctl-redirect "$version" main reload
    sleep 1
  fi
  if ! psql "${db_url%/*}/postgres" -Atqc 'SELECT 1' >/dev/null; then
    echo "ensure-services: Postgres is running but refuses $db_url (see the error above)" >&2
    exit 1
  fi
fi

redis_host=$(host_of "$redis_url"); redis_port=$(port_of "$redis_url" 6379)
if ! listening "$redis_host" "$redis_port"; then
  if is_local "$redis_host" && command -v redis-server >/dev/null; then
    echo "ensure-services: starting Redis on port $redis_port"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
    wait_for Redis "$redis_host" "$redis_port"
  else
    echo "ensure-services: Redis is not reachable at $redis_host:$redis_port. Install it (apt-get install redis-server)," >&2
    echo "  or run: docker compose -f infra/docker-compose.yml up -d" >&2
    exit 1
  fi
fi
echo "ensure-services: Postgres at $pg_host:$pg_port and Redis at $redis_host:$redis_port are up"
