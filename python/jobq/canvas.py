"""Chain, group and chord: a workflow's DAG built from pieces, as Celery's canvas.

    flow = jobq.chord([jobq.signature("sum_squares", n=n) for n in sizes],
                      jobq.node("total", jobq.signature("add_parts")))
    future = client.submit_workflow(flow, name="squares")

A piece (``Flow``) is a set of nodes with its *heads* (the nodes that take
the piece's parents) and its *tails* (the nodes the next piece waits for).
``chain`` makes every head of a piece wait for every tail of the piece
before it, so ``chain(group(a, b), c)`` is the chord a, b -> c and
``chain(a, group(b, c), d)`` a diamond. A ``jobq.Job`` (``signature`` makes
one), a task name or an ``@jobq.task`` function is a one-node piece, named
at submit after its task ("sum_squares-1", ...) unless ``node`` names it.
Flows are immutable values; composing copies nothing the caller holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .client import Job


def signature(task: Any, /, *args: Any, **kwargs: Any) -> Job:
    """``task(*args, **kwargs)`` as a ``jobq.Job``, for the canvas or ``submit_many``.

    Job options go through ``Job.with_options``, never the task's own
    keyword arguments. A node with parents takes keyword arguments only:
    its payload (a JSON object) gains ``inputs``.
    """
    return Job(task, tuple(args), dict(kwargs))


@dataclass(frozen=True)
class FlowNode:
    """One node of a Flow: its name (None: named at submit), its job, its parents by index."""

    name: str | None
    job: Job
    parents: tuple[int, ...] = ()


class Flow:
    """A piece of a workflow: nodes, heads and tails. Build with chain, group, chord, node."""

    __slots__ = ("nodes", "heads", "tails")

    def __init__(self, nodes: tuple[FlowNode, ...] = (), heads: tuple[int, ...] = (), tails: tuple[int, ...] = ()):
        self.nodes = nodes
        self.heads = heads
        self.tails = tails

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        names = [node.name or f"<{_task_text(node.job.task)}>" for node in self.nodes[:5]]
        more = ", ..." if len(self.nodes) > 5 else ""
        return f"Flow({len(self.nodes)} nodes: {', '.join(names)}{more})"


def _task_text(task: Any) -> str:
    return task if isinstance(task, str) else getattr(task, "__name__", repr(task))


def as_flow(part: Any) -> Flow:
    """A piece from a Flow, a Job, a task name or an @jobq.task function."""
    if isinstance(part, Flow):
        return part
    if isinstance(part, Job):
        return Flow((FlowNode(None, part),), (0,), (0,))
    if isinstance(part, (list, tuple)):
        return group(*part)
    if isinstance(part, str) or callable(part):
        return Flow((FlowNode(None, Job(part)),), (0,), (0,))
    raise TypeError(f"a workflow piece is a jobq.Job, a Flow, a task name or an @jobq.task function, not {part!r}")


def node(name: str, job: Any, /) -> Flow:
    """A one-node piece with a name of its own: the key of its result in its children's ``inputs``."""
    if not isinstance(name, str):
        raise TypeError(f"a node name is a str, not {name!r}")
    piece = as_flow(job)
    if len(piece.nodes) != 1:
        raise TypeError(f"node({name!r}, ...) names one job, not a piece of {len(piece.nodes)} nodes")
    return Flow((FlowNode(name, piece.nodes[0].job),), (0,), (0,))


def _append(nodes: list[FlowNode], piece: Flow, extra_parents: tuple[int, ...]) -> int:
    """Appends ``piece``'s nodes (its heads also waiting for ``extra_parents``); its offset."""
    offset = len(nodes)
    heads = set(piece.heads)
    for index, flow_node in enumerate(piece.nodes):
        parents = tuple(offset + parent for parent in flow_node.parents)
        if index in heads:
            parents = extra_parents + parents
        nodes.append(FlowNode(flow_node.name, flow_node.job, parents))
    return offset


def chain(*parts: Any) -> Flow:
    """Each piece after the one before it: ``chain(a, b, c)`` is a -> b -> c."""
    nodes: list[FlowNode] = []
    heads: tuple[int, ...] = ()
    tails: tuple[int, ...] = ()
    for part in parts:
        piece = as_flow(part)
        if not piece.nodes:
            continue
        offset = _append(nodes, piece, tails)
        if not heads:
            heads = tuple(offset + head for head in piece.heads)
        tails = tuple(offset + tail for tail in piece.tails)
    return Flow(tuple(nodes), heads, tails)


def group(*parts: Any) -> Flow:
    """The pieces side by side, independent of each other.

    ``group(a, b)`` or ``group([a, b])``: one iterable argument is the list of pieces.
    """
    if len(parts) == 1 and not isinstance(parts[0], (Flow, Job, str)) and isinstance(parts[0], Iterable):
        parts = tuple(parts[0])
    nodes: list[FlowNode] = []
    heads: list[int] = []
    tails: list[int] = []
    for part in parts:
        piece = as_flow(part)
        offset = _append(nodes, piece, ())
        heads.extend(offset + head for head in piece.heads)
        tails.extend(offset + tail for tail in piece.tails)
    return Flow(tuple(nodes), tuple(heads), tuple(tails))


def chord(header: Any, callback: Any) -> Flow:
    """``callback`` after every tail of ``header`` (a group, or a list of pieces).

    Its task receives every header node's result in ``inputs``, keyed by
    node name. An empty header leaves the callback alone.
    """
    return chain(group(header) if not isinstance(header, Flow) else header, callback)
