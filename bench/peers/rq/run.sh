#!/usr/bin/env bash
# RQ (Redis Queue) side of the peer benchmark. Starts its own redis-server
# and rq workers (SimpleWorker), runs the workloads, prints
# FIGURE/NOTE lines on stdout (see bench/run), diagnostics on stderr.
#
# Env: BENCH_JOBS (100000: enqueue), BENCH_SLOW_PEER_JOBS (10000: the e2e
# runs; RQ manages a few hundred jobs/s end to end here),
# BENCH_LATENCY_JOBS (2000), BENCH_RSS_JOBS (1000000), BENCH_WORK_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=rq

jobs=${BENCH_JOBS:-100000}
e2e_jobs=${BENCH_SLOW_PEER_JOBS:-10000}
if (( e2e_jobs > jobs )); then e2e_jobs=$jobs; fi
lat_jobs=${BENCH_LATENCY_JOBS:-2000}
rss_jobs=${BENCH_RSS_JOBS:-1000000}
own_work=
if [[ -n "${BENCH_WORK_DIR:-}" ]]; then work=$BENCH_WORK_DIR; else work=$(mktemp -d); own_work=1; fi
mkdir -p "$work"

# Debian's python3-rq is installed for Debian's interpreter, which a
# pyenv or venv python3 earlier on PATH would not see.
py=/usr/bin/python3
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1

log() { echo "rq: $*" >&2; }
die() { echo "rq: $*" >&2; exit 1; }

redis_pid=
worker_pids=()
stop_workers() {
  local pid
  for pid in "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${worker_pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  worker_pids=()
}
stop_redis() {
  if [[ -n "$redis_pid" ]]; then
    kill -TERM "$redis_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
    redis_pid=
  fi
}
cleanup() {
  local rc=$?
  if [[ -n "$driver_pid" ]]; then kill -TERM "$driver_pid" 2>/dev/null || true; wait "$driver_pid" 2>/dev/null || true; fi
  stop_workers
  stop_redis
  # a scratch directory of our own goes when all went well; kept for its logs otherwise
  if [[ -n "$own_work" ]]; then
    if (( rc == 0 )); then rm -rf "$work"; else echo "$peer: logs kept in $work" >&2; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_runs=0
start_redis() {
  redis_runs=$((redis_runs + 1))
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    >"$work/redis.$redis_runs.log" 2>&1 &
  redis_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    kill -0 "$redis_pid" 2>/dev/null || die "redis-server exited; see $work/redis.$redis_runs.log"
    sleep 0.1
  done
  redis-cli -p "$port" ping 2>/dev/null | grep -q PONG || die "redis-server did not answer"
  export BENCH_REDIS_URL="redis://127.0.0.1:$port/0"
  log "redis-server pid $redis_pid on port $port"
}
rcli() { timeout 60 redis-cli -p "$port" "$@"; }

# driver SECONDS ARGS...: runs driver.py in the background (so that a signal
# to this script is handled at once), its stdout into $work/driver.out.
driver_pid=
driver() {
  local limit=$1 rc=0
  shift
  timeout "$limit" "$py" "$here/driver.py" "$@" >"$work/driver.out" &
  driver_pid=$!
  wait "$driver_pid" || rc=$?
  driver_pid=
  return "$rc"
}
result() { awk -v k="$1" '$1 == k { print $2 }' "$work/driver.out"; }

worker_runs=0
start_workers() {
  local n=$1 i
  worker_runs=$((worker_runs + 1))
  for i in $(seq "$n"); do
    (cd "$work" && exec "$py" -m rq.cli worker -w rq.worker.SimpleWorker -u "$BENCH_REDIS_URL" \
      --logging_level WARNING --disable-job-desc-logging -P "$here" -n "w$i-$$" bench \
      >"$work/worker.$worker_runs.$i.log" 2>&1) &
    worker_pids+=($!)
  done
  driver 90 wait-workers "$n" || die "workers did not come up; see $work/worker.*.log"
}

figure() { echo "FIGURE $peer $1 $2"; }

# --- enqueue, e2e and latency on one server --------------------------------
start_redis
version=$("$py" -c 'import rq, redis; print(rq.__version__, redis.__version__)')
read -r v_rq v_redispy <<<"$version"
v_server=$(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/')

log "enqueue: $jobs jobs, no worker"
driver 900 enqueue "$jobs" || die "enqueue failed"
[[ $(rcli llen rq:queue:bench) == "$jobs" ]] || die "enqueue: queue length is not $jobs"
figure enqueue_jobs_per_s "$(result enqueue_jobs_per_s)"
rcli flushall >/dev/null

for w in 1 2; do
  log "e2e: $e2e_jobs jobs, $w worker(s)"
  start_workers "$w"
  driver 900 e2e "$e2e_jobs" 600 || die "e2e with $w worker(s) failed"
  figure "e2e_${w}w_jobs_per_s" "$(result e2e_jobs_per_s)"
  stop_workers
  rcli flushall >/dev/null
done

log "latency: $lat_jobs jobs one at a time, 1 worker"
start_workers 1
driver 600 latency "$lat_jobs" || die "latency failed"
figure lat_p50_us "$(result lat_p50_us)"
figure lat_p99_us "$(result lat_p99_us)"
stop_workers
stop_redis

# --- RSS: a fresh server, rss_jobs tasks queued, no worker ------------------
start_redis
log "rss: $rss_jobs jobs queued, no worker"
driver 900 fill "$rss_jobs" || die "fill failed"
[[ $(rcli llen rq:queue:bench) == "$rss_jobs" ]] || die "rss: queue length is not $rss_jobs"
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$redis_pid/status")
figure rss_1m_mb "$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')"
stop_redis

echo "NOTE $peer rq $v_rq (redis-py $v_redispy, redis-server $v_server); 1 worker = 1 'rq worker -w rq.worker.SimpleWorker' process (runs jobs in-process; the default Worker forks per job); enqueue and e2e submit with Queue.enqueue_many of Queue.prepare_data in pipelines of 1000 jobs; e2e completion polled with Job.fetch_many on the oldest 1000 pending jobs per round trip; latency: Queue.enqueue then Job.get_status polled every ~0.2 ms; rss queue filled with enqueue_many as well, from 2 producer processes"
if (( e2e_jobs < jobs )); then
  echo "NOTE $peer e2e on $e2e_jobs jobs (BENCH_SLOW_PEER_JOBS; RQ runs a few hundred noop jobs/s end to end here, enqueue used $jobs)"
fi
