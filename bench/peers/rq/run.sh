#!/usr/bin/env bash
# RQ (Redis Queue) side of the peer benchmark. Starts its own redis-server
# and rq workers (SimpleWorker), runs the workloads, prints FIGURE/NOTE lines
# on stdout (see bench/run), diagnostics on stderr; the part it shares with
# celery/run.sh is ../redis_peer.sh.
#
# Env: BENCH_JOBS (100000: enqueue), BENCH_SLOW_PEER_JOBS (10000: the e2e
# runs; RQ manages a few hundred jobs/s end to end here),
# BENCH_LATENCY_JOBS (2000), BENCH_RSS_JOBS (1000000), BENCH_WORK_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=rq
peer_title=RQ
queue_key=rq:queue:bench
fill_arg=  # driver.py fill: 2 producer processes

worker_command() {
  exec "$py" -m rq.cli worker -w rq.worker.SimpleWorker -u "$BENCH_REDIS_URL" \
    --logging_level WARNING --disable-job-desc-logging -P "$here" -n "w$1-$$" bench
}

read_versions() {
  local version
  version=$("$py" -c 'import rq, redis; print(rq.__version__, redis.__version__)')
  read -r v_rq v_redispy <<<"$version"
}

version_note() {
  echo "NOTE $peer rq $v_rq (redis-py $v_redispy, redis-server $v_server); 1 worker = 1 'rq worker -w rq.worker.SimpleWorker' process (runs jobs in-process; the default Worker forks per job); enqueue and e2e submit with Queue.enqueue_many of Queue.prepare_data in pipelines of 1000 jobs; e2e completion polled with Job.fetch_many on the oldest 1000 pending jobs per round trip; latency: Queue.enqueue then Job.get_status polled every ~0.2 ms; rss queue filled with enqueue_many as well, from 2 producer processes"
}

# shellcheck source=SCRIPTDIR/../redis_peer.sh
source "$here/../redis_peer.sh"
