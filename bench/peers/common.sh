# shellcheck shell=bash
# What the peers' run.sh scripts share (beanstalkd and gearman source it,
# celery and rq through redis_peer.sh), sourced once `peer` is set: the
# counts, the scratch directory, messages, starting and stopping the server
# and the workers, cleaning up on exit, and the FIGURE lines.
#
# Env: BENCH_JOBS (100000), BENCH_LATENCY_JOBS (2000), BENCH_RSS_JOBS
# (1000000), BENCH_WORK_DIR (a mktemp -d of our own, removed when all went
# well, kept for its logs otherwise).

: "${peer:?}"
# shellcheck disable=SC2034  # the counts are for the scripts that source this
{
  jobs=${BENCH_JOBS:-100000}
  lat_jobs=${BENCH_LATENCY_JOBS:-2000}
  rss_jobs=${BENCH_RSS_JOBS:-1000000}
}
own_work=
if [[ -n "${BENCH_WORK_DIR:-}" ]]; then work=$BENCH_WORK_DIR; else work=$(mktemp -d); own_work=1; fi
mkdir -p "$work"

log() { echo "$peer: $*" >&2; }
die() { log "$*"; exit 1; }
fail() { die "FAILED: $*"; }

# stop_pids PID...: SIGTERM to each, SIGKILL to any still there 5 s later;
# reaps them all.
stop_pids() {
  local pid
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}

server_pid=
worker_pids=()
stop_workers() {
  stop_pids "${worker_pids[@]}"
  worker_pids=()
}
stop_server() {
  if [[ -n "$server_pid" ]]; then
    stop_pids "$server_pid"
    server_pid=
  fi
}

# run_bg COMMAND...: runs COMMAND in the background and waits for it, so that
# a signal to this script is acted on at once (bash defers a trap while a
# foreground command runs); returns its exit status.
bg_pid=
run_bg() {
  local rc=0
  "$@" &
  bg_pid=$!
  wait "$bg_pid" || rc=$?
  bg_pid=
  return "$rc"
}

# The peer sets finished=1 as its last step: killed by a signal it has no
# trap for, bash runs the EXIT trap with $? still 0.
finished=
cleanup() {
  local rc=$?
  if [[ -n "$bg_pid" ]]; then kill -TERM "$bg_pid" 2>/dev/null || true; wait "$bg_pid" 2>/dev/null || true; fi
  stop_workers
  stop_server
  # a scratch directory of our own goes when all went well; kept for its logs otherwise
  if [[ -n "$own_work" ]]; then
    if (( rc == 0 )) && [[ -n "$finished" ]]; then rm -rf "$work"; else echo "$peer: logs kept in $work" >&2; fi
  fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# server_rss_mb: the server's resident set (VmRSS) in MB, one decimal.
server_rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"; }

# rate JOBS SECONDS: jobs per second, one decimal.
rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$1" "$2"; }

figure() { echo "FIGURE $peer $1 $2"; }

# --- the peers driven by a C++ client, "$bin" (beanstalkd, gearman) ---------

# start_server: a fresh server on a free port, up to three tries. The peer
# defines launch_server (starts it in the background on $port and sets
# server_pid), server_name and server_logs (where to look when it fails).
port=
start_server() {
  : "${server_name:?}" "${server_logs:?}"
  local try
  for try in 1 2 3; do
    port=$(free_port)
    launch_server
    for _ in $(seq 100); do
      if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
      sleep 0.05
    done
    log "$server_name did not come up on port $port (try $try)"
    stop_server
  done
  fail "$server_name does not start; see $server_logs"
}

# e2e_and_latency E2E_ARGS...: the workloads with workers, on one fresh
# server: e2e of $jobs jobs with 1 then 2 workers ("$bin" e2e PORT JOBS
# E2E_ARGS... prints the seconds it took), then latency of $lat_jobs jobs one
# at a time with 1 worker ("$bin" lat PORT N prints p50 and p99 in us). The
# peer defines start_workers N and check_drained WHAT (fails unless the
# server holds no job after WHAT).
e2e_and_latency() {
  : "${bin:?}"
  local workers secs out p50 p99
  start_server
  for workers in 1 2; do
    start_workers "$workers"
    log "e2e: $jobs jobs, $workers worker(s)"
    secs=$(timeout 600 "$bin" e2e "$port" "$jobs" "$@") || fail "e2e with $workers worker(s)"
    check_drained "e2e with $workers worker(s)"
    figure "e2e_${workers}w_jobs_per_s" "$(rate "$jobs" "$secs")"
    stop_workers
  done
  start_workers 1
  log "latency: $lat_jobs jobs one at a time"
  out=$(timeout 600 "$bin" lat "$port" "$lat_jobs") || fail "latency"
  read -r p50 p99 <<<"$out"
  [[ -n ${p99:-} ]] || fail "latency run printed nothing"
  check_drained latency
  figure lat_p50_us "$p50"
  figure lat_p99_us "$p99"
  stop_workers
  stop_server
}
