"""The reference's workloads as jobq tasks, for the Python worker.

    python3 -m jobq.worker --broker tcp://HOST:5556 --tasks tasks

Each function is the one the reference runs on a ThreadPoolExecutor, a
ProcessPoolExecutor or an event loop; ``@jobq.task`` registers it under its
name and says which of the worker's pools runs it.
"""

import asyncio
import time
import urllib.parse
import urllib.request

import jobq


@jobq.task  # kind="io": the worker's thread pool
def fetch_url(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return [url, len(response.read())]


@jobq.task(kind="cpu")  # one process per core: no GIL between them
def cpu_intensive_task(n):
    return sum(i * i for i in range(n))


@jobq.task(kind="cpu")
def factorial(n):
    result = 1
    for i in range(2, n + 1):
        result *= i
    # A 2,568-digit integer is not a JSON number any reader keeps exact.
    return str(result)


@jobq.task  # async def: the worker's one event loop, no thread per call
async def fetch_url_async(url):
    parts = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
    writer.write(f"GET {parts.path or '/'} HTTP/1.0\r\nHost: {parts.hostname}\r\n\r\n".encode())
    content = await reader.read()
    writer.close()
    await writer.wait_closed()
    return [url, len(content.partition(b"\r\n\r\n")[2])]


@jobq.task
async def io_bound_task_async(delay):
    await asyncio.sleep(delay)
    return delay


@jobq.task
def risky_task(task_id):
    if task_id == 3:
        raise ValueError(f"Task {task_id} failed")
    return f"Task {task_id} completed"


@jobq.task
def consume(item):
    time.sleep(0.05)
    return f"consumed {item}"
