"""Workflows from Python: a chain (fetch -> checksum -> store) and a chord
(a map-reduce of sum_squares chunks whose callback adds the parts exactly).

    python3 -m jobq.worker --broker tcp://HOST:5556 --queues py --tasks pipeline_tasks &
    JOBQ_BROKER=tcp://HOST:5555 python3 pipeline.py URL [DIRECTORY]

Each workflow is submitted whole: the broker keeps it durably and starts a
node once its parents have succeeded, on whichever workers are free.
"""

import os
import sys
import tempfile

import jobq

broker = os.environ.get("JOBQ_BROKER", "tcp://127.0.0.1:5555")
url = sys.argv[1] if len(sys.argv) > 1 else "https://example.com/"
directory = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp(prefix="jobq-pipeline-")
chunks = int(os.environ.get("JOBQ_EXAMPLE_CHUNKS", "100"))
chunk = int(os.environ.get("JOBQ_EXAMPLE_CHUNK", "100000"))

with jobq.Executor(broker, queue=os.environ.get("JOBQ_EXAMPLE_QUEUE", "py")) as executor:
    # A chain: each node receives the one before's result in `inputs`.
    ingest = jobq.chain(
        jobq.node("fetch", jobq.signature("fetch", url=url)),
        jobq.node("checksum", jobq.signature("checksum")),
        jobq.node("store", jobq.signature("store", directory=directory)),
    )
    flow = executor.submit_workflow(ingest, name="ingest")
    results = flow.result()
    print(f"   chain {flow.id}: {url} -> {results['checksum']['bytes']} bytes, "
          f"sha256 {results['checksum']['sha256'][:16]}... -> {results['store']}")

    # A chord: the chunks run in parallel; `total` waits for all of them.
    parts = [jobq.signature("sum_squares_range", start=k * chunk, stop=(k + 1) * chunk) for k in range(chunks)]
    flow = executor.submit_workflow(jobq.chord(parts, jobq.node("total", jobq.signature("add_parts"))), name="squares")
    total = flow.result()["total"]
    n = chunks * chunk
    exact = (n - 1) * n * (2 * n - 1) // 6  # the sum of i * i for i < n
    print(f"   chord {flow.id}: {total['parts']} chunks, sum of squares below {n:,} = {total['sum']} "
          f"({'exact' if int(total['sum']) == exact else 'WRONG, expected ' + str(exact)})")
    assert int(total["sum"]) == exact
