"""The Python worker's tasks of bench/python/run.sh (``--tasks bench_tasks``).

Named as the C++ worker's built-ins, so one producer line (``{"task":
"noop"}``) runs on either worker and the rows compare the workers, not the
payloads.
"""

import asyncio

import jobq


@jobq.task
def noop(**_ignored):
    """Does nothing: what is measured is jobq's cost per job."""
    return None


@jobq.task
async def asleep(seconds):
    """Waits on the worker's event loop: 10,000 of them need no 10,000 threads."""
    await asyncio.sleep(seconds)
    return seconds
