# shellcheck shell=bash
# The peers on Redis (celery/run.sh, rq/run.sh): starts its own redis-server
# and workers, runs the workloads with the peer's driver.py, prints
# FIGURE/NOTE lines on stdout (see bench/run), diagnostics on stderr.
#
# Sourced as the last thing run.sh does, once it has set
#   here         its directory (driver.py, the worker's Python module)
#   peer         the system name of the FIGURE lines
#   peer_title   the peer's name in a NOTE
#   queue_key    the Redis list a queued job waits in
#   fill_arg     driver.py fill's argument after the count ('': none)
# and defined
#   worker_command I   exec's worker I (run in $work, output redirected)
#   read_versions      reads the versions version_note gives
#   version_note       prints the NOTE line on versions and method
#
# Env: as common.sh, and BENCH_SLOW_PEER_JOBS (10000: the e2e runs; Celery
# and RQ manage a few hundred jobs/s end to end here).
: "${here:?}" "${peer_title:?}" "${queue_key:?}" "${fill_arg?}"
peers_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/common.sh
source "$peers_dir/common.sh"

e2e_jobs=${BENCH_SLOW_PEER_JOBS:-10000}
if (( e2e_jobs > jobs )); then e2e_jobs=$jobs; fi

# Debian's python3-celery and python3-rq are installed for Debian's
# interpreter, which a pyenv or venv python3 earlier on PATH would not see.
py=/usr/bin/python3
# driver.py imports redis_driver_common from $peers_dir.
export PYTHONPATH="$here:$peers_dir${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONDONTWRITEBYTECODE=1

trap 'exit 130' INT TERM

redis_runs=0
start_redis() {
  redis_runs=$((redis_runs + 1))
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    >"$work/redis.$redis_runs.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do
    redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
    kill -0 "$server_pid" 2>/dev/null || die "redis-server exited; see $work/redis.$redis_runs.log"
    sleep 0.1
  done
  redis-cli -p "$port" ping 2>/dev/null | grep -q PONG || die "redis-server did not answer"
  export BENCH_REDIS_URL="redis://127.0.0.1:$port/0"
  log "redis-server pid $server_pid on port $port"
}
rcli() { timeout 60 redis-cli -p "$port" "$@"; }

# driver SECONDS ARGS...: runs driver.py in the background (so that a signal
# to this script is handled at once), its stdout into $work/driver.out.
driver() {
  local limit=$1
  shift
  run_bg timeout "$limit" "$py" "$here/driver.py" "$@" >"$work/driver.out"
}
result() { awk -v k="$1" '$1 == k { print $2 }' "$work/driver.out"; }

worker_runs=0
start_workers() {
  local n=$1 i
  worker_runs=$((worker_runs + 1))
  for i in $(seq "$n"); do
    (cd "$work" && worker_command "$i" >"$work/worker.$worker_runs.$i.log" 2>&1) &
    worker_pids+=($!)
  done
  driver 90 wait-workers "$n" || die "workers did not come up; see $work/worker.*.log"
}

# --- enqueue, e2e and latency on one server --------------------------------
start_redis
read_versions
# shellcheck disable=SC2034  # for version_note
v_server=$(redis-server --version | sed -E 's/.*v=([^ ]+).*/\1/')

log "enqueue: $jobs jobs, no worker"
driver 900 enqueue "$jobs" || die "enqueue failed"
[[ $(rcli llen "$queue_key") == "$jobs" ]] || die "enqueue: queue length is not $jobs"
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
stop_server

# --- RSS: a fresh server, rss_jobs tasks queued, no worker ------------------
start_redis
log "rss: $rss_jobs jobs queued, no worker"
driver 900 fill "$rss_jobs" ${fill_arg:+"$fill_arg"} || die "fill failed"
[[ $(rcli llen "$queue_key") == "$rss_jobs" ]] || die "rss: queue length is not $rss_jobs"
rss_mb=$(server_rss_mb)
figure rss_1m_mb "$rss_mb"
stop_server

version_note
if (( e2e_jobs < jobs )); then
  echo "NOTE $peer e2e on $e2e_jobs jobs (BENCH_SLOW_PEER_JOBS; $peer_title runs a few hundred noop jobs/s end to end here, enqueue used $jobs)"
fi
finished=1
