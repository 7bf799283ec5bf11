#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL beside it, for the tests that run on both SQLite and PostgreSQL.
# Debian's server (package postgresql, installed by system-deps.sh) runs as the postgres system user (it refuses
# to run as root), in a fresh folder, listening on a Unix socket only (no TCP port), and is stopped afterwards.
# The command sees CAMAUDIT_TEST_POSTGRES (a postgresql:// URL); where no server can be started, it runs
# without, and the PostgreSQL half of those tests skips and says why.
set -uo pipefail
dir=$(mktemp -d /tmp/camaudit-pg.XXXXXX)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
started=0
if [ -n "$bin" ] && [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1; then
  chown postgres "$dir" && chmod 755 "$dir"
  if runuser -u postgres -- "$bin/initdb" -D "$dir/data" -A trust -U camaudit -E UTF8 >"$dir/initdb.log" 2>&1 &&
     runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
       -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=off -c max_connections=200" start \
       >/dev/null 2>&1 &&
     runuser -u postgres -- "$bin/createdb" -h "$dir" -U camaudit camaudit_test; then
    started=1
    export CAMAUDIT_TEST_POSTGRES="postgresql://camaudit@/camaudit_test?host=$dir"
    echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests on socket $dir" >&2
  else
    echo "note: could not start PostgreSQL (see $dir); its tests will skip" >&2
  fi
else
  echo "note: no PostgreSQL server here, or not root; the PostgreSQL half of the store tests will skip" >&2
fi
"$@"
status=$?
if [ "$started" -eq 1 ]; then
  runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$dir"
fi
exit $status
