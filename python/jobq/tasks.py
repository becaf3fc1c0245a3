"""The ``@jobq.task`` decorator and the registry of Python tasks.

A producer uses the decorated function as a handle (``executor.submit(fn,
...)`` sends its registered name); a Python worker imports the modules named
by ``--tasks`` and runs what they registered here. Both sides therefore
agree on a task by its *name*, which defaults to the function's
``__name__`` so that the C++ CLI can name it too (``jobq submit fetch``).
"""

from __future__ import annotations

import inspect
import threading
from dataclasses import dataclass
from typing import Any, Callable, Literal, TypeVar, overload

Kind = Literal["io", "cpu"]
KINDS: tuple[str, ...] = ("io", "cpu")

F = TypeVar("F", bound=Callable[..., Any])

# The attribute a decorated function carries, so submit() finds its name
# without a lookup.
TASK_ATTRIBUTE = "__jobq_task__"


@dataclass(frozen=True)
class TaskDef:
    """One registered task: how a worker runs it and what a producer sends."""

    name: str
    fn: Callable[..., Any]
    kind: str  # "io" (thread pool, or the event loop when async) or "cpu" (process pool)
    is_async: bool


_lock = threading.Lock()
_registry: dict[str, TaskDef] = {}


def _same_function(a: Callable[..., Any], b: Callable[..., Any]) -> bool:
    # One module imported twice (as __main__ and by name, say) defines the
    # "same" function twice; that is a re-registration, not a clash.
    code_a = getattr(a, "__code__", None)
    code_b = getattr(b, "__code__", None)
    return (
        getattr(a, "__qualname__", None) == getattr(b, "__qualname__", None)
        and code_a is not None
        and code_b is not None
        and code_a.co_filename == code_b.co_filename
    )


def _register(fn: Callable[..., Any], name: str | None, kind: str) -> TaskDef:
    if not callable(fn):
        raise TypeError(f"@jobq.task decorates a function, not {fn!r}")
    if kind not in KINDS:
        raise ValueError(f'@jobq.task(kind={kind!r}): kind is "io" or "cpu"')
    task_name = name if name is not None else getattr(fn, "__name__", None)
    if not isinstance(task_name, str) or not task_name:
        raise ValueError(f"@jobq.task: {fn!r} has no __name__; give name=")
    is_async = inspect.iscoroutinefunction(fn)
    if is_async and kind == "cpu":
        raise ValueError(
            f'@jobq.task {task_name}: an async def task runs on the event loop; it cannot be kind="cpu"'
        )
    definition = TaskDef(task_name, fn, kind, is_async)
    with _lock:
        existing = _registry.get(task_name)
        if existing is not None and not _same_function(existing.fn, fn):
            raise ValueError(
                f"two tasks named {task_name!r}: {existing.fn.__module__}.{existing.fn.__qualname__} "
                f"and {fn.__module__}.{getattr(fn, '__qualname__', fn)}; give one @jobq.task(name=...)"
            )
        _registry[task_name] = definition
    try:
        setattr(fn, TASK_ATTRIBUTE, definition)
    except (AttributeError, TypeError):
        pass  # a builtin or a callable object without __dict__: found by name only
    return definition


@overload
def task(fn: F, /) -> F: ...
@overload
def task(*, name: str | None = None, kind: str = "io") -> Callable[[F], F]: ...


def task(fn: Any = None, /, *, name: str | None = None, kind: str = "io") -> Any:
    """Registers a function as a jobq task; usable bare or with arguments.

    ``@jobq.task`` or ``@jobq.task(name="resize", kind="cpu")``. ``kind`` is
    the worker pool that runs it by default: "io" (threads; an ``async def``
    task runs on the worker's event loop) or "cpu" (one process per core).
    The function is returned unchanged, so it can still be called locally.
    """
    if fn is not None:
        _register(fn, name, kind)
        return fn

    def decorate(function: F) -> F:
        _register(function, name, kind)
        return function

    return decorate


def registry() -> dict[str, TaskDef]:
    """A snapshot of the registered tasks by name."""
    with _lock:
        return dict(_registry)


def task_name(task_or_name: Any) -> str:
    """The name a producer sends for ``task_or_name``: a name, or a decorated function."""
    if isinstance(task_or_name, str):
        if not task_or_name:
            raise ValueError("the task name is empty")
        return task_or_name
    definition = getattr(task_or_name, TASK_ATTRIBUTE, None)
    if isinstance(definition, TaskDef):
        return definition.name
    raise TypeError(
        f"submit() takes a task name or a function decorated with @jobq.task, not {task_or_name!r}"
    )
