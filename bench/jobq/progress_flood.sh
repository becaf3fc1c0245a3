#!/usr/bin/env bash
# A chatty task cannot flood the broker (issue 17, item 4): 100 running jobs
# each reporting progress as fast as they can (the test plugin's `chatty`
# task, in a tight loop of ReportProgress) against a quiet run of the same
# 100 jobs spinning as fast without reporting (`"report": false`: the same
# CPU taken from a 2-core machine, so the difference is the reports'), while
# jobq-bench pushes noop jobs through another queue and worker. Prints, on
# stdout only,
#
#   FIGURE progress-<quiet|chatty> <key> <value>
#
# other_jobs_per_s (the other queue's end-to-end throughput), loop_p50_us,
# loop_p99_us, loop_max_us (the broker's loop iterations over the run, from
# `jobq status --json`), progress_accepted (reports the broker took). Asserts
# nothing. Everything started here is stopped on exit.
#
# Environment: JOBQ_BUILD_DIR [build-release], BENCH_JOBS (noop jobs through
# the other queue) [20000], BENCH_RUNS (pairs of runs) [1].
set -euo pipefail
cd "$(dirname "$0")/../.."

script=progress_flood
bin=${JOBQ_BUILD_DIR:-build-release}
jobs=${BENCH_JOBS:-20000}
runs=${BENCH_RUNS:-1}
plugin="$bin/tests/support/libjobq_test_tasks_plugin.so"
source bench/jobq/side_run.sh
require_programs broker/jobq-broker worker/jobq-worker producer/jobq bench/jobq/jobq-bench \
  tests/support/libjobq_test_tasks_plugin.so

# one_run MODE: quiet or chatty.
one_run() {
  local mode=$1 dir="$work/$1-$2" report
  start_broker "$dir" --store memory
  "$bin/worker/jobq-worker" --broker "$backend" --name other --queues other --io-threads 4 \
    --cpu-procs 0 --prefetch 100 --log-level warning 2>"$dir/other.log" &
  pids+=($!)
  # At the lowest priority in both runs: on a small machine 100 spinning
  # threads would otherwise take the cores from the broker, and the run
  # would measure the scheduler, not what the reports cost.
  nice -n 19 "$bin/worker/jobq-worker" --broker "$backend" --name busy --queues busy --io-threads 100 \
    --cpu-procs 0 --plugin "$plugin" --log-level warning 2>"$dir/busy.log" &
  pids+=($!)
  # Long enough to outlast the measured run; cancelled after it.
  if [[ "$mode" == chatty ]]; then report=true; else report=false; fi
  for _ in $(seq 100); do
    echo "{\"task\": \"chatty\", \"queue\": \"busy\", \"args\": {\"seconds\": 120, \"report\": $report}}"
  done >"$dir/busy.jsonl"
  "$bin/producer/jobq" submit --broker "$frontend" --file "$dir/busy.jsonl" >"$dir/busy.ids"
  # Until the 100 jobs run.
  for _ in $(seq 300); do
    "$bin/producer/jobq" queues --admin "$admin" --json >"$dir/queues.json" 2>/dev/null || true
    grep -q '"name":"busy"[^}]*"running":"100"' "$dir/queues.json" && break
    sleep 0.1
  done
  grep -q '"name":"busy"[^}]*"running":"100"' "$dir/queues.json" ||
    { echo "progress_flood: the 100 busy jobs did not start" >&2; exit 1; }
  "$bin/bench/jobq/jobq-bench" --broker "$frontend" --mode e2e --queue other --jobs "$jobs" \
    --system "progress-$mode" >"$dir/bench.out"
  "$bin/producer/jobq" status --admin "$admin" --json >"$dir/status.json"
  awk '$3 == "jobs_per_s" { print "FIGURE", $2, "other_jobs_per_s", $4 }' "$dir/bench.out"
  loop_figures "$dir/status.json" "progress-$mode"
  python3 - "$dir/status.json" "progress-$mode" <<'PY'
import json, sys
status = json.load(open(sys.argv[1]))
print(f"FIGURE {sys.argv[2]} progress_accepted {status['counters'].get('progress_accepted', 0)}")
PY
  stop_started
}

for run in $(seq "$runs"); do
  one_run quiet "$run"
  one_run chatty "$run"
done
