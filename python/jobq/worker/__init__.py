"""The Python worker of jobq: ``python3 -m jobq.worker --tasks MODULE``.

Only what a task needs is exported here (``current_job``, ``TaskError``),
and importing it loads no sockets or pools: task modules import it, and so
do the CPU children. The worker itself is ``jobq.worker.__main__``.
"""

from jobq.worker.context import JobContext, current_job
from jobq.worker.errors import TaskError

__all__ = ["JobContext", "TaskError", "current_job"]
