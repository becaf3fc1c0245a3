#!/usr/bin/env bash
# Benchmark of beanstalkd (Debian's package) driven over its text protocol on
# raw TCP with pipelining; see the bench contract in the brief of bench/run.
# Prints FIGURE/NOTE lines on stdout, progress on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=beanstalkd

jobs=${BENCH_JOBS:-100000}
lat_jobs=${BENCH_LATENCY_JOBS:-2000}
rss_jobs=${BENCH_RSS_JOBS:-1000000}
work=${BENCH_WORK_DIR:-$(mktemp -d)}
mkdir -p "$work"
# Most reserves one worker or the producer sends in one round trip.
reserve_batch=64

log() { echo "$peer: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

beanstalkd_bin=$(command -v beanstalkd || echo /usr/bin/beanstalkd)
[[ -x $beanstalkd_bin ]] || fail "beanstalkd not found (apt-get install beanstalkd)"

bin=$work/beanstalk_bench
log "compiling $bin"
c++ -O2 -std=c++20 -Wall -Wextra -pthread -o "$bin" "$here/beanstalk_bench.cpp" ||
  fail "cannot compile beanstalk_bench.cpp"

server_pid=
worker_pids=()
stop_workers() {
  local pid
  for pid in "${worker_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  worker_pids=()
}
stop_server() {
  if [[ -n $server_pid ]]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
cleanup() { stop_workers; stop_server; }
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_server: a fresh beanstalkd, no -b: no binlog, jobs only in memory (its default).
port=
start_server() {
  local try
  for try in 1 2 3; do
    port=$(free_port)
    "$beanstalkd_bin" -l 127.0.0.1 -p "$port" 2>>"$work/beanstalkd.stderr" &
    server_pid=$!
    local i
    for i in $(seq 100); do
      if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
      sleep 0.05
    done
    log "beanstalkd did not come up on port $port (try $try)"
    stop_server
  done
  fail "beanstalkd does not start; see $work/beanstalkd.stderr"
}

start_workers() {
  local count=$1 i counts
  for ((i = 0; i < count; i++)); do
    "$bin" worker "$port" "$reserve_batch" 2>>"$work/worker.stderr" &
    worker_pids+=($!)
  done
  # Workers watch "jobs" before the first put; a job put earlier would wait
  # in the tube anyway, this only keeps their start-up out of the timing.
  for i in $(seq 200); do
    counts=$(timeout 30 "$bin" count "$port" jobs) || fail "cannot read stats of tube jobs"
    [[ ${counts##* } -ge $count ]] && return 0
    sleep 0.05
  done
  fail "$count worker(s) did not start watching"
}

rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$1" "$2"; }

# check_tube TUBE READY: fails unless TUBE holds READY ready and no reserved jobs.
check_tube() {
  local counts
  counts=$(timeout 30 "$bin" count "$port" "$1") || fail "cannot read stats of tube $1"
  counts=${counts% *}
  [[ $counts == "$2 0" ]] || fail "tube $1 holds '$counts' (ready reserved) jobs, expected '$2 0' ($3)"
}

# End to end, 1 and 2 workers, then latency with 1 worker.
start_server
for workers in 1 2; do
  start_workers "$workers"
  log "e2e: $jobs jobs, $workers worker(s)"
  secs=$(timeout 600 "$bin" e2e "$port" "$jobs" "$reserve_batch") || fail "e2e with $workers worker(s)"
  check_tube jobs 0 "after e2e with $workers worker(s)"
  check_tube results 0 "after e2e with $workers worker(s)"
  echo "FIGURE $peer e2e_${workers}w_jobs_per_s $(rate "$jobs" "$secs")"
  stop_workers
done
start_workers 1
log "latency: $lat_jobs jobs one at a time"
out=$(timeout 600 "$bin" lat "$port" "$lat_jobs") || fail "latency"
read -r p50 p99 <<<"$out"
[[ -n ${p99:-} ]] || fail "latency run printed nothing"
check_tube jobs 0 "after latency"
check_tube results 0 "after latency"
echo "FIGURE $peer lat_p50_us $p50"
echo "FIGURE $peer lat_p99_us $p99"
stop_workers
stop_server

# Acknowledged enqueue, no worker, fresh server.
start_server
log "enqueue: $jobs pipelined puts"
secs=$(timeout 600 "$bin" enqueue "$port" "$jobs") || fail "enqueue"
check_tube jobs "$jobs" "after enqueue"
echo "FIGURE $peer enqueue_jobs_per_s $(rate "$jobs" "$secs")"
stop_server

# Memory with rss_jobs queued, no worker, fresh server.
start_server
log "rss: $rss_jobs pipelined puts"
timeout 1200 "$bin" enqueue "$port" "$rss_jobs" >/dev/null || fail "rss enqueue"
check_tube jobs "$rss_jobs" "after rss enqueue"
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
echo "FIGURE $peer rss_1m_mb $(python3 -c "import sys; print(f'{int(sys.argv[1]) / 1024:.1f}')" "$rss_kb")"
stop_server

version=$("$beanstalkd_bin" -v 2>&1 | awk '{print $2; exit}')
echo "NOTE $peer beanstalkd $version (in memory: no -b binlog, its default) via its text protocol on raw TCP from C++, pipelined: producer writes all puts (writer thread, INSERTED read on another thread) while a second connection reserves+deletes results from tube results; workers = separate processes, each round trip sends delete+put(result) for the jobs of the last round plus up to $reserve_batch reserve-with-timeout 0 (twice what was ready last time; one blocking reserve when none was); latency = put, then reserve of its result, one at a time"
