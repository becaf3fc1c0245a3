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

BATCH = int(os.environ.get("BENCH_RQ_BATCH", "1000"))
conn = Redis.from_url(os.environ["BENCH_REDIS_URL"])
queue = Queue("bench", connection=conn)


def log(*a):
    print("rq driver:", *a, file=sys.stderr, flush=True)


def wait_workers(n, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Worker.count(connection=conn, queue=queue) >= n:
            log(f"{n} worker(s) up")
            return
        time.sleep(0.1)
    sys.exit(f"rq driver: fewer than {n} workers listened within {timeout:.0f}s")


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
                sys.exit(f"rq driver: job {job_id} is {status}")
            else:
                still.append(job_id)
        pending = still + pending[BATCH:]
        if len(still) == len(batch):  # nothing new: let the workers run
            if time.monotonic() > deadline:
                sys.exit(f"rq driver: e2e timed out with {len(pending)} of {n} jobs unfinished")
            time.sleep(0.002)
    dt = time.perf_counter() - t0
    if done != n:
        sys.exit(f"rq driver: {done} of {n} jobs finished")
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
                sys.exit(f"rq driver: job {job.id} is {status}")
            if sleep:
                time.sleep(sleep)

    for i in range(20):  # warm up
        one(i)
    lat = []
    deadline = time.monotonic() + 600
    for i in range(n):
        t0 = time.perf_counter()
        one(i)
        lat.append(time.perf_counter() - t0)
        if time.monotonic() > deadline:
            sys.exit("rq driver: latency run took too long")
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100.0 * len(lat)))] * 1e6

    log(f"latency over {n}: p50 {pct(50):.0f}us p99 {pct(99):.0f}us max {lat[-1] * 1e6:.0f}us")
    print(f"lat_p50_us {pct(50):.0f}")
    print(f"lat_p99_us {pct(99):.0f}")


def fill(n, procs):
    # enqueue_many spends its time in Python (building jobs, packing
    # commands), so the queue is filled by `procs` producer processes at once.
    import subprocess

    t0 = time.perf_counter()
    parts = [n // procs + (1 if k < n % procs else 0) for k in range(procs)]
    children = [subprocess.Popen([sys.executable, __file__, "fill-part", str(p)]) for p in parts]
    codes = [c.wait() for c in children]
    if any(codes):
        sys.exit(f"rq driver: a fill process failed: {codes}")
    dt = time.perf_counter() - t0
    log(f"filled {n} with {procs} processes in {dt:.1f}s ({n / dt:.0f}/s)")


def main():
    cmd = sys.argv[1]
    n = int(sys.argv[2])
    if cmd == "wait-workers":
        wait_workers(n)
    elif cmd == "enqueue":
        enqueue(n)
    elif cmd == "e2e":
        e2e(n, timeout=float(sys.argv[3]) if len(sys.argv) > 3 else 600.0)
    elif cmd == "latency":
        latency(n, sleep=float(sys.argv[3]) if len(sys.argv) > 3 else 0.0002)
    elif cmd == "fill":
        fill(n, int(sys.argv[3]) if len(sys.argv) > 3 else 2)
    elif cmd == "fill-part":
        enqueue_batches(n)
    else:
        sys.exit(f"rq driver: unknown command {cmd}")


if __name__ == "__main__":
    main()
