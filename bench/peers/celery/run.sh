#!/usr/bin/env bash
# Celery (Redis broker, Redis result backend) side of the peer benchmark.
# Starts its own redis-server and celery workers, runs the workloads, prints
# FIGURE/NOTE lines on stdout (see bench/run), diagnostics on stderr; the
# part it shares with rq/run.sh is ../redis_peer.sh.
#
# Env: BENCH_JOBS (100000: enqueue), BENCH_SLOW_PEER_JOBS (10000: the e2e
# runs; Celery manages a few hundred jobs/s end to end here),
# BENCH_LATENCY_JOBS (2000), BENCH_RSS_JOBS (1000000), BENCH_WORK_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
peer=celery
peer_title=Celery
queue_key=celery
# apply_async manages ~1-2k/s here: driver.py copies Celery's own message instead.
fill_arg=fast

worker_command() {
  exec "$py" -m celery -A bench_tasks worker --pool solo --concurrency 1 \
    --without-gossip --without-mingle --without-heartbeat --loglevel WARNING -n "w$1@%h"
}

read_versions() {
  local version
  version=$("$py" -c 'import celery, kombu, redis; print(celery.__version__, kombu.__version__, redis.__version__)')
  read -r v_celery v_kombu v_redispy <<<"$version"
}

version_note() {
  echo "NOTE $peer celery $v_celery (kombu $v_kombu, redis-py $v_redispy, redis-server $v_server), JSON; 1 worker = 1 'celery worker --pool solo' process (runs tasks in-process; prefork -c 1 was no faster) with --without-gossip --without-mingle --without-heartbeat, prefetch multiplier 1000; producer: apply_async in a loop (one LPUSH round trip per task, no pipelining; enqueue uses an ignore_result=True task), results collected with ResultSet.join_native (Redis pub/sub), latency with AsyncResult.get; rss queue filled with Celery's own message (from apply_async) copied with fresh ids and LPUSHed in pipelines of 5000, as apply_async does ~1-2k/s here"
}

# shellcheck source=SCRIPTDIR/../redis_peer.sh
source "$here/../redis_peer.sh"
