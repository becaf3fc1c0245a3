#!/usr/bin/env bash
# Benchmark of gearmand (Debian's gearman-job-server) driven through its C
# client library libgearman; see the bench contract in the brief of bench/run.
# Prints FIGURE/NOTE lines on stdout, progress on stderr. What it shares with
# the other peers is in ../common.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=gearman

# shellcheck source=SCRIPTDIR/../common.sh
source "$here/../common.sh"

gearmand_bin=$(command -v gearmand || echo /usr/sbin/gearmand)
[[ -x $gearmand_bin ]] || fail "gearmand not found (apt-get install gearman-job-server)"

bin=$work/gearman_bench
log "compiling $bin"
c++ -O2 -std=c++20 -Wall -Wextra -o "$bin" "$here/gearman_bench.cpp" -lgearman ||
  fail "cannot compile gearman_bench.cpp (apt-get install libgearman-dev)"

# gearmand finds a job's unique id in a hash table of --hashtable-buckets chains
# (default 991), so with 100,000s of jobs queued every submit walks long chains
# and a 1M fill takes minutes; size the table (the documented knob) to the
# deepest queue of the run: a prime >= max(jobs, rss_jobs).
buckets=$(python3 -c '
import sys
n = max(int(a) for a in sys.argv[1:]) | 1
while any(n % d == 0 for d in range(3, int(n ** 0.5) + 1, 2)): n += 2
print(n)' "$jobs" "$rss_jobs")

# launch_server (for start_server): a fresh gearmand in the foreground (so
# we own its pid), in-memory queue.
server_name=gearmand
server_logs="$work/gearmand.log and $work/gearmand.stderr"
launch_server() {
  "$gearmand_bin" --port "$port" --listen 127.0.0.1 --log-file "$work/gearmand.log" \
    --pid-file "$work/gearmand.pid" --hashtable-buckets "$buckets" --verbose ERROR 2>>"$work/gearmand.stderr" &
  server_pid=$!
}

start_workers() {
  local count=$1 i
  for ((i = 0; i < count; i++)); do
    "$bin" worker "$port" 2>>"$work/worker.stderr" &
    worker_pids+=($!)
  done
  timeout 60 "$bin" waitworkers "$port" "$count" || fail "$count worker(s) did not register"
}

# check_drained WHAT (for e2e_and_latency): no job left in gearmand.
check_drained() {
  local left
  left=$(timeout 30 "$bin" queued "$port") || fail "cannot read gearmand status"
  [[ $left == 0 ]] || fail "$left jobs left in gearmand after $1"
}

# End to end, 1 and 2 workers, then latency with 1 worker.
# shellcheck disable=SC2119  # gearman_bench e2e takes no more arguments
e2e_and_latency

# Acknowledged enqueue, no worker, fresh server.
start_server
log "enqueue: $jobs background jobs"
secs=$(timeout 600 "$bin" enqueue "$port" "$jobs") || fail "enqueue"
queued=$(timeout 30 "$bin" queued "$port") || fail "cannot read gearmand status"
[[ $queued == "$jobs" ]] || fail "gearmand holds $queued jobs after enqueueing $jobs"
figure enqueue_jobs_per_s "$(rate "$jobs" "$secs")"
stop_server

# Memory with rss_jobs queued, no worker, fresh server.
start_server
log "rss: $rss_jobs background jobs"
# In rounds of 100,000 tasks per run_tasks: libgearman holds ~2.7 KB per task
# until its round ends.
timeout 1200 "$bin" enqueue "$port" "$rss_jobs" 100000 >/dev/null || fail "rss enqueue"
queued=$(timeout 30 "$bin" queued "$port") || fail "cannot read gearmand status"
[[ $queued == "$rss_jobs" ]] || fail "gearmand holds $queued jobs after enqueueing $rss_jobs"
rss_mb=$(server_rss_mb)
figure rss_1m_mb "$rss_mb"
stop_server

version=$("$gearmand_bin" --version 2>&1 | awk '/gearmand/ {print $2; exit}')
echo "NOTE $peer gearmand $version (in-memory builtin queue, default 4 I/O threads, --hashtable-buckets $buckets since the default 991 makes deep queues quadratic) via libgearman C client: e2e = gearman_client_add_task x N then one gearman_client_run_tasks (all concurrent, complete callback counts results); workers = separate processes, gearman_worker_add_function + gearman_worker_work; enqueue/rss = add_task_background + run_tasks (JOB_CREATED = ack); latency = gearman_client_do one at a time"
finished=1
