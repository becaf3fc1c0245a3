# Celery app and the noop tasks of the benchmark. Redis is the broker and the
# result backend; the URL comes from BENCH_REDIS_URL (set by run.sh).
import os

from celery import Celery

URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")

app = Celery("bench_tasks", broker=URL, backend=URL)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_ignore_result=False,
    task_acks_late=False,
    task_track_started=False,
    task_send_sent_event=False,
    worker_send_task_events=False,
    worker_disable_rate_limits=True,
    # A large prefetch: the worker pulls many messages per Redis round trip.
    worker_prefetch_multiplier=int(os.environ.get("BENCH_CELERY_PREFETCH", "1000")),
    broker_pool_limit=10,
    result_extended=False,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)


@app.task(name="bench.noop")
def noop(x):
    return None


@app.task(name="bench.noop_nr", ignore_result=True)
def noop_nr(x):
    return None
