#!/usr/bin/env bash
# The Python side of the benchmark (issue 16): jobq.Executor as producer and
# the Python worker (python3 -m jobq.worker), with the real broker, C++
# worker and CLI on loopback (ephemeral ports), for the table beside Celery
# and RQ. Prints, on stdout only,
#
#   FIGURE <system> <key> <value>     (value: a plain number)
#   NOTE <system> <text>
#
# for systems jobq-py-memory (broker --store memory) and jobq-py-sqlite (the
# default durable store), as bench/jobq/run.sh does for jobq-memory and
# jobq-sqlite. Keys:
#
#   executor_cpp_jobs_per_s       Executor.map of noop, 1 C++ worker
#   cli_pyworker_jobs_per_s       `jobq submit --file - --wait` (the C++ CLI), 1 Python worker
#   executor_pyworker_jobs_per_s  Executor.map of noop, 1 Python worker: Python at both ends, as Celery and RQ
#   lat_p50_us, lat_p99_us        Executor.submit(noop).result() one at a time, 1 Python worker
#   async_sleep_<N>_s             N jobs of `await asyncio.sleep(1)` at once on 1 Python worker
#   <workload>_cpu_us_<process>   CPU (user + system) per job of the broker, the
#                                 worker and the producer over the measured runs
#
# Diagnostics go to stderr. Every wait has a timeout; a workload that fails
# or times out ends the run with a message and a non-zero status.
# Everything started here is stopped on exit.
#
# Environment (defaults in brackets; BENCH_QUICK=1 makes every count small):
#   JOBQ_BUILD_DIR      build tree with the binaries and python/ [build-release]
#   BENCH_JOBS          jobs per throughput run [100000; quick 2000]
#   BENCH_PY_RUNS       measured runs per throughput figure, the median printed [3; quick 1]
#   BENCH_LATENCY_JOBS  jobs of the latency run [2000; quick 200]
#   BENCH_PY_SLEEPERS   jobs of the asyncio.sleep(1) figure [10000; quick 200]
#   BENCH_PREFETCH      workers' --prefetch of the throughput runs [1000]
#   BENCH_WORK_DIR      scratch directory, also holds the SQLite files [mktemp -d]
#   BENCH_QUICK         1: small counts everywhere, for CI [0]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."

quick=${BENCH_QUICK:-0}
if [[ "$quick" == 1 ]]; then
  jobs=${BENCH_JOBS:-2000}
  runs=${BENCH_PY_RUNS:-1}
  latency_jobs=${BENCH_LATENCY_JOBS:-200}
  sleepers=${BENCH_PY_SLEEPERS:-200}
else
  jobs=${BENCH_JOBS:-100000}
  runs=${BENCH_PY_RUNS:-3}
  latency_jobs=${BENCH_LATENCY_JOBS:-2000}
  sleepers=${BENCH_PY_SLEEPERS:-10000}
fi
prefetch=${BENCH_PREFETCH:-1000}
bin=${JOBQ_BUILD_DIR:-build-release}
bin=$(cd "$bin" && pwd)

log() { echo "python-bench: $*" >&2; }
die() {
  log "$*"
  exit 1
}

for program in broker/jobq-broker worker/jobq-worker producer/jobq; do
  [[ -x "$bin/$program" ]] || die "$bin/$program is missing: build it first (JOBQ_BUILD_DIR=$bin)"
done
[[ -f "$bin/python/jobq/wire_pb2.py" ]] ||
  die "$bin/python/jobq is not staged (the build's jobq_python target makes it)"
for number in "$jobs" "$runs" "$latency_jobs" "$sleepers" "$prefetch"; do
  [[ "$number" =~ ^[0-9]+$ ]] || die "counts must be whole numbers, not \"$number\""
done

# Debian's python3 (python3-zmq and python3-protobuf are Debian's), not
# whatever python3 comes first on PATH. The package as the build staged it,
# and this directory for bench_tasks; no __pycache__ in the source tree.
py=/usr/bin/python3
[[ -x $py ]] || die "$py is missing (apt-get install python3 python3-zmq python3-protobuf)"
export PYTHONPATH="$bin/python:$here"
export PYTHONDONTWRITEBYTECODE=1
"$py" -c 'import jobq, zmq, google.protobuf' 2>/dev/null ||
  die "$py cannot import jobq (PYTHONPATH=$PYTHONPATH), zmq or google.protobuf"

if [[ -n "${BENCH_WORK_DIR:-}" ]]; then
  work=$BENCH_WORK_DIR
  mkdir -p "$work"
  keep_work=1
else
  work=$(mktemp -d)
  keep_work=0
fi
work=$(cd "$work" && pwd)

# --- processes -------------------------------------------------------------

finished=""     # set as the last step: the EXIT trap then removes the scratch
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
  local pid alive
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
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
  # A scratch directory of our own goes when all went well; kept for its
  # logs otherwise.
  if [[ "$keep_work" == 0 ]]; then
    if [[ -n "$finished" ]]; then rm -rf "$work"; else log "logs kept in $work"; fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Seconds allowed for a workload of N jobs: generous (a Python producer on a
# busy machine can fall to a few thousand jobs/s), only there so that a stuck
# run ends instead of hanging.
budget() { echo $((120 + $1 / 200)); }

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
  rm -rf "$run_dir/data"
}

# start_cpp_worker NAME ARGS... / start_py_worker NAME ARGS...: one worker
# on the current broker; its pid in worker_pid.
worker_pid=""
start_cpp_worker() {
  local name=$1
  shift
  "$bin/worker/jobq-worker" --broker "$backend" --name "$name" --log-level warning "$@" \
    2>>"$run_dir/worker-$name.log" &
  worker_pid=$!
  worker_pids+=("$worker_pid")
  pids+=("$worker_pid")
}
start_py_worker() {
  local name=$1
  shift
  "$py" -m jobq.worker --broker "$backend" --name "$name" --tasks bench_tasks \
    --log-level warning "$@" 2>>"$run_dir/worker-$name.log" &
  worker_pid=$!
  worker_pids+=("$worker_pid")
  pids+=("$worker_pid")
}

active_workers() {
  timeout 10 "$bin/producer/jobq" workers --admin "$admin" --json 2>/dev/null |
    grep -o '"state":"active"' | wc -l || true
}

# wait_workers N [SECONDS]: until the broker lists N active workers.
wait_workers() {
  local want=$1 seconds=${2:-30} deadline count
  deadline=$((SECONDS + seconds))
  while ((SECONDS < deadline)); do
    count=$(active_workers)
    ((count >= want)) && return 0
    kill -0 "$broker_pid" 2>/dev/null || die "the broker of $(basename "$run_dir") died"
    kill -0 "$worker_pid" 2>/dev/null ||
      die "the worker of $(basename "$run_dir") exited: $(tail -3 "$run_dir"/worker-*.log)"
    sleep 0.2
  done
  die "only ${count:-0} of $want workers registered within $seconds s ($(basename "$run_dir"))"
}

# drive WHAT JOBS DRIVER_ARGS...: driver.py against the current broker, its
# stdout in $run_dir/driver.out; dies if it fails or runs out of time. In the
# background and waited for, so that a SIGTERM to this script is acted on at
# once (bash defers traps while a foreground command runs).
drives=0
drive() {
  local what=$1 count=$2 pid status=0 driver_log
  shift 2
  drives=$((drives + 1))
  driver_log=$run_dir/driver-$drives.log
  timeout -k 5 "$(budget "$count")" "$py" "$here/driver.py" "$@" >"$run_dir/driver.out" \
    2>"$driver_log" &
  pid=$!
  pids+=("$pid")
  wait "$pid" || status=$?
  forget "$pid"
  sed 's/^/  /' "$driver_log" >&2
  if ((status == 124)); then
    # What the broker still holds, for whoever reads the logs kept.
    timeout 10 "$bin/producer/jobq" queues --admin "$admin" >&2 || true
    timeout 10 "$bin/producer/jobq" workers --admin "$admin" >&2 || true
    die "$what timed out after $(budget "$count") s (driver.py's threads at the time: $driver_log)"
  fi
  ((status == 0)) || die "$what failed (driver.py exit status $status)"
}

# result KEY: the value the last driver.py printed for KEY.
result() {
  local value
  value=$(awk -v key="$1" '$1 == key { print $2 }' "$run_dir/driver.out")
  [[ -n "$value" ]] || die "driver.py printed no $1 ($(basename "$run_dir"))"
  echo "$value"
}

emit() { echo "FIGURE $1 $2 $3"; }
note() { echo "NOTE $1 $2"; }

# emit_cpu SYSTEM WORKLOAD: the CPU per job driver.py measured.
emit_cpu() {
  local process
  for process in broker worker producer; do
    emit "$1" "${2}_cpu_us_$process" "$(result "cpu_us_per_job_$process")"
  done
}

# --- workloads ---------------------------------------------------------------

# Executor.map of $jobs noop jobs on one C++ worker, configured as the C++
# rows' throughput runs.
executor_cpp() {
  local system=$1 store_args=$2
  log "$system: Executor.map, $jobs noop jobs x $runs, 1 C++ worker"
  # shellcheck disable=SC2086  # store_args is a word list on purpose
  start_broker "$system-executor-cpp" $store_args
  start_cpp_worker cpp --prefetch "$prefetch" --cpu-procs 0
  wait_workers 1
  drive "$system: Executor.map to the C++ worker" $((jobs * (runs + 1))) map --broker "$frontend" \
    --jobs "$jobs" --runs "$runs" --pids "broker=$broker_pid,worker=$worker_pid"
  emit "$system" executor_cpp_jobs_per_s "$(result e2e_jobs_per_s)"
  emit_cpu "$system" executor_cpp
  stop_broker
}

# The C++ CLI, then Executor.map, each feeding one Python worker noop jobs.
pyworker_noop() {
  local system=$1 store_args=$2
  log "$system: CLI then Executor.map, $jobs noop jobs x $runs, 1 Python worker"
  # shellcheck disable=SC2086
  start_broker "$system-pyworker" $store_args
  start_py_worker py --prefetch "$prefetch" --cpu-procs 0
  wait_workers 1
  drive "$system: the CLI to the Python worker" $((jobs * (runs + 1))) cli --cli "$bin/producer/jobq" \
    --broker "$frontend" --line '{"task":"noop"}' --jobs "$jobs" --runs "$runs" --work "$run_dir" \
    --pids "broker=$broker_pid,worker=$worker_pid"
  emit "$system" cli_pyworker_jobs_per_s "$(result e2e_jobs_per_s)"
  emit_cpu "$system" cli_pyworker
  drive "$system: Executor.map to the Python worker" $((jobs * (runs + 1))) map --broker "$frontend" \
    --jobs "$jobs" --runs "$runs" --pids "broker=$broker_pid,worker=$worker_pid"
  emit "$system" executor_pyworker_jobs_per_s "$(result e2e_jobs_per_s)"
  emit_cpu "$system" executor_pyworker
  stop_broker
}

# One job at a time, Python at both ends; the worker with the default
# --prefetch 0, as the C++ rows' latency run.
latency() {
  local system=$1 store_args=$2 key
  log "$system: latency, $latency_jobs jobs one at a time, Executor to 1 Python worker"
  # shellcheck disable=SC2086
  start_broker "$system-latency" $store_args
  start_py_worker lat --cpu-procs 0
  wait_workers 1
  drive "$system: latency" "$latency_jobs" latency --broker "$frontend" --jobs "$latency_jobs"
  for key in lat_p50_us lat_p99_us lat_mean_us; do
    emit "$system" "$key" "$(result "$key")"
  done
  stop_broker
}

# $sleepers jobs of `await asyncio.sleep(1)` submitted at once (the CLI, one
# batch) to one Python worker whose event loop may run them all at once.
async_sleep() {
  local system=$1 store_args=$2
  log "$system: $sleepers x asyncio.sleep(1) on 1 Python worker, --async-slots $sleepers"
  # shellcheck disable=SC2086
  start_broker "$system-async" $store_args
  start_py_worker async --async-slots "$sleepers" --cpu-procs 0
  wait_workers 1
  drive "$system: $sleepers sleeps" $((sleepers * runs)) cli --cli "$bin/producer/jobq" \
    --broker "$frontend" --line '{"task":"asleep","args":{"seconds":1}}' --jobs "$sleepers" \
    --runs "$runs" --no-warmup --work "$run_dir" --pids "broker=$broker_pid,worker=$worker_pid"
  emit "$system" "async_sleep_${sleepers}_s" "$(result seconds)"
  stop_broker
}

# --- the run -------------------------------------------------------------------

started=$(date +%s)
cores=$(nproc)
py_version=$("$py" --version 2>&1 | cut -d' ' -f2)
common_note="producer jobq.Executor (python/jobq, Debian's python3 $py_version with python3-zmq and python3-protobuf; one Executor, map() sends batches of 1,000, window 20,000) or the C++ CLI (jobq submit --file F --wait, one process, clock from its start to its exit); broker, worker and producer on one machine over loopback TCP, $cores cores"
worker_note="throughput: noop jobs (payload {}), $jobs per run, median of $runs runs after an unmeasured 1,000; C++ worker: jobq-worker --prefetch $prefetch --cpu-procs 0 (default I/O threads); Python worker: python3 -m jobq.worker --prefetch $prefetch --cpu-procs 0 (default I/O threads), tasks bench/python/bench_tasks.py; workers registered before the clock starts; e2e = first submit to last result back at the producer; latency: Executor.submit(noop).result() one at a time, $latency_jobs jobs after 100 unmeasured, Python worker with the default --prefetch 0; async_sleep: $sleepers jobs of 'await asyncio.sleep(1)' from one CLI batch, Python worker --async-slots $sleepers --cpu-procs 0, first submit to last outcome (median of $runs); *_cpu_us_*: utime+stime per job of each process over the measured runs"
if [[ "$quick" == 1 ]]; then
  quick_note="BENCH_QUICK=1: small counts ($jobs jobs per run, $sleepers sleepers); figures are smoke checks, not measurements"
fi

for system in jobq-py-memory jobq-py-sqlite; do
  if [[ "$system" == jobq-py-memory ]]; then
    store_args="--store memory"
    note "$system" "broker --store memory (not durable)"
  else
    store_args=""
    note "$system" "broker default store: SQLite in $work (filesystem $(stat -f -c %T "$work")), WAL, synchronous=FULL, group commit"
  fi
  note "$system" "$common_note"
  note "$system" "$worker_note"
  if [[ -n "${quick_note:-}" ]]; then note "$system" "$quick_note"; fi
  executor_cpp "$system" "$store_args"
  pyworker_noop "$system" "$store_args"
  latency "$system" "$store_args"
  async_sleep "$system" "$store_args"
done
log "done in $(($(date +%s) - started)) s"
finished=1
