"""The reference's error handling: as_completed, one try per future.

A task that raises comes back as jobq.RemoteError, with the remote class
name and traceback, instead of the exception object itself.
"""

import os
from concurrent.futures import as_completed

import jobq
from tasks import risky_task

broker = os.environ.get("JOBQ_BROKER", "tcp://127.0.0.1:5555")

with jobq.Executor(broker, queue=os.environ.get("JOBQ_EXAMPLE_QUEUE", "py")) as executor:
    futures = {executor.submit(risky_task, i): i for i in range(5)}
    for future in as_completed(futures):
        task_id = futures[future]
        try:
            print(f"   {future.result()}")
        except jobq.RemoteError as exc:
            print(f"   Task {task_id} generated an exception: {exc.exception}: {exc.message}")
