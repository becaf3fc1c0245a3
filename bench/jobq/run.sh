#!/usr/bin/env bash
# The jobq side of the benchmark: starts its own brokers and workers on
# loopback (ephemeral ports), drives them with jobq-bench (the C++ client
# library) and prints, on stdout only,
#
#   FIGURE <system> <key> <value>     (value: a plain number)
#   NOTE <system> <text>
#
# for systems jobq-memory (--store memory) and jobq-sqlite (the default
# durable store). Diagnostics go to stderr. Every wait has a timeout; a
# workload that fails or times out ends the run with a message and a
# non-zero status. Everything started here is stopped on exit.
#
# Environment (defaults in brackets; BENCH_QUICK=1 makes every count small):
#   JOBQ_BUILD_DIR      build tree with the binaries [build-release]
#   BENCH_JOBS          jobs per throughput run [100000; quick 2000]
#   BENCH_LATENCY_JOBS  jobs of the latency run [2000; quick 200]
#   BENCH_RSS_JOBS      jobs queued before reading the broker's RSS [1000000; quick 2000]
#   BENCH_PREFETCH      worker --prefetch of the throughput runs [1000]
#   BENCH_SUM_SQUARES_N n of the cpu_pool_speedup jobs [20000000; quick 2000000]
#   BENCH_WORK_DIR      scratch directory, also holds the SQLite files [mktemp -d]
#   BENCH_QUICK         1: small counts everywhere, for CI [0]
set -euo pipefail
cd "$(dirname "$0")/../.."

quick=${BENCH_QUICK:-0}
if [[ "$quick" == 1 ]]; then
  jobs=${BENCH_JOBS:-2000}
  latency_jobs=${BENCH_LATENCY_JOBS:-200}
  rss_jobs=${BENCH_RSS_JOBS:-2000}
  depths=(1000 10000)
  worker_counts=(1 2)
  idle_workers=50
  idle_seconds=3
  sum_squares_n=${BENCH_SUM_SQUARES_N:-2000000}
  cpu_rounds=2
  sleep_jobs=100
else
  jobs=${BENCH_JOBS:-100000}
  latency_jobs=${BENCH_LATENCY_JOBS:-2000}
  rss_jobs=${BENCH_RSS_JOBS:-1000000}
  depths=(1000 10000 100000 1000000)
  worker_counts=(1 2 4 8)
  idle_workers=1000
  idle_seconds=10
  # About 25 ms a job here: short enough that dispatch and a busy machine
  # weigh on the speed-up; a larger n shows the pool better.
  sum_squares_n=${BENCH_SUM_SQUARES_N:-20000000}
  cpu_rounds=5
  sleep_jobs=1000
fi
prefetch=${BENCH_PREFETCH:-1000}
bin=${JOBQ_BUILD_DIR:-build-release}

log() { echo "jobq-bench: $*" >&2; }
die() {
  log "$*"
  exit 1
}

for program in broker/jobq-broker worker/jobq-worker producer/jobq bench/jobq/jobq-bench \
  bench/jobq/jobq-bench-idle-workers; do
  [[ -x "$bin/$program" ]] || die "$bin/$program is missing: build it first (JOBQ_BUILD_DIR=$bin)"
done
for number in "$jobs" "$latency_jobs" "$rss_jobs" "$prefetch" "$sum_squares_n"; do
  [[ "$number" =~ ^[0-9]+$ ]] || die "counts must be whole numbers, not \"$number\""
done

if [[ -n "${BENCH_WORK_DIR:-}" ]]; then
  work=$BENCH_WORK_DIR
  mkdir -p "$work"
  keep_work=1
else
  work=$(mktemp -d)
  keep_work=0
fi
work=$(cd "$work" && pwd)  # brokers and workers get absolute paths

# --- processes -------------------------------------------------------------

pids=()         # everything still running that this script started
worker_pids=()  # the workers of the current broker

forget() {
  local kept=() pid
  for pid in "${pids[@]}"; do [[ "$pid" == "$1" ]] || kept+=("$pid"); done
  pids=("${kept[@]}")
}

# stop PID: SIGTERM (a worker drains, a broker stops), SIGKILL after 10 s.
stop() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget "$pid"
}

cleanup() {
  local pid
  # TERM first: `timeout` passes it on to the jobq-bench it runs.
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  local alive
  for _ in $(seq 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ "$keep_work" == 0 ]]; then rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }

# Seconds allowed for a workload of N jobs: generous, only there so that a
# stuck run ends instead of hanging.
budget() { echo $((120 + $1 / 1000)); }

# --- broker and workers ------------------------------------------------------

run_dir=""
broker_pid=""
frontend=""
backend=""
admin=""

ready_field() { sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\1/p" "$run_dir/ready"; }

# start_broker RUN_NAME BROKER_ARGS...: a fresh broker with its own data dir.
start_broker() {
  run_dir="$work/$1"
  shift
  rm -rf "$run_dir"
  mkdir -p "$run_dir"
  "$bin/broker/jobq-broker" --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' \
    --admin 127.0.0.1:0 --ready-file "$run_dir/ready" --data-dir "$run_dir/data" "$@" \
    --log-level warning 2>"$run_dir/broker.log" &
  broker_pid=$!
  pids+=("$broker_pid")
  for _ in $(seq 100); do
    if [[ -s "$run_dir/ready" ]]; then
      frontend=$(ready_field frontend)
      backend=$(ready_field backend)
      admin=$(ready_field admin)
      [[ -n "$frontend" && -n "$backend" && -n "$admin" ]] && return 0
    fi
    kill -0 "$broker_pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "$run_dir/broker.log" >&2 || true
  die "the broker of $(basename "$run_dir") did not start within 10 s"
}

stop_broker() {
  local pid
  for pid in "${worker_pids[@]}"; do stop "$pid"; done
  worker_pids=()
  if [[ -n "$broker_pid" ]]; then stop "$broker_pid"; fi
  broker_pid=""
  rm -rf "$run_dir/data"  # a million-job SQLite file is large; the logs stay
}

# start_worker NAME WORKER_ARGS...
start_worker() {
  local name=$1
  shift
  "$bin/worker/jobq-worker" --broker "$backend" --name "$name" --log-level warning "$@" \
    2>>"$run_dir/worker-$name.log" &
  worker_pids+=($!)
  pids+=($!)
}

active_workers() {
  timeout 10 "$bin/producer/jobq" workers --admin "$admin" --json 2>/dev/null |
    grep -o '"state":"active"' | wc -l || true
}

# wait_workers N [SECONDS]: until the broker lists N active workers.
wait_workers() {
  local want=$1 seconds=${2:-15} deadline count
  deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    count=$(active_workers)
    ((count >= want)) && return 0
    kill -0 "$broker_pid" 2>/dev/null || die "the broker of $(basename "$run_dir") died"
    sleep 0.2
  done
  die "only ${count:-0} of $want workers registered within $seconds s ($(basename "$run_dir"))"
}

queued_jobs() {
  timeout 10 "$bin/producer/jobq" queues --admin "$admin" --json 2>/dev/null |
    sed -nE 's/.*"name":"default","queued":"([0-9]+)".*/\1/p' || true
}

jobq_admin() {
  timeout 10 "$bin/producer/jobq" "$@" --admin "$admin" >/dev/null ||
    die "jobq $* failed ($(basename "$run_dir"))"
}

# bench SYSTEM WHAT JOBQ_BENCH_ARGS...: runs jobq-bench against the current
# broker, its output in $run_dir/bench.out; dies if it fails or runs out of
# time. It runs in the background and is waited for, so that a SIGTERM to
# this script is acted on at once (bash defers traps while a foreground
# command runs); for the same reason it is never called inside $(...).
bench() {
  local system=$1 what=$2 count=1 arg prev="" pid status=0
  shift 2
  for arg in "$@"; do
    [[ "$prev" == --jobs ]] && count=$arg
    prev=$arg
  done
  timeout -k 5 "$(budget "$count")" "$bin/bench/jobq/jobq-bench" --broker "$frontend" \
    --system "$system" "$@" >"$run_dir/bench.out" &
  pid=$!
  pids+=("$pid")
  wait "$pid" || status=$?
  forget "$pid"
  if ((status == 124)); then die "$system: $what timed out after $(budget "$count") s"; fi
  ((status == 0)) || die "$system: $what failed (jobq-bench exit status $status)"
}

# figure KEY: the value the last jobq-bench printed for KEY.
figure() {
  local value
  value=$(awk -v key="$1" '$1 == "FIGURE" && $3 == key { print $4 }' "$run_dir/bench.out")
  [[ -n "$value" ]] || die "jobq-bench printed no $1"
  echo "$value"
}

emit() { echo "FIGURE $1 $2 $3"; }
note() { echo "NOTE $1 $2"; }

# --- workloads ---------------------------------------------------------------

# e2e_throughput SYSTEM STORE_ARGS: emits the e2e figures for each worker
# count in $e2e_counts (one worker process per count).
e2e_throughput() {
  local system=$1 store_args=$2 count value i
  for count in "${e2e_counts[@]}"; do
    log "$system: e2e, $jobs jobs, $count worker(s)"
    # shellcheck disable=SC2086  # store_args is a word list on purpose
    start_broker "$system-e2e-$count" $store_args
    for ((i = 1; i <= count; i++)); do
      start_worker "w$i" --prefetch "$prefetch" --cpu-procs 0
    done
    wait_workers "$count"
    bench "$system" "e2e with $count workers" --mode e2e --jobs "$jobs"
    value=$(figure jobs_per_s)
    stop_broker
    if ((count <= 2)); then emit "$system" "e2e_${count}w_jobs_per_s" "$value"; fi
    if [[ "$system" == jobq-memory ]]; then emit "$system" "workers_${count}_jobs_per_s" "$value"; fi
  done
}

enqueue_throughput() {
  local system=$1 store_args=$2 value
  log "$system: enqueue, $jobs jobs, no worker"
  # shellcheck disable=SC2086
  start_broker "$system-enqueue" $store_args
  bench "$system" enqueue --mode enqueue --jobs "$jobs"
  value=$(figure jobs_per_s)
  stop_broker
  emit "$system" enqueue_jobs_per_s "$value"
}

latency() {
  local system=$1 store_args=$2
  log "$system: latency, $latency_jobs jobs one at a time"
  # shellcheck disable=SC2086
  start_broker "$system-latency" $store_args
  start_worker w1 --cpu-procs 0
  wait_workers 1
  bench "$system" latency --mode latency --jobs "$latency_jobs"
  local key value
  for key in lat_p50_us lat_p99_us lat_mean_us; do
    value=$(figure "$key")
    emit "$system" "$key" "$value"
  done
  stop_broker
}

broker_rss() {
  local system=$1 store_args=$2 kb
  log "$system: broker RSS after $rss_jobs queued jobs"
  # shellcheck disable=SC2086
  start_broker "$system-rss" $store_args
  bench "$system" "enqueue of $rss_jobs" --mode enqueue --jobs "$rss_jobs"
  kb=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/$broker_pid/status")
  stop_broker
  [[ -n "$kb" ]] || die "$system: no VmRSS for the broker"
  emit "$system" rss_1m_mb "$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')"
}

# Throughput of $jobs noop jobs that have `depth` jobs queued behind them.
queue_depth() {
  local system=jobq-memory depth=$1 bench_pid start seconds status=0 queued=""
  log "$system: $jobs jobs ahead of $depth queued ones"
  start_broker "$system-depth-$depth" --store memory
  start_worker w1 --prefetch "$prefetch" --cpu-procs 0
  wait_workers 1
  # The worker is registered and idle while the queue fills; resuming the
  # queue starts the clock.
  jobq_admin pause default
  timeout -k 5 "$(budget $((jobs + depth)))" "$bin/bench/jobq/jobq-bench" --broker "$frontend" \
    --system "$system" --mode e2e --jobs "$jobs" >"$run_dir/e2e.out" &
  bench_pid=$!
  pids+=("$bench_pid")
  for _ in $(seq 600); do
    queued=$(queued_jobs)
    [[ "$queued" == "$jobs" ]] && break
    kill -0 "$bench_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ "$queued" == "$jobs" ]] || die "$system: the first $jobs jobs were not all queued (${queued:-0})"
  bench "$system" "enqueue of $depth" --mode enqueue --jobs "$depth"
  # The clock starts when `jobq resume` returns: the CLI's own start-up
  # (~30 ms) would weigh more than the few ms of dispatch before its exit.
  jobq_admin resume default
  start=$(now)
  wait "$bench_pid" || status=$?
  seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
  forget "$bench_pid"
  ((status == 0)) || die "$system: e2e ahead of $depth queued jobs failed (exit status $status)"
  stop_broker
  emit "$system" "depth_${depth}_jobs_per_s" \
    "$(awk -v n="$jobs" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')"
}

# Broker CPU (percent of one core) while `count` idle workers are connected.
idle_workers() {
  local system=jobq-memory count=$1 ticks_per_s before after start seconds idle_pid
  log "$system: broker CPU with $count idle workers, over $idle_seconds s"
  start_broker "$system-idle-$count" --store memory
  "$bin/bench/jobq/jobq-bench-idle-workers" --broker "$backend" --workers "$count" \
    2>"$run_dir/idle-workers.log" &
  idle_pid=$!
  pids+=("$idle_pid")
  wait_workers "$count" 60
  sleep 2  # the burst of HELLOs is over
  ticks_per_s=$(getconf CLK_TCK)
  cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$broker_pid/stat"; }
  before=$(cpu_ticks)
  start=$(now)
  sleep "$idle_seconds"
  after=$(cpu_ticks)
  seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { print b - a }')
  local still
  still=$(active_workers)
  ((still == count)) || die "$system: $still of $count idle workers still active after measuring"
  stop "$idle_pid"
  stop_broker
  emit "$system" "idle_${count}_workers_cpu_pct" \
    "$(awk -v t=$((after - before)) -v hz="$ticks_per_s" -v s="$seconds" \
      'BEGIN { printf "%.2f", 100 * t / hz / s }')"
}

# Sets `best` to the best of $cpu_rounds: wall seconds of 4 sum_squares on
# `procs` CPU children. (Not a $(...) function: processes started in a
# subshell would escape the cleanup.)
cpu_pool_seconds() {
  local procs=$1 round value
  best=""
  start_broker "jobq-memory-cpu-$procs" --store memory
  start_worker "cpu$procs" --cpu-procs "$procs"
  wait_workers 1
  for ((round = 0; round < cpu_rounds; round++)); do
    bench jobq-memory "sum_squares on $procs children" --mode e2e --jobs 4 \
      --task sum_squares --payload "{\"n\":$sum_squares_n}"
    value=$(figure jobs_per_s)
    best=$(awk -v best="$best" -v v="$value" \
      'BEGIN { s = 4 / v; print (best == "" || s < best) ? s : best }')
  done
  stop_broker
}

cpu_pool() {
  local one two
  log "jobq-memory: 4 sum_squares n=$sum_squares_n, 1 then 2 CPU children"
  cpu_pool_seconds 1
  one=$best
  cpu_pool_seconds 2
  two=$best
  emit jobq-memory cpu_pool_1proc_s "$(printf '%.3f' "$one")"
  emit jobq-memory cpu_pool_2proc_s "$(printf '%.3f' "$two")"
  emit jobq-memory cpu_pool_speedup "$(awk -v a="$one" -v b="$two" 'BEGIN { printf "%.2f", a / b }')"
}

io_pool() {
  local value
  log "jobq-memory: $sleep_jobs sleep(1 s) jobs on $sleep_jobs I/O threads"
  start_broker jobq-memory-io --store memory
  start_worker io --io-threads "$sleep_jobs" --prefetch 0 --cpu-procs 0
  wait_workers 1
  bench jobq-memory "$sleep_jobs sleeps" --mode e2e --jobs "$sleep_jobs" \
    --task sleep --payload '{"seconds":1}'
  value=$(figure jobs_per_s)
  stop_broker
  emit jobq-memory "io_pool_${sleep_jobs}_sleep_s" \
    "$(awk -v n="$sleep_jobs" -v v="$value" 'BEGIN { printf "%.3f", n / v }')"
}

# --- the run -------------------------------------------------------------------

started=$(now)
cores=$(nproc)
common_note="driven by jobq-bench (bench/jobq/jobq_bench.cpp, the C++ client library: up to 1000 jobs per SUBMIT, one client, noop jobs unless said otherwise); broker, workers and client on one machine over loopback TCP, $cores cores"
worker_note="throughput runs: jobq-worker --prefetch $prefetch --cpu-procs 0 (I/O threads: default, 2 x cores), registered before the clock starts; e2e = first submit to last outcome back at the client; enqueue = first submit to last acknowledgement, no worker; latency: one job at a time, submit to outcome, $latency_jobs jobs after 100 unmeasured, worker with default --prefetch 0; rss_1m_mb: broker VmRSS after $rss_jobs acknowledged jobs, no worker"
if [[ "$quick" == 1 ]]; then
  quick_note="BENCH_QUICK=1: small counts ($jobs jobs per run, $rss_jobs for rss_1m_mb); figures are smoke checks, not measurements"
fi

e2e_counts=(1 2)
for system in jobq-memory jobq-sqlite; do
  if [[ "$system" == jobq-memory ]]; then
    store_args="--store memory"
    note "$system" "broker --store memory (not durable)"
    e2e_counts=("${worker_counts[@]}")
    [[ " ${e2e_counts[*]} " == *" 2 "* ]] || e2e_counts+=(2)
  else
    store_args=""
    note "$system" "broker default store: SQLite in $work (filesystem $(stat -f -c %T "$work")), WAL, synchronous=FULL, group commit; an ack leaves the broker only after its commit"
    e2e_counts=(1 2)
  fi
  note "$system" "$common_note"
  note "$system" "$worker_note"
  if [[ -n "${quick_note:-}" ]]; then note "$system" "$quick_note"; fi
  e2e_throughput "$system" "$store_args"
  enqueue_throughput "$system" "$store_args"
  latency "$system" "$store_args"
  broker_rss "$system" "$store_args"
done

note jobq-memory "workers_W_jobs_per_s: e2e of $jobs jobs with W worker processes (the e2e_1w/e2e_2w runs are workers_1/workers_2)"
note jobq-memory "depth_N_jobs_per_s: 1 worker registered, queue paused; $jobs e2e jobs submitted, then N more queued behind them (enqueue mode); clock from the return of 'jobq resume' to the last of the $jobs outcomes, so the N stay queued the whole time"
for depth in "${depths[@]}"; do queue_depth "$depth"; done
note jobq-memory "idle_N_workers_cpu_pct: broker utime+stime over $idle_seconds s, percent of one core, with N idle worker sessions (jobq-bench-idle-workers: one DEALER each, HELLO with an I/O pool of capacity 0, a heartbeat every interval the WELCOME gives) all listed active by 'jobq workers' before and after"
idle_workers "$idle_workers"
note jobq-memory "cpu_pool_speedup: 4 sum_squares n=$sum_squares_n (e2e, one submit) on a worker with --cpu-procs 1 divided by --cpu-procs 2, each the best of $cpu_rounds rounds"
cpu_pool
note jobq-memory "io_pool_N_sleep_s: N sleep jobs of 1 s on one worker with --io-threads N --prefetch 0, first submit to last outcome"
io_pool
log "done in $(awk -v a="$started" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s"
