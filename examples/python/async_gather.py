"""The reference's asyncio example: many I/O calls at once, none holding a
thread. The tasks are ``async def``: the Python worker runs them all on its
one event loop, so 1,000 concurrent one-second waits take about a second.
"""

import concurrent.futures
import os
import time

import jobq
from tasks import io_bound_task_async

broker = os.environ.get("JOBQ_BROKER", "tcp://127.0.0.1:5555")
count = int(os.environ.get("JOBQ_EXAMPLE_COUNT", "1000"))

with jobq.Executor(broker, queue=os.environ.get("JOBQ_EXAMPLE_QUEUE", "py")) as executor:
    start = time.time()
    futures = [executor.submit(io_bound_task_async, 1) for _ in range(count)]
    done, _ = concurrent.futures.wait(futures)
    print(f"   {count} concurrent asyncio.sleep(1) tasks: {time.time() - start:.2f} s, "
          f"{sum(f.exception() is None for f in done)} succeeded")
