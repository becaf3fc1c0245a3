"""How a Python call becomes a job's payload, and a result becomes a value.

The rule (docs/python.md, "Arguments and results"), chosen so that C++
tasks, the ``jobq`` CLI and Python tasks read the same payloads:

* keyword arguments only (or none): the payload is the JSON object of the
  keyword arguments, content type ``application/json``.
  ``submit("sum_squares", n=1000)`` sends ``{"n":1000}``, exactly what
  ``jobq submit sum_squares --arg n=1000`` sends; a Python task receives
  them as keyword arguments.
* any positional argument: the payload is ``{"args": [...], "kwargs":
  {...}}`` with content type ``application/vnd.jobq.call+json`` (CALL_TYPE),
  which a Python worker unpacks as ``fn(*args, **kwargs)``. C++ tasks read
  only ``application/json`` and fail such a job with ``bad_args``.

``map`` passes positional arguments only, so for tasks that take keyword
arguments (every C++ built-in) an item may be a ``Kwargs``: a call whose only
argument is a Kwargs is ``task(**that_mapping)``.
``executor.map("sum_squares", [Kwargs(n=10), Kwargs(n=20)])``.

A Python worker given a plain ``application/json`` payload (from the CLI or
a C++ producer) calls ``fn(**obj)`` for an object, ``fn(*items)`` for an
array, ``fn()`` for null or an empty payload, and ``fn(value)`` otherwise.

Results are JSON (``application/json``); a result of another content type
reaches the caller as bytes.
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

JSON_TYPE = "application/json"
CALL_TYPE = "application/vnd.jobq.call+json"

_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


class Kwargs(dict):  # type: ignore[type-arg]
    """Keyword arguments as one value: ``submit(t, Kwargs(n=1))`` is ``submit(t, n=1)``."""

    __slots__ = ()


def _culprit(args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """Which argument cannot be JSON, for the error message."""
    for index, value in enumerate(args):
        try:
            _encoder.encode(value)
        except (TypeError, ValueError) as error:
            return f"positional argument {index} ({type(value).__name__}): {error}"
    for key, value in kwargs.items():
        try:
            _encoder.encode(value)
        except (TypeError, ValueError) as error:
            return f"keyword argument {key!r} ({type(value).__name__}): {error}"
    return "an argument"


def encode_call(task: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[bytes, str]:
    """(payload, content type) for ``task(*args, **kwargs)``; TypeError if not JSON."""
    if len(args) == 1 and type(args[0]) is Kwargs and not kwargs:
        args, kwargs = (), args[0]
    try:
        if args:
            text = _encoder.encode({"args": args, "kwargs": kwargs})
            content_type = CALL_TYPE
        else:
            text = _encoder.encode(kwargs)
            content_type = JSON_TYPE
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"arguments of task {task!r} must be JSON-serialisable (str, int, float, bool, None, "
            f"list, tuple, dict with str keys): {_culprit(args, kwargs)}"
        ) from error
    return text.encode(), content_type


def _json_text(payload: bytes) -> str:
    # UTF-8 (a BOM allowed, as the C++ tasks' parser allows it), never what
    # json.loads would guess from bytes (UTF-16, UTF-32): the worker bounds
    # the nesting of this text (worker/codec.py), so the parser must read the
    # same text, not one in which that bound's strings are brackets.
    return payload.decode("utf-8-sig")


def decode_call(payload: bytes, content_type: str) -> tuple[list[Any], dict[str, Any]]:
    """(args, kwargs) from a job's payload; ValueError when it is not such a payload."""
    if content_type == CALL_TYPE:
        call = json.loads(_json_text(payload))
        if not isinstance(call, dict) or not isinstance(call.get("args", []), list) or not isinstance(
            call.get("kwargs", {}), dict
        ):
            raise ValueError(f'a {CALL_TYPE} payload is {{"args": [...], "kwargs": {{...}}}}')
        return list(call.get("args", [])), dict(call.get("kwargs", {}))
    if content_type not in ("", JSON_TYPE):
        raise ValueError(f'content type "{content_type}": Python tasks read JSON')
    if not payload.strip():
        return [], {}
    value = json.loads(_json_text(payload))
    if value is None:
        return [], {}
    if isinstance(value, dict):
        return [], value
    if isinstance(value, list):
        return value, {}
    return [value], {}


def encode_result(value: Any) -> bytes:
    """A task's return value as the JSON a RESULT carries; TypeError or ValueError if not JSON."""
    return _encoder.encode(value).encode()


def decode_result(result: bytes, content_type: str) -> Any:
    """The value a job returned: parsed JSON, None for an empty result, else the bytes."""
    if content_type not in ("", JSON_TYPE):
        return result
    # Most results of noop-like tasks: no parser needed.
    if not result or result == b"null":
        return None
    # Text, not bytes: json.loads would first guess the bytes' encoding.
    try:
        return json.loads(result.decode())
    except RecursionError:
        # No jobq worker sends JSON nested deeper than 512 levels (docs/protocol.md,
        # DISPATCH), but a peer that does must fail its job, not the client's I/O thread.
        raise ValueError("it is nested too deeply to parse") from None
