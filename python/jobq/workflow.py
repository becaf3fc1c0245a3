"""Workflows: a DAG of jobs submitted whole (docs/protocol.md, "WORKFLOW").

``Workflow`` is the DAG written out node by node (a name, a job, the names
of its parents); the canvas (jobq.canvas: chain, group, chord) builds one
from pieces. ``Client.submit_workflow`` encodes every node first (a bad
argument raises and sends nothing), then hands one WORKFLOW to the I/O
thread, which gives it a client_seq and a submit token and sends it again
after a reconnect until the broker answers (jobq._submits). The broker
takes all of it or none: its refusal, naming the node, fails the
WorkflowFuture and every node's future with RemoteError.

The broker checks the DAG itself (names, parents, cycles, limits), so this
module checks only what is Python's: the types, JSON arguments, and that a
node with parents takes keyword arguments only.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from ._jobspec import JobOptions, varint
from .canvas import as_flow
from .client import Job, as_options, encode, outcome_of
from .errors import RemoteError, WorkflowError
from .future import JobFuture, id_known
from .tasks import TASK_ATTRIBUTE

if TYPE_CHECKING:
    from ._connection import Connection
    from .client import Outcome

# docs/protocol.md: a node name is 1 to 200 letters, digits, '.', '_', '-'.
NODE_NAME_MAX = 200
# A generated name is the task's name (cut to this) and "-N": room for any N.
_GENERATED_BASE_MAX = NODE_NAME_MAX - 21
_NAME_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")

# The most a WORKFLOW may take: under the broker's default --message-max
# (17 MiB), which closes the connection on a larger message, unanswered.
WORKFLOW_BYTES_MAX = 16 << 20

# Field tags of WorkflowNode and SubmitWorkflow (wire.proto).
_TAG_NODE_NAME = b"\x0a"  # 1
_TAG_NODE_JOB = b"\x12"  # 2
_TAG_NODE_AFTER = b"\x1a"  # 3
_TAG_FLOW_NAME = b"\x12"  # 2
_TAG_FLOW_NODE = b"\x1a"  # 3
_FLOW_NOTIFY = b"\x20\x01"  # 4, true


@dataclass(frozen=True)
class WorkflowNode:
    """A node written out: its name (None: named at submit after its task), job and parents' names."""

    name: str | None
    job: Job
    after: tuple[str, ...] = ()


class Workflow:
    """A DAG of jobs, node by node; submitted whole with ``Client.submit_workflow``.

        flow = jobq.Workflow("ingest")
        flow.add("fetch", jobq.signature("fetch", url=url))
        flow.add("checksum", jobq.signature("checksum"), after=["fetch"])

    A node's task receives its parents' results in the keyword argument
    ``inputs`` ({parent name: result}). Names are the broker's to check
    (unique, 1 to 200 letters, digits, . _ -), as are parents and cycles.
    """

    def __init__(self, name: str = "", nodes: Iterable[WorkflowNode] = ()) -> None:
        if not isinstance(name, str):
            raise TypeError(f"a workflow's name is a str, not {name!r}")
        self.name = name
        self.nodes: list[WorkflowNode] = list(nodes)

    def add(self, name: str | None, job: Any, after: Iterable[str] = ()) -> str | None:
        """Adds a node (``job`` a jobq.Job, a task name or an @jobq.task function); returns ``name``."""
        if name is not None and not isinstance(name, str):
            raise TypeError(f"a node name is a str, not {name!r}")
        if isinstance(after, str):
            after = (after,)
        parents = tuple(after)
        for parent in parents:
            if not isinstance(parent, str):
                raise TypeError(f"node {name!r}: after holds node names (str), not {parent!r}")
        self.nodes.append(WorkflowNode(name, _as_job(job), parents))
        return name

    def __len__(self) -> int:
        return len(self.nodes)

    @classmethod
    def of(cls, flow: Any, name: str = "") -> "Workflow":
        """The workflow of a canvas piece: its unnamed nodes named, parents by name."""
        piece = as_flow(flow)
        names = unique_names([node.name for node in piece.nodes], [node.job.task for node in piece.nodes])
        nodes = [
            WorkflowNode(names[index], node.job, tuple(names[parent] for parent in node.parents))
            for index, node in enumerate(piece.nodes)
        ]
        return cls(name, nodes)


def _as_job(job: Any) -> Job:
    if isinstance(job, Job):
        return job
    if isinstance(job, str) or callable(job):
        return Job(job)
    raise TypeError(f"a node's job is a jobq.Job, a task name or an @jobq.task function, not {job!r}")


def _generated_base(task: Any) -> str:
    text = task if isinstance(task, str) else getattr(getattr(task, TASK_ATTRIBUTE, None), "name", "")
    raw = text.encode("utf-8", "surrogatepass")[:_GENERATED_BASE_MAX]
    # Byte by byte, as the C++ client does: both clients name a node alike.
    base = "".join(chr(byte) if byte in _NAME_BYTES else "_" for byte in raw)
    return base or "node"


def unique_names(names: list[str | None], tasks: list[Any]) -> list[str]:
    """Every None in ``names`` replaced by TASK-N, unique among all the names."""
    taken = {name for name in names if name is not None}
    next_number: dict[str, int] = {}
    out = []
    for name, task in zip(names, tasks):
        if name is None:
            base = _generated_base(task)
            number = next_number.get(base, 0)
            while True:
                number += 1
                name = f"{base}-{number}"
                if name not in taken:
                    break
            next_number[base] = number
            taken.add(name)
        out.append(name)
    return out


def _text_field(tag: bytes, text: str, what: str) -> bytes:
    try:
        raw = text.encode()
    except UnicodeEncodeError:
        raise ValueError(f"{what} {text!r} is not valid text (a lone surrogate)") from None
    return tag + varint(len(raw)) + raw


def encode_workflow(workflow: Workflow, defaults: JobOptions) -> tuple[list[str], bytes]:
    """(node names, the SubmitWorkflow fields but client_seq and the token); TypeError or
    ValueError naming the node for what the client refuses to send."""
    names = unique_names([node.name for node in workflow.nodes], [node.job.task for node in workflow.nodes])
    parts = [_text_field(_TAG_FLOW_NAME, workflow.name, "the workflow's name")] if workflow.name else []
    for name, wf_node in zip(names, workflow.nodes):
        job = wf_node.job
        try:
            options = as_options(job.options, defaults)
            spec = encode(options, job.task, job.args, job.kwargs or {}, has_parents=bool(wf_node.after))
        except (TypeError, ValueError) as error:
            raise type(error)(f"node {name!r}: {error}") from None
        node = _text_field(_TAG_NODE_NAME, name, "node name") + _TAG_NODE_JOB + varint(len(spec)) + spec
        for parent in wf_node.after:
            node += _text_field(_TAG_NODE_AFTER, parent, f"node {name!r}: parent name")
        parts.append(_TAG_FLOW_NODE + varint(len(node)) + node)
    parts.append(_FLOW_NOTIFY)
    body = b"".join(parts)
    if len(body) > WORKFLOW_BYTES_MAX:
        raise ValueError(
            f"the workflow encodes to {len(body):,} bytes, past the {WORKFLOW_BYTES_MAX:,} one WORKFLOW may "
            "take (the broker's --message-max is 17 MiB by default): split it, or pass large data by reference"
        )
    return names, body


class WorkflowFuture(Future):  # type: ignore[type-arg]
    """A submitted workflow: done once every node has finished.

    ``result()`` is ``{node name: result}`` when every node succeeded; else
    it raises ``jobq.WorkflowError`` naming the first node that failed (the
    cause, not the descendants it cancelled), or the broker's refusal
    (``RemoteError``, ``state == "rejected"``), or the client's own failure.
    ``nodes[name]`` is each node's ``JobFuture``, in the order submitted.
    """

    def __init__(self, name: str, node_names: list[str], futures: list[JobFuture]) -> None:
        super().__init__()
        self.name = name
        self.node_names = node_names
        self.nodes: dict[str, JobFuture] = {}
        for node_name, future in zip(node_names, futures):
            self.nodes.setdefault(node_name, future)
        self._futures = futures
        self._raw_id: bytes | None = None
        self.duplicate = False
        self._answered = threading.Event()
        self._lock = threading.Lock()
        self._unfinished = len(futures)
        # The broker's refusal, or the client's failure, before it accepted.
        self._failure: BaseException | None = None
        self._rejection: BaseException | None = None
        for future in futures:
            future.add_done_callback(self._node_done)

    @property
    def id(self) -> str | None:
        """The workflow's id (36-character text) once the broker accepted it; None before."""
        raw = self._raw_id
        return None if raw is None else str(uuid.UUID(bytes=raw))

    def accepted(self, timeout: float | None = None) -> str:
        """Waits for the broker's answer; the workflow's id.

        Raises the refusal (RemoteError: ``bad_request``, ``queue_full``,
        ``shutting_down``, with the broker's message naming the node), the
        client's failure, or TimeoutError.
        """
        if not self._answered.wait(timeout):
            raise TimeoutError(f"the broker had not answered the workflow in {timeout} s")
        raw = self._raw_id
        if raw is not None:
            return str(uuid.UUID(bytes=raw))
        assert self._failure is not None, "answered, neither accepted nor failed"
        raise self._failure

    def outcomes(self, timeout: float | None = None) -> dict[str, "Outcome"]:
        """Every node's Outcome by name, once all have finished (node failures are
        outcomes, not exceptions); raises the refusal or the client's failure."""
        try:
            self.exception(timeout)
        except CancelledError:
            pass
        if self._rejection is not None:
            raise self._rejection
        outcomes = {}
        for name, future in zip(self.node_names, self._futures):
            if future.cancelled():
                continue
            outcomes[name] = outcome_of(future.job_id or "", future)
        return outcomes

    def cancel(self) -> bool:
        """Cancels every node not finished (on the broker too, as JobFuture.cancel), the
        last submitted first, and this future; True if it is cancelled."""
        if self.cancelled():
            return True  # as Future.cancel; the nodes were cancelled then
        # Itself first: the nodes' callbacks then find it done.
        if not Future.cancel(self):
            return False
        # Last node first: the canvas lists parents before children, and a
        # child cancelled after its parent could end upstream_failed on the
        # broker, its outcome here before its own cancel.
        for future in reversed(self._futures):
            future.cancel()
        return True

    # -- the client's I/O thread -------------------------------------------------

    def _accept(self, raw_id: bytes, duplicate: bool) -> None:
        self._raw_id = raw_id
        self.duplicate = duplicate
        self._answered.set()
        if not self._futures:
            _settle(self, {})  # no node will call back (a broker takes no empty workflow)

    def _fail(self, error: BaseException, rejected: bool) -> None:
        self._failure = error
        if rejected:
            self._rejection = error
        self._answered.set()
        _settle(self, error=error)

    def _node_done(self, _: Future) -> None:  # type: ignore[type-arg]
        with self._lock:
            self._unfinished -= 1
            if self._unfinished:
                return
        if self._rejection is not None:
            _settle(self, error=self._rejection)
            return
        results = {}
        failed: list[tuple[str, BaseException]] = []
        for name, future in zip(self.node_names, self._futures):
            if future.cancelled():
                failed.append((name, RemoteError("cancelled", "its future was cancelled", state="cancelled")))
                continue
            error = future.exception(0)
            if error is None:
                results[name] = future.result(0)
            elif not isinstance(error, RemoteError):
                _settle(self, error=error)  # the client's own failure, not a node's
                return
            else:
                failed.append((name, error))
        if not failed:
            _settle(self, results)
            return
        _settle(self, error=WorkflowError.of(self.id, failed))


def _settle(future: Future, value: Any = None, error: BaseException | None = None) -> None:  # type: ignore[type-arg]
    if future.done():
        return
    try:
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)
    except Exception:  # noqa: BLE001  InvalidStateError: cancelled meanwhile by its caller
        pass


class PendingWorkflow:
    """A workflow between its caller and the broker's answer; the I/O thread's (jobq._submits)."""

    __slots__ = ("body", "futures", "future", "cost", "seq")

    def __init__(self, body: bytes, futures: list[JobFuture], future: WorkflowFuture, cost: int) -> None:
        self.body = body
        self.futures = futures
        self.future = future
        self.cost = cost  # window tickets it holds until answered
        self.seq = 0

    def accept(self, answer: Any, on_accepted: Any) -> None:
        """The broker took it: each node's future gets its id and is watched."""
        node_ids = list(answer.node_ids)
        if len(answer.id) != 16 or len(node_ids) != len(self.futures) or any(len(i) != 16 for i in node_ids):
            self.fail(
                RemoteError(
                    "bad_response",
                    f"the broker acknowledged the workflow with a malformed answer ({len(answer.id)}-byte id, "
                    f"{len(node_ids)} node ids for {len(self.futures)} nodes)",
                    state="rejected",
                ),
                rejected=True,
            )
            return
        self.future._accept(answer.id, answer.duplicate)
        for raw_id, future in zip(node_ids, self.futures):
            future._jobq_id = raw_id
            id_known(future)
            on_accepted(raw_id, future, True)

    def fail(self, error: BaseException, rejected: bool = False) -> None:
        if rejected and isinstance(error, RemoteError):
            for future in self.futures:
                future._jobq_state = "rejected"
        self.future._fail(error, rejected)
        for future in self.futures:
            _settle(future, error=error)

    def cancel_locally(self) -> None:
        """Shutdown with cancel_futures: its nodes are cancelled once the broker names them."""
        for future in self.futures:
            future.cancel_locally()


def submit(connection: "Connection", defaults: JobOptions, workflow: Any, name: str | None) -> WorkflowFuture:
    """Client.submit_workflow: encodes, then queues the WORKFLOW for the I/O thread."""
    if not isinstance(workflow, Workflow):
        workflow = Workflow.of(workflow, name or "")
    elif name is not None:
        workflow = Workflow(name, workflow.nodes)
    names, body = encode_workflow(workflow, defaults)
    futures = [JobFuture(connection) for _ in names]
    future = WorkflowFuture(workflow.name, names, futures)
    cost = max(1, min(len(names), connection.window))
    connection.submit_workflow(PendingWorkflow(body, futures, future, cost))
    return future

