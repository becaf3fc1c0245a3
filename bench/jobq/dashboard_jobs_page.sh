#!/usr/bin/env bash
# The dashboard's jobs pages with many jobs kept (issue 19: a page with
# 10,000,000 jobs kept answers in under 200 ms): jobq-bench-admin-scan
# writes BENCH_JOBS finished jobs (10 queues, 49 tasks, 1 % dead) and 10,000
# queued into an SQLite store, a broker starts on it with --http, and curl
# times GET /api/jobs end to end (request, the loop's query, rendering 50
# jobs as JSON, the answer) for pages of each filter, walking on by
# next_after as the page's Next button does. Prints, on stdout only,
#
#   FIGURE dashboard-jobs <key> <value>
#
# broker_start_s (until the broker was ready, every job loaded),
# broker_rss_mib, and for each query (first: no filter; dead: state=dead;
# dead_task: state=dead&task=t7; queue: queue=q3; job: GET /api/jobs/ID)
# <query>_max_ms and <query>_median_ms over BENCH_PAGES pages. Asserts
# nothing. Everything started here is stopped on exit.
#
# Environment: JOBQ_BUILD_DIR [build-release], BENCH_JOBS [10000000],
# BENCH_PAGES [50].
set -euo pipefail
cd "$(dirname "$0")/../.."

script=dashboard_jobs_page
bin=${JOBQ_BUILD_DIR:-build-release}
jobs=${BENCH_JOBS:-10000000}
pages=${BENCH_PAGES:-50}
# Loading ten million jobs takes the broker a while.
broker_ready_seconds=600
source bench/jobq/side_run.sh
require_programs broker/jobq-broker bench/jobq/jobq-bench-admin-scan

mkdir -p "$work/data"
"$bin/bench/jobq/jobq-bench-admin-scan" --jobs "$jobs" --sqlite "$work/data/jobq.db" >&2
started=$(date +%s.%N)
start_broker "$work/broker" --data-dir "$work/data" --http 127.0.0.1:0
ready=$(date +%s.%N)
awk -v a="$started" -v b="$ready" 'BEGIN {printf "FIGURE dashboard-jobs broker_start_s %.1f\n", b - a}'
awk '/^VmRSS/ {printf "FIGURE dashboard-jobs broker_rss_mib %.0f\n", $2 / 1024}' \
  "/proc/$broker_pid/status"

# walk NAME QUERY: BENCH_PAGES pages of GET /api/jobs?QUERY, each after the
# last one's next_after; prints NAME's slowest and median page, and sets
# last_id to a job of the last page.
walk() {
  local name=$1 query=$2 after="" times=() page
  for _ in $(seq "$pages"); do
    page=$(curl -s --noproxy '*' -w '\n%{http_code} %{time_total}' \
      "http://$http/api/jobs?$query${after:+&after=$after}")
    read -r code seconds <<<"$(tail -n 1 <<<"$page")"
    [[ $code == 200 ]] || { echo "$script: GET /api/jobs?$query answered $code" >&2; exit 1; }
    times+=("$seconds")
    last_id=$(head -n 1 <<<"$page" | python3 -c 'import json, sys; print(json.load(sys.stdin)["jobs"][-1]["id"])')
    after=$(head -n 1 <<<"$page" | python3 -c 'import json, sys; print(json.load(sys.stdin)["next_after"] or "")')
    [[ -n $after ]] || break
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v name="$name" '
    { t[NR] = $1 * 1000 }
    END { printf "FIGURE dashboard-jobs %s_max_ms %.2f\n", name, t[NR];
          printf "FIGURE dashboard-jobs %s_median_ms %.2f\n", name, t[int((NR + 1) / 2)] }'
}

walk first "limit=50"
walk dead "state=dead&limit=50"
walk dead_task "state=dead&task=t7&limit=50"
walk queue "queue=q3&limit=50"
# A job's own page, the last one listed, BENCH_PAGES times.
job_times=()
for _ in $(seq "$pages"); do
  job_times+=("$(curl -s --noproxy '*' -o /dev/null -w '%{time_total}' "http://$http/api/jobs/$last_id")")
done
printf '%s\n' "${job_times[@]}" | sort -n | awk '
  { t[NR] = $1 * 1000 }
  END { printf "FIGURE dashboard-jobs job_max_ms %.2f\n", t[NR];
        printf "FIGURE dashboard-jobs job_median_ms %.2f\n", t[int((NR + 1) / 2)] }'
