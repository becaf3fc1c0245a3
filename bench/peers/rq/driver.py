# Producer side of the RQ benchmark. One subcommand per workload; each prints
# its figure(s) as "key value" lines on stdout, diagnostics on stderr.
#
#   driver.py wait-workers N     until N workers listen on the queue
#   driver.py enqueue N          N jobs with Queue.enqueue_many, no worker
#   driver.py e2e N              enqueue_many, then poll Job.fetch_many until all finished
#   driver.py latency N          one at a time: Queue.enqueue, then poll its status
#   driver.py fill N [P]         queue N jobs with enqueue_many from P processes, no worker
import os
import sys
import time

from redis import Redis
from rq import Queue, Worker
from rq.job import Job, JobStatus

from bench_jobs import noop
from redis_driver_common import Driver

BATCH = int(os.environ.get("BENCH_RQ_BATCH", "1000"))
conn = Redis.from_url(os.environ["BENCH_REDIS_URL"])
queue = Queue("bench", connection=conn)
driver = Driver("rq")
log = driver.log


def wait_workers(n):
    driver.wait_workers(n, lambda: Worker.count(connection=conn, queue=queue), poll=0.1,
                        what="listened")


def enqueue_batches(n):
    """Enqueues n noop jobs in enqueue_many batches (one pipeline each); returns their ids."""
    prepare = Queue.prepare_data
    ids = []
    for start in range(0, n, BATCH):
        jobs = queue.enqueue_many(
            [prepare(noop, (i,)) for i in range(start, min(n, start + BATCH))])
        ids.extend(job.id for job in jobs)
    return ids


def enqueue(n):
    t0 = time.perf_counter()
    enqueue_batches(n)
    dt = time.perf_counter() - t0
    log(f"enqueued {n} in {dt:.2f}s (batches of {BATCH})")
    print(f"enqueue_jobs_per_s {n / dt:.0f}")


def e2e(n, timeout):
    t0 = time.perf_counter()
    pending = enqueue_batches(n)
    t_sent = time.perf_counter()
    deadline = time.monotonic() + timeout
    done = polls = 0
    # Jobs finish about in queue order: poll the oldest BATCH pending ones
    # with one Job.fetch_many (one pipeline), drop the finished, repeat.
    while pending:
        batch = pending[:BATCH]
        jobs = Job.fetch_many(batch, connection=conn)
        polls += 1
        still = []
        for job_id, job in zip(batch, jobs):
            status = job.get_status(refresh=False) if job is not None else None
            if status == JobStatus.FINISHED:
                done += 1
            elif job is None or status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                driver.fail(f"job {job_id} is {status}")
            else:
                still.append(job_id)
        pending = still + pending[BATCH:]
        if len(still) == len(batch):  # nothing new: let the workers run
            if time.monotonic() > deadline:
                driver.fail(f"e2e timed out with {len(pending)} of {n} jobs unfinished")
            time.sleep(0.002)
    dt = time.perf_counter() - t0
    if done != n:
        driver.fail(f"{done} of {n} jobs finished")
    log(f"e2e {n} jobs: enqueued in {t_sent - t0:.2f}s, all finished in {dt:.2f}s ({polls} polls)")
    print(f"e2e_jobs_per_s {n / dt:.0f}")


def latency(n, sleep):
    def one(i):
        job = queue.enqueue(noop, i)
        while True:
            status = job.get_status()  # one HGET
            if status == JobStatus.FINISHED:
                return
            if status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                driver.fail(f"job {job.id} is {status}")
            if sleep:
                time.sleep(sleep)

    driver.latency(n, one, time_limit=600)


def fill(n, procs):
    # enqueue_many spends its time in Python (building jobs, packing
    # commands), so the queue is filled by `procs` producer processes at once.
    import subprocess

    t0 = time.perf_counter()
    parts = [n // procs + (1 if k < n % procs else 0) for k in range(procs)]
    children = [subprocess.Popen([sys.executable, __file__, "fill-part", str(p)]) for p in parts]
    codes = [c.wait() for c in children]
    if any(codes):
        driver.fail(f"a fill process failed: {codes}")
    dt = time.perf_counter() - t0
    log(f"filled {n} with {procs} processes in {dt:.1f}s ({n / dt:.0f}/s)")


if __name__ == "__main__":
    driver.main({
        "wait-workers": wait_workers,
        "enqueue": enqueue,
        "e2e": lambda n, timeout="600": e2e(n, float(timeout)),
        "latency": lambda n, sleep="0.0002": latency(n, float(sleep)),
        "fill": lambda n, procs="2": fill(n, int(procs)),
        "fill-part": enqueue_batches,
    })
