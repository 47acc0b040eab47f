#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests: `eval "$(scripts/pg_test_server.sh start DIR)"` prints the
# RADAR_TEST_DATABASE_URL to export; `scripts/pg_test_server.sh stop DIR` removes it. Listens on a Unix socket
# in DIR only (no TCP port to collide with), trust authentication for the local user: tests only, never serve data.
set -euo pipefail
action=${1:?usage: pg_test_server.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: pg_test_server.sh start|stop DIR}")
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$bindir/initdb" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
# PostgreSQL refuses to run as root: run it as the postgres user then.
as_owner=(); owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); owner=postgres; fi
case $action in
  start)
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      "${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U "$owner" -A trust -E UTF8 --no-locale >"$dir/initdb.log"
    fi
    if ! "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c max_connections=300 -c fsync=off" \
        start >/dev/null
    fi
    echo "export RADAR_TEST_DATABASE_URL='postgresql://$owner@/postgres?host=$dir'"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] && "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast stop >/dev/null
    rm -rf "$dir"
    ;;
  *) echo "usage: pg_test_server.sh start|stop DIR" >&2; exit 2 ;;
esac
