# shellcheck shell=bash
# What the focused benchmarks beside bench/jobq/run.sh share
# (dashboard_sse.sh, progress_flood.sh, workflow_e2e.sh), sourced once
# `script` (their name, for messages) and `bin` (the build tree) are set: a
# scratch directory and the processes started, both gone on exit; a broker
# on ephemeral loopback ports and the addresses from its ready file; the
# figures of its loop from `jobq status --json`.

: "${script:?}" "${bin:?}"

# require_programs PATH...: each built under $bin, or a message and exit 1.
require_programs() {
  local program
  for program in "$@"; do
    [[ -e "$bin/$program" ]] || { echo "$script: build $bin/$program first" >&2; exit 1; }
  done
}

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.5
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# field NAME FILE: a string field of a one-line JSON object (the ready file).
field() { sed -nE "s/.*\"$1\":\"([^\"]*)\".*/\1/p" "$2"; }

# start_broker DIR [BROKER_OPTION...]: jobq-broker on ephemeral loopback
# ports, its ready file and log in DIR, started and waited for (at most
# broker_ready_seconds, 30 unless the script set it); sets broker_pid,
# frontend, backend, admin and http (empty without --http).
start_broker() {
  local dir=$1
  shift
  mkdir -p "$dir"
  "$bin/broker/jobq-broker" --frontend 'tcp://127.0.0.1:*' --backend 'tcp://127.0.0.1:*' \
    --admin 127.0.0.1:0 --ready-file "$dir/ready" --log-level warning "$@" \
    2>"$dir/broker.log" &
  broker_pid=$!
  pids+=("$broker_pid")
  for _ in $(seq $((${broker_ready_seconds:-30} * 10))); do
    [[ -s "$dir/ready" ]] && break
    sleep 0.1
  done
  if [[ ! -s "$dir/ready" ]]; then
    echo "$script: the broker did not start; the end of its log:" >&2
    tail -n 20 "$dir/broker.log" >&2
    exit 1
  fi
  # shellcheck disable=SC2034  # for the scripts that source this
  {
    frontend=$(field frontend "$dir/ready")
    backend=$(field backend "$dir/ready")
    admin=$(field admin "$dir/ready")
    http=$(field http "$dir/ready")
  }
}

# stop_started: every process started so far, killed and reaped, before the
# next run.
stop_started() {
  local pid
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  pids=()
}

# loop_figures STATUS_JSON SYSTEM: FIGURE lines for the broker's loop
# iterations over its life (p50, p99 and max, in microseconds).
loop_figures() {
  python3 - "$1" "$2" <<'PY'
import json, sys
loop = json.load(open(sys.argv[1]))["figures"]["loop_iteration"]
for key in ("p50", "p99", "max"):
    print(f"FIGURE {sys.argv[2]} loop_{key}_us {float(loop.get(key + '_seconds', 0)) * 1e6:.1f}")
PY
}
