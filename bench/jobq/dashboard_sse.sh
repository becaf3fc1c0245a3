#!/usr/bin/env bash
# 100 open dashboards cost the broker's loop nothing measurable (issue 19,
# item 3): the same end-to-end run of noop jobs (jobq-bench --mode e2e)
# with 0 and with 100 clients holding GET /api/events open and reading
# every status event. Prints, on stdout only,
#
#   FIGURE dashboard-sse-<0|100> <key> <value>
#
# jobs_per_s (end-to-end throughput), loop_p50_us, loop_p99_us, loop_max_us
# (the broker's loop iterations over the run, from `jobq status --json`),
# events (status events the clients received), streams (event streams open
# at the end, from /metrics). Asserts nothing. Everything started here is
# stopped on exit.
#
# Environment: JOBQ_BUILD_DIR [build-release], BENCH_JOBS [20000],
# BENCH_RUNS (pairs of runs) [1], BENCH_CLIENTS [100].
set -euo pipefail
cd "$(dirname "$0")/../.."

script=dashboard_sse
bin=${JOBQ_BUILD_DIR:-build-release}
jobs=${BENCH_JOBS:-20000}
runs=${BENCH_RUNS:-1}
clients=${BENCH_CLIENTS:-100}
source bench/jobq/side_run.sh
require_programs broker/jobq-broker worker/jobq-worker producer/jobq bench/jobq/jobq-bench

# one_run CLIENTS RUN
one_run() {
  local n=$1 dir="$work/$1-$2" frontend backend admin http broker_pid system="dashboard-sse-$1"
  start_broker "$dir" --http 127.0.0.1:0 --store memory
  "$bin/worker/jobq-worker" --broker "$backend" --name w1 --io-threads 4 --cpu-procs 0 \
    --prefetch 100 --log-level warning 2>"$dir/worker.log" &
  pids+=($!)
  # The clients: one process holding N streams, reading every event until
  # SIGTERM, then saying how many it got.
  python3 - "$http" "$n" >"$dir/clients.out" 2>"$dir/clients.err" <<'PY' &
import selectors, signal, socket, sys
host, port = sys.argv[1].rsplit(":", 1)
count = int(sys.argv[2])
selector = selectors.DefaultSelector()
events = 0
for _ in range(count):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /api/events HTTP/1.1\r\nHost: bench\r\n\r\n")
    s.setblocking(False)
    selector.register(s, selectors.EVENT_READ)
stop = False
def on_term(*_):
    global stop
    stop = True
signal.signal(signal.SIGTERM, on_term)
while not stop:
    for key, _ in selector.select(timeout=0.5):
        try:
            data = key.fileobj.recv(65536)
        except BlockingIOError:
            continue
        if not data:
            selector.unregister(key.fileobj)
            continue
        events += data.count(b"event: status\n")
print(events)
PY
  local clients_pid=$!
  pids+=("$clients_pid")
  # Until every stream is open.
  for _ in $(seq 300); do
    open=$(curl -s --noproxy '*' "http://$http/metrics" | awk '$1 == "jobq_http_event_streams" { print $2 }')
    [[ "${open:-0}" -ge "$n" ]] && break
    sleep 0.1
  done
  "$bin/bench/jobq/jobq-bench" --broker "$frontend" --mode e2e --jobs "$jobs" \
    --system "$system" >"$dir/bench.out"
  "$bin/producer/jobq" status --admin "$admin" --json >"$dir/status.json"
  open=$(curl -s --noproxy '*' "http://$http/metrics" | awk '$1 == "jobq_http_event_streams" { print $2 }')
  kill -TERM "$clients_pid"
  wait "$clients_pid" || true
  awk '$3 == "jobs_per_s" { print "FIGURE", $2, "jobs_per_s", $4 }' "$dir/bench.out"
  loop_figures "$dir/status.json" "$system"
  echo "FIGURE $system events $(cat "$dir/clients.out")"
  echo "FIGURE $system streams ${open:-0}"
  stop_started
}

for run in $(seq "$runs"); do
  one_run 0 "$run"
  one_run "$clients" "$run"
done
