#!/usr/bin/env bash
# Benchmark of gearmand (Debian's gearman-job-server) driven through its C
# client library libgearman; see the bench contract in the brief of bench/run.
# Prints FIGURE/NOTE lines on stdout, progress on stderr.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=gearman

jobs=${BENCH_JOBS:-100000}
lat_jobs=${BENCH_LATENCY_JOBS:-2000}
rss_jobs=${BENCH_RSS_JOBS:-1000000}
work=${BENCH_WORK_DIR:-$(mktemp -d)}
mkdir -p "$work"

log() { echo "$peer: $*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

gearmand_bin=$(command -v gearmand || echo /usr/sbin/gearmand)
[[ -x $gearmand_bin ]] || fail "gearmand not found (apt-get install gearman-job-server)"

bin=$work/gearman_bench
log "compiling $bin"
c++ -O2 -std=c++20 -Wall -Wextra -o "$bin" "$here/gearman_bench.cpp" -lgearman ||
  fail "cannot compile gearman_bench.cpp (apt-get install libgearman-dev)"

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

# gearmand finds a job's unique id in a hash table of --hashtable-buckets chains
# (default 991), so with 100,000s of jobs queued every submit walks long chains
# and a 1M fill takes minutes; size the table (the documented knob) to the
# deepest queue of the run: a prime >= max(jobs, rss_jobs).
buckets=$(python3 -c '
import sys
n = max(int(a) for a in sys.argv[1:]) | 1
while any(n % d == 0 for d in range(3, int(n ** 0.5) + 1, 2)): n += 2
print(n)' "$jobs" "$rss_jobs")

# start_server: a fresh gearmand in the foreground (so we own its pid), in-memory queue.
port=
start_server() {
  local try
  for try in 1 2 3; do
    port=$(free_port)
    "$gearmand_bin" --port "$port" --listen 127.0.0.1 --log-file "$work/gearmand.log" \
      --pid-file "$work/gearmand.pid" --hashtable-buckets "$buckets" --verbose ERROR 2>>"$work/gearmand.stderr" &
    server_pid=$!
    local i
    for i in $(seq 100); do
      if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
      if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
      sleep 0.05
    done
    log "gearmand did not come up on port $port (try $try)"
    stop_server
  done
  fail "gearmand does not start; see $work/gearmand.log and $work/gearmand.stderr"
}

start_workers() {
  local count=$1 i
  for ((i = 0; i < count; i++)); do
    "$bin" worker "$port" 2>>"$work/worker.stderr" &
    worker_pids+=($!)
  done
  timeout 60 "$bin" waitworkers "$port" "$count" || fail "$count worker(s) did not register"
}

rate() { python3 -c "import sys; print(f'{int(sys.argv[1]) / float(sys.argv[2]):.1f}')" "$1" "$2"; }

check_empty() {
  local left
  left=$(timeout 30 "$bin" queued "$port") || fail "cannot read gearmand status"
  [[ $left == 0 ]] || fail "$left jobs left in gearmand after $1"
}

# End to end, 1 and 2 workers, then latency with 1 worker.
start_server
for workers in 1 2; do
  start_workers "$workers"
  log "e2e: $jobs jobs, $workers worker(s)"
  secs=$(timeout 600 "$bin" e2e "$port" "$jobs") || fail "e2e with $workers worker(s)"
  check_empty "e2e with $workers worker(s)"
  echo "FIGURE $peer e2e_${workers}w_jobs_per_s $(rate "$jobs" "$secs")"
  stop_workers
done
start_workers 1
log "latency: $lat_jobs jobs one at a time"
out=$(timeout 600 "$bin" lat "$port" "$lat_jobs") || fail "latency"
read -r p50 p99 <<<"$out"
[[ -n ${p99:-} ]] || fail "latency run printed nothing"
check_empty "latency"
echo "FIGURE $peer lat_p50_us $p50"
echo "FIGURE $peer lat_p99_us $p99"
stop_workers
stop_server

# Acknowledged enqueue, no worker, fresh server.
start_server
log "enqueue: $jobs background jobs"
secs=$(timeout 600 "$bin" enqueue "$port" "$jobs") || fail "enqueue"
queued=$(timeout 30 "$bin" queued "$port") || fail "cannot read gearmand status"
[[ $queued == "$jobs" ]] || fail "gearmand holds $queued jobs after enqueueing $jobs"
echo "FIGURE $peer enqueue_jobs_per_s $(rate "$jobs" "$secs")"
stop_server

# Memory with rss_jobs queued, no worker, fresh server.
start_server
log "rss: $rss_jobs background jobs"
# In rounds of 100,000 tasks per run_tasks: libgearman holds ~2.7 KB per task
# until its round ends.
timeout 1200 "$bin" enqueue "$port" "$rss_jobs" 100000 >/dev/null || fail "rss enqueue"
queued=$(timeout 30 "$bin" queued "$port") || fail "cannot read gearmand status"
[[ $queued == "$rss_jobs" ]] || fail "gearmand holds $queued jobs after enqueueing $rss_jobs"
rss_kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status")
echo "FIGURE $peer rss_1m_mb $(python3 -c "import sys; print(f'{int(sys.argv[1]) / 1024:.1f}')" "$rss_kb")"
stop_server

version=$("$gearmand_bin" --version 2>&1 | awk '/gearmand/ {print $2; exit}')
echo "NOTE $peer gearmand $version (in-memory builtin queue, default 4 I/O threads, --hashtable-buckets $buckets since the default 991 makes deep queues quadratic) via libgearman C client: e2e = gearman_client_add_task x N then one gearman_client_run_tasks (all concurrent, complete callback counts results); workers = separate processes, gearman_worker_add_function + gearman_worker_work; enqueue/rss = add_task_background + run_tasks (JOB_CREATED = ack); latency = gearman_client_do one at a time"
