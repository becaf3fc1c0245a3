# Producer side of the Celery benchmark. One subcommand per workload; each
# prints its figure(s) as "key value" lines on stdout, diagnostics on stderr.
#
#   driver.py wait-workers N        until N workers answer a ping
#   driver.py enqueue N             N noop_nr.apply_async calls, no worker
#   driver.py e2e N                 N noop.apply_async, then ResultSet.join_native
#   driver.py latency N             one at a time: apply_async + AsyncResult.get
#   driver.py fill N [plain|fast]   queue N noop_nr messages, no worker
import time

from bench_tasks import app, noop, noop_nr
from redis_driver_common import Driver

driver = Driver("celery")
log = driver.log


def wait_workers(n):
    driver.wait_workers(n, lambda: len(app.control.ping(timeout=0.5) or []), poll=0.2)


def enqueue(n):
    send = noop_nr.apply_async
    t0 = time.perf_counter()
    for i in range(n):
        send((i,))
    dt = time.perf_counter() - t0
    log(f"enqueued {n} in {dt:.2f}s")
    print(f"enqueue_jobs_per_s {n / dt:.0f}")


def e2e(n, timeout):
    from celery.result import ResultSet

    send = noop.apply_async
    t0 = time.perf_counter()
    results = [send((i,)) for i in range(n)]
    t_sent = time.perf_counter()
    values = ResultSet(results).join_native(timeout=timeout, propagate=True)
    dt = time.perf_counter() - t0
    if len(values) != n:
        driver.fail(f"{len(values)} results of {n}")
    log(f"e2e {n} jobs: sent in {t_sent - t0:.2f}s, all results in {dt:.2f}s")
    print(f"e2e_jobs_per_s {n / dt:.0f}")


def latency(n):
    send = noop.apply_async

    def one(i):
        r = send((i,))
        r.get(timeout=10)
        return r

    # forget: unsubscribe and delete the result key
    driver.latency(n, one, after=lambda r: r.forget())


def fill(n, mode="plain"):
    t0 = time.perf_counter()
    if mode == "plain":
        send = noop_nr.apply_async
        for i in range(n):
            send((i,))
    else:
        fill_fast(n)
    dt = time.perf_counter() - t0
    log(f"filled {n} ({mode}) in {dt:.1f}s ({n / dt:.0f}/s)")


def fill_fast(n, batch=5000):
    # The first message is sent by apply_async itself, with kombu's Redis
    # channel writing into a pipeline instead of the server, and kept as the
    # template: Celery's own message (body, headers, properties), of which
    # each further copy gets a fresh task id, delivery tag and argument, then
    # is LPUSHed in pipelines of `batch`. Same bytes per message as
    # apply_async would store, without its ~1 ms of Python per call.
    import base64
    import json
    import uuid

    import redis

    captured = []
    with app.producer_or_acquire() as producer:
        channel = producer.channel

        def put(queue, message, **kwargs):
            pri = channel._get_message_priority(message, reverse=False)
            captured.append((channel._q_for_pri(queue, pri), message))

        channel._put = put
        try:
            noop_nr.apply_async((0,), producer=producer)
        finally:
            del channel._put
    key, msg = captured[0]
    task_id = msg["headers"]["id"]
    tag = msg["properties"]["delivery_tag"]
    body = json.loads(base64.b64decode(msg["body"]))
    assert body[0] == [0] and msg["properties"]["body_encoding"] == "base64"
    body_rest = json.dumps(body[1:])[1:-1]  # '{}, {"callbacks": ...}'
    msg["body"] = "@BODY@"
    msg["headers"]["argsrepr"] = "@ARGSREPR@"
    text = json.dumps(msg)
    text = text.replace(task_id, "@ID@").replace(tag, "@TAG@")

    client = redis.Redis.from_url(app.conf.broker_url)
    pipe = client.pipeline(transaction=False)
    b64 = base64.b64encode
    for i in range(n):
        body_json = f"[[{i}], {body_rest}]"
        m = (text.replace("@ID@", str(uuid.uuid4()))
                 .replace("@TAG@", str(uuid.uuid4()))
                 .replace("@BODY@", b64(body_json.encode()).decode())
                 .replace("@ARGSREPR@", f"({i},)"))
        pipe.lpush(key, m)
        if len(pipe) >= batch:
            pipe.execute()
    pipe.execute()
    client.close()


if __name__ == "__main__":
    driver.main({
        "wait-workers": wait_workers,
        "enqueue": enqueue,
        "e2e": lambda n, timeout="600": e2e(n, float(timeout)),
        "latency": latency,
        "fill": fill,
    })
