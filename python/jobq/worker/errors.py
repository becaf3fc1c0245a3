"""The error types a worker reports (docs/protocol.md, "Job lifecycle").

Producers branch on these words whatever language the worker is written
in, so they are the spec's, spelled exactly as the C++ worker spells them.
"""

from __future__ import annotations

EXCEPTION = "exception"
TIMEOUT = "timeout"
CANCELLED = "cancelled"
CRASHED = "crashed"
BAD_ARGS = "bad_args"
UNKNOWN_TASK = "unknown_task"
BAD_RESULT = "bad_result"
RESULT_TOO_LARGE = "result_too_large"
WORKER_OVERLOADED = "worker_overloaded"


class TaskError(Exception):
    """Raised by a task to fail its job with an error type of its choosing.

    ``type`` is a short snake_case word a program can branch on ("bad_args",
    "cancelled", "not_found", ...), ``message`` one line for people, and
    ``detail`` optional longer text (it travels as ``ErrorInfo.detail``).
    Any other exception fails the job with type ``exception``.
    """

    def __init__(self, type: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.type = type
        self.message = message
        self.detail = detail

    def __reduce__(self) -> tuple:
        # Keeps the three fields when a CPU child's exception is pickled.
        return (type(self), (self.type, self.message, self.detail))
