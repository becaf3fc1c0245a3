#!/usr/bin/python3
"""The pgq peer's driver (bench/peers/pgq/run.sh): PgQ on PostgreSQL, with
Debian's python3-psycopg2.

    pgq_bench.py e2e DSN QUEUE JOBS BATCH
    pgq_bench.py enqueue DSN QUEUE JOBS BATCH

e2e: registers a consumer on QUEUE, starts it in a process of its own (the
"worker") and, once it is polling, inserts JOBS events from this process
with pgq.insert_event, BATCH per transaction, while the consumer reads
batches (pgq.next_batch, the events of each fetched with
pgq.get_batch_events, pgq.finish_batch, one transaction per batch) until it
has seen all JOBS. Prints the seconds from the first insert to the commit of
the batch holding the last event. pgqd must be ticking the queue.

enqueue: inserts JOBS events as above with no consumer; prints the seconds
from the first insert to the last commit (an event is acknowledged once its
transaction has committed).

Progress and errors on stderr; exit 1 on any failure.
"""

import multiprocessing
import sys
import time

import psycopg2

PAYLOAD = '{"task": "noop"}'
POLL_SECONDS = 0.005  # a consumer's sleep when pgq has no new batch


def produce(dsn, queue, jobs, batch):
    """Inserts jobs events, batch per transaction; returns (start, end) in time.monotonic()."""
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    start = time.monotonic()
    sent = 0
    while sent < jobs:
        n = min(batch, jobs - sent)
        cur.execute("SELECT count(pgq.insert_event(%s, 'noop', d)) FROM unnest(%s::text[]) AS d",
                    (queue, [PAYLOAD] * n))
        inserted = cur.fetchone()[0]
        if inserted != n:
            raise RuntimeError(f"inserted {inserted} events, expected {n}")
        conn.commit()
        sent += n
    end = time.monotonic()
    conn.close()
    return start, end


def consume(dsn, queue, consumer, jobs, ready, result):
    """The consumer process: reads batches until jobs events are seen; sends the
    monotonic time of the last batch's commit (or an error string) on result."""
    try:
        conn = psycopg2.connect(dsn)
        cur = conn.cursor()
        ready.send(True)
        seen = 0
        batches = 0
        while seen < jobs:
            cur.execute("SELECT pgq.next_batch(%s, %s)", (queue, consumer))
            batch_id = cur.fetchone()[0]
            if batch_id is None:
                conn.commit()
                time.sleep(POLL_SECONDS)
                continue
            cur.execute("SELECT ev_id, ev_type, ev_data FROM pgq.get_batch_events(%s)", (batch_id,))
            for _ev_id, ev_type, ev_data in cur.fetchall():  # the "work": a noop
                if ev_type != "noop" or ev_data != PAYLOAD:
                    raise RuntimeError(f"unexpected event {ev_type!r} {ev_data!r}")
                seen += 1
            cur.execute("SELECT pgq.finish_batch(%s)", (batch_id,))
            conn.commit()
            batches += 1
        done = time.monotonic()
        if seen != jobs:
            raise RuntimeError(f"consumed {seen} events, expected {jobs}")
        print(f"pgq_bench: consumer saw {seen} events in {batches} batches", file=sys.stderr)
        conn.close()
        result.send(done)
    except Exception as e:  # reported to the parent, which fails
        result.send(f"consumer failed: {e}")


def e2e(dsn, queue, jobs, batch):
    consumer = "bench_worker"
    conn = psycopg2.connect(dsn)
    cur = conn.cursor()
    cur.execute("SELECT pgq.register_consumer(%s, %s)", (queue, consumer))
    conn.commit()
    conn.close()
    ctx = multiprocessing.get_context("fork")
    ready_r, ready_w = ctx.Pipe(duplex=False)
    result_r, result_w = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=consume, args=(dsn, queue, consumer, jobs, ready_w, result_w))
    proc.start()
    if not ready_r.poll(60):
        proc.kill()
        raise RuntimeError("the consumer did not start")
    ready_r.recv()
    start, produced = produce(dsn, queue, jobs, batch)
    print(f"pgq_bench: {jobs} events inserted and committed in {produced - start:.3f} s",
          file=sys.stderr)
    if not result_r.poll(600):
        proc.kill()
        raise RuntimeError("the consumer did not see every event within 600 s")
    done = result_r.recv()
    proc.join()
    if isinstance(done, str):
        raise RuntimeError(done)
    return done - start


def enqueue(dsn, queue, jobs, batch):
    start, end = produce(dsn, queue, jobs, batch)
    return end - start


def main(argv):
    if len(argv) != 6 or argv[1] not in ("e2e", "enqueue"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, dsn, queue, jobs, batch = argv[1], argv[2], argv[3], int(argv[4]), int(argv[5])
    try:
        secs = (e2e if mode == "e2e" else enqueue)(dsn, queue, jobs, batch)
    except (psycopg2.Error, RuntimeError) as e:
        print(f"pgq_bench: {mode}: {e}", file=sys.stderr)
        return 1
    print(f"{secs:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
