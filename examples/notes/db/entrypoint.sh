#!/bin/sh
# Starts Postgres as the postgres user (setpriv execs it: postgres itself is pid 1 and gets
# the stop signal), creating the cluster on first start (trust
# authentication: this is an example on a private network). Other commands run as given.
set -e
if [ "$1" = postgres ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    setpriv --reuid=postgres --regid=postgres --init-groups initdb --auth=trust --username=postgres -D "$PGDATA" >/dev/null
    echo "host all all 0.0.0.0/0 trust" >> "$PGDATA/pg_hba.conf"
  fi
  exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/tmp
fi
exec "$@"
