#!/usr/bin/env bash
# A chord end to end (issue 18, item 6): BENCH_NODES noop nodes and one
# callback that waits for all of them, submitted whole with `jobq workflow
# submit --wait`, against the same BENCH_NODES + 1 noop jobs without edges
# (`jobq submit --file --wait`), each on a fresh broker (its default durable
# store, SQLite, in a temporary directory) and one worker. Prints, on
# stdout only,
#
#   FIGURE workflow-e2e <key> <value>
#
# chord_submit_s (until the broker acknowledged the workflow: durable),
# broker_bytes_per_node (the broker's resident memory then, every node
# kept, less before, per node), chord_jobs_per_s and plain_jobs_per_s (jobs
# finished per second of a whole `--wait` run, submission included, on a
# fresh broker each), chord_vs_plain_percent, chord_run_jobs_per_s and
# plain_run_jobs_per_s (the same jobs over their run alone: from the first
# start to the last end, as the broker recorded them), and each run's peak
# broker memory.
# Asserts nothing. Everything started here is stopped on exit.
#
# Environment: JOBQ_BUILD_DIR [build-release], BENCH_NODES [100000].
set -euo pipefail
cd "$(dirname "$0")/../.."

script=workflow_e2e
bin=${JOBQ_BUILD_DIR:-build-release}
nodes=${BENCH_NODES:-100000}
source bench/jobq/side_run.sh
require_programs broker/jobq-broker worker/jobq-worker producer/jobq
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
now() { date +%s.%N; }

# The chord's file, and the same jobs as JSON lines.
python3 - "$nodes" "$work/chord.json" "$work/plain.jsonl" <<'EOF'
import json, sys
n, chord_path, plain_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
parts = [{"name": f"part-{i}", "task": "noop"} for i in range(n)]
parts.append({"name": "sum", "task": "noop", "after": [p["name"] for p in parts]})
with open(chord_path, "w") as out:
    json.dump({"name": "bench-chord", "nodes": parts}, out)
with open(plain_path, "w") as out:
    for _ in range(n + 1):
        out.write('{"task": "noop"}\n')
EOF

# run_span: seconds from the first job's start to the last one's end, read
# from the broker (`jobq jobs --json`, every page): how long the jobs took
# to run once they could, whatever their submission took.
run_span() {
  python3 - "$bin/producer/jobq" "$frontend" "$admin" <<'PY'
import json, subprocess, sys
jobq, frontend, admin = sys.argv[1:4]
first, last, after = None, None, None
while True:
    args = [jobq, "--broker", frontend, "--admin", admin, "jobs", "--json", "--limit", "10000"]
    if after:
        args += ["--after", after]
    lines = subprocess.run(args, check=True, capture_output=True, text=True).stdout.splitlines()
    for line in lines:
        job = json.loads(line)
        after = job["id"]
        if "started_ms" in job:
            first = job["started_ms"] if first is None else min(first, job["started_ms"])
        if "finished_ms" in job:
            last = job["finished_ms"] if last is None else max(last, job["finished_ms"])
    if len(lines) < 10000:
        break
print(f"{(last - first) / 1000:.3f}")
PY
}

# start_cluster DIR: a broker and a worker; sets broker_pid, frontend, admin.
start_cluster() {
  local dir=$1
  start_broker "$dir" --data-dir "$dir/data" --workflow-max $((nodes + 1))
  "$bin/worker/jobq-worker" --broker "$backend" --name w --io-threads 8 --cpu-procs 0 \
    --prefetch 1000 --log-level warning 2>"$dir/worker.log" &
  pids+=($!)
}

# run_waited NAME ARGS...: `jobq ARGS...` (a submission with --wait) on a
# fresh cluster; prints NAME's jobs_per_s, broker_peak_kib and
# run_jobs_per_s (NAME_failed when the command fails) and sets rate and
# run_rate.
run_waited() {
  local name=$1 start done_at peak span
  shift
  start_cluster "$work/$name"
  start=$(now)
  "$bin/producer/jobq" --broker "$frontend" --admin "$admin" "$@" >"$work/$name.out" ||
    echo "FIGURE workflow-e2e ${name}_failed 1"
  done_at=$(now)
  peak=$(awk '/^VmHWM/ {print $2}' "/proc/$broker_pid/status")
  rate=$(awk -v n="$nodes" -v a="$start" -v b="$done_at" 'BEGIN {printf "%.0f", (n + 1) / (b - a)}')
  echo "FIGURE workflow-e2e ${name}_jobs_per_s $rate"
  echo "FIGURE workflow-e2e ${name}_broker_peak_kib $peak"
  span=$(run_span)
  run_rate=$(awk -v n="$nodes" -v t="$span" 'BEGIN {printf "%.0f", (n + 1) / t}')
  echo "FIGURE workflow-e2e ${name}_run_jobs_per_s $run_rate"
  stop_started
}

# Chord, first run: the acknowledgement (`jobq workflow submit` without
# --wait returns once the workflow is durable) and the broker's memory
# then, with every node kept.
start_cluster "$work/chord-ack"
before=$(rss_kib "$broker_pid")
start=$(now)
"$bin/producer/jobq" --broker "$frontend" --admin "$admin" workflow submit "$work/chord.json" \
  --json >"$work/chord.ack"
acked=$(now)
after=$(rss_kib "$broker_pid")
awk -v a="$start" -v b="$acked" 'BEGIN {printf "FIGURE workflow-e2e chord_submit_s %.2f\n", b - a}'
awk -v n="$nodes" -v x="$before" -v y="$after" \
  'BEGIN {printf "FIGURE workflow-e2e broker_bytes_per_node %.0f\n", (y - x) * 1024 / (n + 1)}'
stop_started

# Chord, second run, then the same jobs without edges: each submitted and
# waited for (`--wait`).
run_waited chord workflow submit "$work/chord.json" --wait --json
chord_rate=$rate chord_run_rate=$run_rate
run_waited plain submit --file "$work/plain.jsonl" --wait
plain_rate=$rate plain_run_rate=$run_rate
awk -v c="$chord_run_rate" -v p="$plain_run_rate" \
  'BEGIN {printf "FIGURE workflow-e2e chord_vs_plain_run_percent %.0f\n", 100 * c / p}'
awk -v c="$chord_rate" -v p="$plain_rate" \
  'BEGIN {printf "FIGURE workflow-e2e chord_vs_plain_percent %.0f\n", 100 * c / p}'
