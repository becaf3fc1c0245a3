#!/usr/bin/env bash
# The PostgreSQL store end to end (issue 20, item 5), on a PostgreSQL 15
# server this script starts in a scratch directory (as the postgres user
# when run as root; synchronous_commit and fsync on, as shipped). Prints, on
# stdout only,
#
#   FIGURE postgres-e2e <key> <value>
#
# postgres_noop_jobs_per_s and sqlite_noop_jobs_per_s (BENCH_JOBS noop jobs
# submitted and waited for with `jobq submit --file --wait`, one worker, a
# fresh broker on each store), postgres_acked_enqueues_per_s (the same jobs
# submitted without a worker until every one is acknowledged: durable), and
# takeover_s (BENCH_TAKEOVER_JOBS jobs stored, a standby beside the leader,
# the leader killed with -9: seconds until the standby has loaded them all
# and listens) with takeover_jobs. Asserts nothing. Everything started here
# is stopped on exit.
#
# Environment: JOBQ_BUILD_DIR [build-release], BENCH_JOBS [100000],
# BENCH_TAKEOVER_JOBS [1000000].
set -euo pipefail
cd "$(dirname "$0")/../.."

script=postgres_e2e
bin=${JOBQ_BUILD_DIR:-build-release}
jobs=${BENCH_JOBS:-100000}
takeover_jobs=${BENCH_TAKEOVER_JOBS:-1000000}
broker_ready_seconds=120
source bench/jobq/side_run.sh
require_programs broker/jobq-broker worker/jobq-worker producer/jobq
pg_bin=/usr/lib/postgresql/15/bin
[[ -x $pg_bin/postgres ]] || { echo "$script: PostgreSQL 15 is missing: run scripts/setup.sh" >&2; exit 1; }
now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN {printf "%.0f", n / (b - a)}'; }

# The server, as the postgres user when we are root (initdb refuses root).
as_owner=()
if ((EUID == 0)); then
  as_owner=(runuser -u postgres --)
  chmod 755 "$work"
fi
mkdir -p "$work/pg"
[[ ${#as_owner[@]} -eq 0 ]] || chown postgres "$work/pg"
"${as_owner[@]}" "$pg_bin/initdb" -D "$work/pg/data" -A trust -U postgres >"$work/pg/initdb.log"
pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_owner[@]}" "$pg_bin/postgres" -D "$work/pg/data" -p "$pg_port" -k "$work/pg" \
  -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on \
  -c shared_buffers=512MB -c max_wal_size=4GB >"$work/pg/server.log" 2>&1 &
# Not in pids: stop_started ends the brokers of a run, not the server.
pg_pid=$!
# pg_pid is runuser's when we are root, and runuser, started in the
# background, ignores SIGINT: the fast shutdown goes to the postmaster.
stop_postgres() {
  local postmaster
  postmaster=$(head -n 1 "$work/pg/data/postmaster.pid" 2>/dev/null) || postmaster=
  kill -INT "${postmaster:-$pg_pid}" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pg_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pg_pid" 2>/dev/null; then
    kill -KILL ${postmaster:+"$postmaster"} "$pg_pid" 2>/dev/null || true
  fi
}
trap 'stop_postgres; cleanup' EXIT
for _ in $(seq 300); do
  "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break
  sleep 0.1
done
database=0
# new_store: a fresh database; sets store.
new_store() {
  database=$((database + 1))
  psql -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE bench$database" postgres
  store="postgres://postgres@127.0.0.1:$pg_port/bench$database"
}

seq "$jobs" | sed 's/.*/{"task": "noop"}/' >"$work/jobs.jsonl"

# waited NAME STORE_OPTION...: the jobs submitted and waited for on a fresh
# broker and one worker.
waited() {
  local name=$1 start done_at
  shift
  start_broker "$work/$name" "$@"
  "$bin/worker/jobq-worker" --broker "$backend" --name w --io-threads 8 --cpu-procs 0 \
    --prefetch 1000 --log-level warning 2>"$work/$name/worker.log" &
  pids+=($!)
  start=$(now)
  "$bin/producer/jobq" --broker "$frontend" submit --file "$work/jobs.jsonl" --wait \
    >"$work/$name.out" || echo "FIGURE postgres-e2e ${name}_failed 1"
  done_at=$(now)
  echo "FIGURE postgres-e2e ${name}_noop_jobs_per_s $(rate "$jobs" "$start" "$done_at")"
  stop_started
}

new_store
waited postgres --store "$store"
waited sqlite --data-dir "$work/sqlite-data"

# Acknowledged enqueues: no worker; `jobq submit` returns once every job
# is acknowledged, that is committed.
new_store
start_broker "$work/acked" --store "$store"
start=$(now)
"$bin/producer/jobq" --broker "$frontend" submit --file "$work/jobs.jsonl" >/dev/null
done_at=$(now)
echo "FIGURE postgres-e2e postgres_acked_enqueues_per_s $(rate "$jobs" "$start" "$done_at")"
kill -KILL "$broker_pid"

# Takeover: a leader with takeover_jobs jobs stored, a standby, kill -9.
new_store
start_broker "$work/leader" --store "$store" --name leader --jobs-max $((takeover_jobs + 1000)) \
  --queue-max $((takeover_jobs + 1000))
leader_pid=$broker_pid
seq "$takeover_jobs" | sed 's/.*/{"task": "noop"}/' >"$work/many.jsonl"
"$bin/producer/jobq" --broker "$frontend" submit --file "$work/many.jsonl" >/dev/null
mkdir -p "$work/standby"
"$bin/broker/jobq-broker" --store "$store" --name standby --frontend 'tcp://127.0.0.1:*' \
  --backend 'tcp://127.0.0.1:*' --admin 127.0.0.1:0 --ready-file "$work/standby/ready" \
  --jobs-max $((takeover_jobs + 1000)) --queue-max $((takeover_jobs + 1000)) \
  --log-level info 2>"$work/standby/broker.log" &
pids+=($!)
for _ in $(seq 300); do
  grep -q '"standby"' "$work/standby/ready" 2>/dev/null && break
  sleep 0.1
done
killed=$(now)
kill -KILL "$leader_pid"
for _ in $(seq 1200); do
  grep -q '"frontend"' "$work/standby/ready" 2>/dev/null && break
  sleep 0.05
done
serving=$(now)
grep -q '"frontend"' "$work/standby/ready" || echo "FIGURE postgres-e2e takeover_failed 1"
awk -v a="$killed" -v b="$serving" 'BEGIN {printf "FIGURE postgres-e2e takeover_s %.2f\n", b - a}'
echo "FIGURE postgres-e2e takeover_jobs $takeover_jobs"
