#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL server for the store's tests:
#   scripts/with-postgres.sh scripts/test.sh
#   scripts/with-postgres.sh cargo test --test suite store::
# Installs Debian's postgresql package when no initdb/pg_ctl is found under
# /usr/lib/postgresql/*/bin, creates a cluster in a temporary directory (as the
# postgres user when run as root: initdb refuses root), starts it on 127.0.0.1
# on a free port, creates a database and a password user, exports
# ROLEFAQ_TEST_PG_URL and ROLEFAQ_REQUIRE_PG=1 (so the PostgreSQL tests fail
# rather than skip), runs the command, and stops and removes the server on exit,
# whatever happens.
set -euo pipefail

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

if ! bin=$(find_bin); then
  echo "== installing PostgreSQL (Debian's postgresql package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
  bin=$(find_bin) || { echo "no initdb/pg_ctl under /usr/lib/postgresql/*/bin after installing"; exit 1; }
fi

# Who runs the server: initdb and postgres refuse to run as root.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  if ! id -u "$owner" >/dev/null 2>&1; then
    owner=rolefaq-pg
    id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  fi
  as_owner=(runuser -u "$owner" --)
fi

dir=$(mktemp -d /tmp/rolefaq-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
password=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
user=rolefaq_test
db=rolefaq_test

stop() {
  status=$?
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit "$status"
}
trap stop EXIT
trap 'exit 130' INT TERM

printf '%s\n' "$password" >"$dir/pwfile"
if [ ${#as_owner[@]} -gt 0 ]; then
  chown -R "$owner" "$dir"
fi
chmod 700 "$dir"
echo "== PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port ($dir)"
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" \
  --auth=scram-sha-256 -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log"; exit 1; }
if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null; then
  cat "$dir/server.log"
  exit 1
fi
PGPASSWORD=$password "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -q -v ON_ERROR_STOP=1 \
  -c "CREATE DATABASE $db"

export ROLEFAQ_TEST_PG_URL="postgres://$user:$password@127.0.0.1:$port/$db"
export ROLEFAQ_REQUIRE_PG=1
"$@"
