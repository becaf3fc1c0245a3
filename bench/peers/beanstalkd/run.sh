#!/usr/bin/env bash
# Benchmark of beanstalkd (Debian's package) driven over its text protocol on
# raw TCP with pipelining; see the bench contract in the brief of bench/run.
# Prints FIGURE/NOTE lines on stdout, progress on stderr. What it shares with
# the other peers is in ../common.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=beanstalkd

# shellcheck source=SCRIPTDIR/../common.sh
source "$here/../common.sh"

# Most reserves one worker or the producer sends in one round trip.
reserve_batch=64

beanstalkd_bin=$(command -v beanstalkd || echo /usr/bin/beanstalkd)
[[ -x $beanstalkd_bin ]] || fail "beanstalkd not found (apt-get install beanstalkd)"

bin=$work/beanstalk_bench
log "compiling $bin"
c++ -O2 -std=c++20 -Wall -Wextra -pthread -o "$bin" "$here/beanstalk_bench.cpp" ||
  fail "cannot compile beanstalk_bench.cpp"

# launch_server (for start_server): a fresh beanstalkd, no -b: no binlog,
# jobs only in memory (its default).
server_name=beanstalkd
server_logs=$work/beanstalkd.stderr
launch_server() {
  "$beanstalkd_bin" -l 127.0.0.1 -p "$port" 2>>"$server_logs" &
  server_pid=$!
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

# check_drained WHAT (for e2e_and_latency): no job left in either tube.
check_drained() {
  check_tube jobs 0 "after $1"
  check_tube results 0 "after $1"
}

# check_tube TUBE READY: fails unless TUBE holds READY ready and no reserved jobs.
check_tube() {
  local counts
  counts=$(timeout 30 "$bin" count "$port" "$1") || fail "cannot read stats of tube $1"
  counts=${counts% *}
  [[ $counts == "$2 0" ]] || fail "tube $1 holds '$counts' (ready reserved) jobs, expected '$2 0' ($3)"
}

# End to end, 1 and 2 workers, then latency with 1 worker.
e2e_and_latency "$reserve_batch"

# Acknowledged enqueue, no worker, fresh server.
start_server
log "enqueue: $jobs pipelined puts"
secs=$(timeout 600 "$bin" enqueue "$port" "$jobs") || fail "enqueue"
check_tube jobs "$jobs" "after enqueue"
figure enqueue_jobs_per_s "$(rate "$jobs" "$secs")"
stop_server

# Memory with rss_jobs queued, no worker, fresh server.
start_server
log "rss: $rss_jobs pipelined puts"
timeout 1200 "$bin" enqueue "$port" "$rss_jobs" >/dev/null || fail "rss enqueue"
check_tube jobs "$rss_jobs" "after rss enqueue"
rss_mb=$(server_rss_mb)
figure rss_1m_mb "$rss_mb"
stop_server

version=$("$beanstalkd_bin" -v 2>&1 | awk '{print $2; exit}')
echo "NOTE $peer beanstalkd $version (in memory: no -b binlog, its default) via its text protocol on raw TCP from C++, pipelined: producer writes all puts (writer thread, INSERTED read on another thread) while a second connection reserves+deletes results from tube results; workers = separate processes, each round trip sends delete+put(result) for the jobs of the last round plus up to $reserve_batch reserve-with-timeout 0 (twice what was ready last time; one blocking reserve when none was); latency = put, then reserve of its result, one at a time"
finished=1
