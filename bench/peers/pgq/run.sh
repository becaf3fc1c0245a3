#!/usr/bin/env bash
# Benchmark of PgQ (Debian's postgresql-15-pgq3, ticked by pgqd), the
# PostgreSQL-native queue beside jobq's PostgreSQL store (issue 20, item 5);
# see the bench contract in the brief of bench/run. Starts a PostgreSQL 15
# server of its own in the scratch directory, configured as
# bench/jobq/postgres_e2e.sh configures jobq's (as the postgres user when
# run as root; fsync and synchronous_commit on), CREATE EXTENSION pgq, one
# queue per workload, pgqd ticking them, and drives it with pgq_bench.py
# (Debian's python3 and python3-psycopg2). Prints FIGURE/NOTE lines on
# stdout, progress on stderr. What it shares with the other peers is in
# ../common.sh.
#
# Env: as common.sh (BENCH_JOBS: the events of each workload; the latency and
# RSS counts are not used), and BENCH_PGQ_BATCH (1000: events per producer
# transaction), BENCH_PGQ_TICKER_PERIOD (0.1: pgqd's ticker_period, seconds).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=pgq

# shellcheck source=SCRIPTDIR/../common.sh
source "$here/../common.sh"

batch=${BENCH_PGQ_BATCH:-1000}
ticker_period=${BENCH_PGQ_TICKER_PERIOD:-0.1}
py=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
pg_bin=/usr/lib/postgresql/15/bin
[[ -x $pg_bin/postgres ]] || fail "PostgreSQL 15 not found (apt-get install postgresql-15)"
[[ -f /usr/share/postgresql/15/extension/pgq.control ]] ||
  fail "the pgq extension not found (apt-get install postgresql-15-pgq3)"
command -v pgqd >/dev/null || fail "pgqd not found (apt-get install pgqd)"
"$py" -c 'import psycopg2' 2>/dev/null || fail "psycopg2 not found for $py (apt-get install python3-psycopg2)"

# The server runs as the postgres user when we are root (initdb refuses
# root); setpriv execs, so server_pid is the postmaster itself.
as_owner=()
if ((EUID == 0)); then as_owner=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
pg_dir=$work/pg
mkdir -p "$pg_dir"
own_pg_dir=
if ((EUID == 0)); then
  chown postgres "$pg_dir"
  if ! "${as_owner[@]}" test -w "$pg_dir"; then
    # The scratch directory is somewhere the postgres user cannot reach.
    rmdir "$pg_dir"
    pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/jobq-bench-pgq.XXXXXX")
    own_pg_dir=1
    chmod 755 "$pg_dir"
    chown postgres "$pg_dir"
  fi
fi
pgq_cleanup() {
  local rc=$?
  stop_workers  # pgqd, before the server
  if [[ -n "$server_pid" ]]; then
    kill -INT "$server_pid" 2>/dev/null || true  # fast shutdown
    stop_pids "$server_pid"
    server_pid=
  fi
  if [[ -n "$own_pg_dir" ]]; then rm -rf "$pg_dir"; fi
  (exit "$rc")
  cleanup
}
trap pgq_cleanup EXIT
trap 'exit 130' INT TERM

log "initdb in $pg_dir/data"
(cd "$pg_dir" && "${as_owner[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres) \
  >"$pg_dir/initdb.log" 2>&1 || fail "initdb failed; see $pg_dir/initdb.log"
port=$(free_port)
(cd "$pg_dir" && exec "${as_owner[@]}" "$pg_bin/postgres" -D "$pg_dir/data" -p "$port" \
  -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=on -c synchronous_commit=on \
  -c shared_buffers=512MB -c max_wal_size=4GB) >"$pg_dir/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 300); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
  kill -0 "$server_pid" 2>/dev/null || fail "PostgreSQL exited; see $pg_dir/server.log"
  sleep 0.1
done
"$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$port" || fail "PostgreSQL did not start; see $pg_dir/server.log"

psql_do() { psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres "$@"; }
psql_do -d postgres -c "CREATE DATABASE bench" || fail "CREATE DATABASE"
dsn="host=127.0.0.1 port=$port user=postgres dbname=bench"
psql_do -d bench -c "CREATE EXTENSION pgq" \
  -c "SELECT pgq.create_queue('e2e')" -c "SELECT pgq.create_queue('enqueue')" >/dev/null ||
  fail "CREATE EXTENSION pgq or pgq.create_queue"

# pgqd, the ticker (and maintenance), for this server's bench database only.
cat >"$work/pgqd.ini" <<EOF
[pgqd]
logfile = $work/pgqd.log
base_connstr = host=127.0.0.1 port=$port user=postgres
initial_database = postgres
database_list = bench
syslog = 0
ticker_period = $ticker_period
EOF
pgqd -q "$work/pgqd.ini" 2>>"$work/pgqd.stderr" &
worker_pids+=($!)
# Ticking once it has found the queue: a tick newer than create_queue's.
for _ in $(seq 300); do
  ticks=$(psql_do -d bench -At -c "SELECT count(*) FROM pgq.tick t JOIN pgq.queue q ON q.queue_id = t.tick_queue WHERE q.queue_name = 'e2e'") ||
    fail "cannot read pgq.tick"
  ((ticks >= 2)) && break
  kill -0 "${worker_pids[0]}" 2>/dev/null || fail "pgqd exited; see $work/pgqd.log and $work/pgqd.stderr"
  sleep 0.1
done
((ticks >= 2)) || fail "pgqd does not tick; see $work/pgqd.log"

log "e2e: $jobs events, $batch per transaction, one consumer"
secs=$(timeout 900 "$py" "$here/pgq_bench.py" e2e "$dsn" e2e "$jobs" "$batch") || fail "e2e"
figure e2e_1w_jobs_per_s "$(rate "$jobs" "$secs")"

log "enqueue: $jobs events, $batch per transaction, no consumer"
secs=$(timeout 900 "$py" "$here/pgq_bench.py" enqueue "$dsn" enqueue "$jobs" "$batch") || fail "enqueue"
# A queue's events are in the child tables of its queue_data_pfx (pgq.event_<id>).
table=$(psql_do -d bench -At -c "SELECT queue_data_pfx FROM pgq.queue WHERE queue_name = 'enqueue'") ||
  fail "cannot read the queue's table"
stored=$(psql_do -d bench -At -c "SELECT count(*) FROM $table") || fail "cannot count the stored events"
[[ $stored == "$jobs" ]] || fail "queue enqueue holds $stored events, expected $jobs"
figure enqueue_jobs_per_s "$(rate "$jobs" "$secs")"

pg_version=$(psql_do -d bench -At -c "SHOW server_version" | awk '{print $1}')
pgq_version=$(psql_do -d bench -At -c "SELECT pgq.version()")
pgqd_version=$(pgqd -V 2>&1 | awk '{print $NF; exit}')
echo "NOTE $peer PgQ $pgq_version (postgresql-15-pgq3) on PostgreSQL $pg_version (its own server, fsync and synchronous_commit on, shared_buffers 512MB, as jobq's PostgreSQL figures), pgqd $pgqd_version ticking every $ticker_period s (its default is 1 s), driven from Debian's python3 with psycopg2: the producer inserts with pgq.insert_event over unnest(), $batch events per transaction (an event is acknowledged once its transaction commits); one consumer process loops pgq.next_batch, pgq.get_batch_events (every event fetched to the client), pgq.finish_batch, one transaction per batch, polling every 5 ms when no batch is ready; e2e = first insert to the commit of the batch holding the last event"
echo "NOTE $peer PgQ is a batch event queue, not a job queue: no workers sharing a queue (each registered consumer gets every event, so no 2-worker figure), no per-job acknowledgement, retry or result back to the producer (jobq's e2e includes the result reaching the waiting client); events reach a consumer only once pgqd has ticked, so one job's latency is the ticker period by design (not measured); the server's RSS is not comparable (not measured)"
finished=1
