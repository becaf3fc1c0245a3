"""jobq for Python: concurrent.futures across machines.

    import jobq

    with jobq.Executor("tcp://127.0.0.1:5555") as executor:
        print(executor.submit("sum_squares", n=1_000_000).result())

``Executor`` is a concurrent.futures.Executor whose jobs run on jobq
workers (C++ or Python); ``Client`` is the connection below it, with waits
by id, cancel and sentinels; ``@task`` registers a Python task;
``chain``, ``group`` and ``chord`` build workflows (``submit_workflow``).
docs/python.md is the reference.
"""

from ._jobspec import JobOptions
from .canvas import Flow, chain, chord, group, node, signature
from ._payload import Kwargs
from ._version import __version__
from .client import Client, Job, Outcome
from .errors import (
    AuthenticationError,
    BrokerError,
    BrokerUnavailable,
    ClientClosed,
    JobqError,
    RemoteError,
    WorkflowError,
)
from .executor import Executor
from .future import JobFuture
from .tasks import TaskDef, task
from .worker.context import JobContext, current_job
from .worker.errors import TaskError
from .workflow import Workflow, WorkflowFuture, WorkflowNode

__all__ = [
    "AuthenticationError",
    "BrokerError",
    "BrokerUnavailable",
    "Client",
    "ClientClosed",
    "Executor",
    "Flow",
    "Job",
    "JobContext",
    "JobFuture",
    "JobOptions",
    "JobqError",
    "Kwargs",
    "Outcome",
    "RemoteError",
    "TaskDef",
    "TaskError",
    "Workflow",
    "WorkflowError",
    "WorkflowFuture",
    "WorkflowNode",
    "__version__",
    "chain",
    "chord",
    "current_job",
    "group",
    "node",
    "signature",
    "task",
]
