#!/usr/bin/env bash
# Throughput of jobq with the durable store (SQLite, the default) against
# the memory store: N noop jobs (default 100,000) submitted from a JSON
# Lines file with `jobq submit --file --wait`, one worker, all on loopback.
# Prints figures; asserts nothing.
#
#   bench/durability.sh [JOBS] [ROUNDS]      (build first: scripts/demo or scripts/test)
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=${1:-100000}
rounds=${2:-1}
bin=${JOBQ_BUILD_DIR:-build}
for program in broker/jobq-broker worker/jobq-worker producer/jobq; do
  [[ -x "$bin/$program" ]] || { echo "bench: $bin/$program is missing: build first (./scripts/test)"; exit 2; }
done

run_dir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$run_dir"
}
trap cleanup EXIT

for _ in $(seq "$jobs"); do echo '{"task": "noop"}'; done >"$run_dir/noop.jsonl"

now() { date +%s.%N; }

# run STORE_ARGS...: prints the seconds the whole batch took, start to last outcome.
run() {
  rm -rf "$run_dir/data" "$run_dir/ready"
  "$bin/broker/jobq-broker" --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' \
    --admin 127.0.0.1:0 --ready-file "$run_dir/ready" --data-dir "$run_dir/data" "$@" \
    --log-level warning 2>"$run_dir/broker.log" &
  local broker=$!
  pids+=("$broker")
  for _ in $(seq 100); do [[ -s "$run_dir/ready" ]] && break; sleep 0.1; done
  field() { sed -E "s/.*\"$1\":\"([^\"]*)\".*/\1/" "$run_dir/ready"; }
  "$bin/worker/jobq-worker" --broker "$(field backend)" --name bench --log-level warning \
    2>"$run_dir/worker.log" &
  local worker=$!
  pids+=("$worker")
  for _ in $(seq 100); do
    "$bin/producer/jobq" status --admin "$(field admin)" --json 2>/dev/null | grep -q '"bench"' && break
    sleep 0.1
  done
  local start
  start=$(now)
  "$bin/producer/jobq" submit --broker "$(field frontend)" --file "$run_dir/noop.jsonl" --wait \
    >"$run_dir/out.jsonl"
  local seconds
  seconds=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
  local ok
  ok=$(grep -c '"succeeded"' "$run_dir/out.jsonl" || true)
  kill "$worker" "$broker" 2>/dev/null || true
  wait "$worker" "$broker" 2>/dev/null || true
  [[ "$ok" == "$jobs" ]] || { echo "bench: only $ok of $jobs jobs succeeded" >&2; exit 1; }
  echo "$seconds"
}

printf 'jobq durability bench: %d noop jobs, one worker, %d round(s), %d cores\n' \
  "$jobs" "$rounds" "$(nproc)"
printf '%-34s %10s %12s\n' "store" "seconds" "jobs/s"
for round in $(seq "$rounds"); do
  memory=$(run --store memory)
  durable=$(run)
  awk -v jobs="$jobs" -v memory="$memory" -v durable="$durable" -v round="$round" 'BEGIN {
    printf "%-34s %10.2f %12.0f\n", "memory", memory, jobs / memory
    printf "%-34s %10.2f %12.0f\n", "sqlite (default, synchronous=FULL)", durable, jobs / durable
    printf "round %d: durable runs at %.0f%% of memory throughput\n", round, 100 * memory / durable
  }'
done
