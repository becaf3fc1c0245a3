"""Task arguments in, results out: the JSON at both ends of a Python task.

How a payload becomes ``fn(*args, **kwargs)`` is the producer's rule
(jobq/_payload.py, docs/python.md "Arguments and results"), applied here
with the worker's error types: a JSON object is keyword arguments (what
``jobq submit TASK --arg k=v`` sends), an array positional ones, and
``application/vnd.jobq.call+json`` carries ``{"args": [...], "kwargs":
{...}}``. The return value goes back as JSON (``application/json``).

Both directions are bounded to 512 levels of nesting (docs/protocol.md,
DISPATCH): deeper JSON would make the recursive parsers and printers of
every consumer overflow, so it fails the job (``bad_args``/``bad_result``)
instead of travelling.
"""

from __future__ import annotations

import json
import re
from typing import Any

from jobq._payload import CALL_TYPE, JSON_TYPE, decode_call
from jobq.worker.errors import BAD_ARGS, BAD_RESULT, TaskError

JSON_DEPTH_MAX = 512
JSON_CONTENT_TYPE = JSON_TYPE

# Strings first, so brackets inside them are skipped.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def nests_deeper_than(text: str, depth_max: int = JSON_DEPTH_MAX) -> bool:
    """Whether arrays and objects in JSON ``text`` nest deeper than ``depth_max``."""
    # Counting brackets is done in C; only a text with that many brackets
    # needs the exact scan.
    if text.count("[") + text.count("{") <= depth_max:
        return False
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > depth_max:
                return True
        elif token in "]}":
            depth -= 1
    return False


def decode_arguments(task: str, payload: bytes, content_type: str) -> tuple[list, dict]:
    """The positional and keyword arguments of a job; TaskError("bad_args") when unusable."""
    if content_type not in ("", JSON_CONTENT_TYPE, CALL_TYPE):
        raise TaskError(
            BAD_ARGS,
            f'{task}: arguments must be {JSON_CONTENT_TYPE} or {CALL_TYPE}, got content type '
            f'"{content_type}"',
        )
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise TaskError(BAD_ARGS, f"{task}: arguments are not UTF-8 text ({error})") from None
    if nests_deeper_than(text):
        raise TaskError(BAD_ARGS, f"{task}: arguments are nested deeper than {JSON_DEPTH_MAX} levels")
    try:
        return decode_call(payload, content_type)
    except json.JSONDecodeError as error:
        raise TaskError(BAD_ARGS, f"{task}: arguments are not valid JSON ({error})") from None
    except (ValueError, TypeError) as error:
        raise TaskError(BAD_ARGS, f"{task}: {error}") from None


def encode_result(task: str, value: Any) -> bytes:
    """``value`` as JSON bytes; TaskError("bad_result") when it is not JSON-serialisable."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        encoded = text.encode("utf-8")
    except RecursionError:
        raise TaskError(
            BAD_RESULT, f"task {task!r} returned a result nested deeper than {JSON_DEPTH_MAX} levels"
        ) from None
    except Exception as error:  # noqa: BLE001  TypeError, ValueError, or a broken container's own
        raise TaskError(
            BAD_RESULT,
            f"task {task!r} returned a value that is not JSON-serialisable "
            f"({type(value).__name__}): {error}; return JSON types (dict, list, str, "
            f"int, float, bool, None)",
        ) from None
    if nests_deeper_than(text):
        raise TaskError(
            BAD_RESULT, f"task {task!r} returned a result nested deeper than {JSON_DEPTH_MAX} levels"
        )
    return encoded
