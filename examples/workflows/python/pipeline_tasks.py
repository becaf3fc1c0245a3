"""The tasks of the workflow examples, for the Python worker.

    python3 -m jobq.worker --broker tcp://HOST:5556 --queues py --tasks pipeline_tasks

A node's parents' results arrive in its keyword argument ``inputs``:
``{parent node name: result}``.
"""

import hashlib
import os
import urllib.request

import jobq


@jobq.task
def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return {"url": url, "text": response.read().decode("utf-8", "replace")}


@jobq.task
def checksum(inputs):
    (page,) = inputs.values()  # one parent: fetch
    data = page["text"].encode()
    return {"url": page["url"], "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


@jobq.task
def store(inputs, directory):
    (summary,) = inputs.values()  # one parent: checksum
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, summary["sha256"][:16] + ".txt")
    with open(path, "w") as out:
        out.write(f"{summary['sha256']} {summary['bytes']} {summary['url']}\n")
    return path


@jobq.task(kind="cpu")
def sum_squares_range(start, stop):
    # A decimal string: the sums pass 2^53, where JSON numbers stop being exact.
    return {"sum": str(sum(i * i for i in range(start, stop)))}


@jobq.task
def add_parts(inputs):
    return {"parts": len(inputs), "sum": str(sum(int(part["sum"]) for part in inputs.values()))}
