#!/usr/bin/env bash
# tests/pg/cluster.sh start|stop|url DIR, replica DIR PRIMARY - throwaway PostgreSQL clusters for
# the tests.
#
# start: initdb into DIR/data and start a server that listens only on a Unix socket in DIR (no
#        TCP port, so clusters of several build trees never meet), then write DIR/url, the
#        libpq URL of its `postgres` database. As root (CI), the cluster runs as the `postgres`
#        user, which Debian's postgresql package creates; otherwise as the calling user.
#        Durability is switched off (fsync): the tests kill servers, not machines.
# replica: a hot standby of the cluster in PRIMARY (started by start), streaming from it:
#        pg_basebackup over PRIMARY's socket into DIR/data, then started as start starts a
#        cluster (read-only; writes there fail with SQLSTATE 25006). DIR/url as for start.
# stop:  stop the server (fast shutdown, waiting for it) and remove DIR.
# url:   print the URL written by start.
# The server binaries come from Debian's postgresql package (scripts/install-deps.sh).
set -euo pipefail

cmd=${1:?usage: cluster.sh start|stop|url DIR, or replica DIR PRIMARY}
dir=${2:?usage: cluster.sh start|stop|url DIR, or replica DIR PRIMARY}

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] && [ -x "$bindir/initdb" ] || {
  echo "cluster.sh: PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (install the postgresql package: scripts/install-deps.sh)" >&2
  exit 1
}

as_owner() { # run a command as the cluster's owner
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

fresh_dir() { # an empty DIR owned by the cluster's owner (a cluster left there is stopped)
  if [ -f "$dir/data/postmaster.pid" ]; then # a cluster left by an interrupted run
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
  # a Unix socket path is at most 107 bytes: DIR must be short (the build uses /tmp/qbdb-pg-*)
  [ ${#dir} -le 80 ] || { echo "cluster.sh: $dir: too long for a socket directory" >&2; exit 1; }
}

serve() { # start the cluster in DIR/data on DIR's socket (a standby needs max_connections as
  # high as its primary's)
  as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 \
    -o "-c listen_addresses='' -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql:///postgres?host=$dir&user=postgres" >"$dir/url"
  chmod a+r "$dir/url"
}

case $cmd in
start)
  fresh_dir
  as_owner "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
  serve
  ;;
replica)
  primary=${3:?usage: cluster.sh replica DIR PRIMARY}
  fresh_dir
  # -R writes standby.signal and primary_conninfo (PRIMARY's socket); initdb's trust rules
  # allow the local replication connection; -c fast: the checkpoint it starts from is taken at
  # once, not spread over minutes
  as_owner "$bindir/pg_basebackup" -h "$primary" -U postgres -D "$dir/data" -R -X stream -c fast \
    --no-sync >"$dir/basebackup.log" 2>&1 || { cat "$dir/basebackup.log" >&2; exit 1; }
  serve
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 120 stop >/dev/null
  fi
  rm -rf "$dir"
  ;;
url)
  cat "$dir/url"
  ;;
*)
  echo "cluster.sh: unknown command $cmd (start, replica, stop or url)" >&2
  exit 2
  ;;
esac
