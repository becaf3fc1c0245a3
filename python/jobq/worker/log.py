"""One line per event on stderr, in the C++ programs' format:

    2026-11-25T19:54:01.123Z INFO worker registered broker=tcp://... name=w1

so one log reader handles both workers. Events worth a line are rare by
design; nothing logs once per job at the default level. Thread-safe: each
line is one write.
"""

from __future__ import annotations

import sys
import time
from typing import Any

LEVELS = {"debug": 0, "info": 1, "warning": 2, "error": 3}
_NAMES = {0: "DEBUG", 1: "INFO", 2: "WARNING", 3: "ERROR"}
_level = LEVELS["info"]


def set_level(name: str) -> None:
    global _level
    _level = LEVELS[name]


def enabled(level: int) -> bool:
    return level >= _level


def _value(value: Any) -> str:
    text = str(value)
    # Quoted when a reader could not split it on spaces.
    if text and not any(c in text for c in ' "=\n'):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write(level: int, event: str, **fields: Any) -> None:
    if level < _level:
        return
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now * 1000) % 1000:03d}Z"
    line = f"{stamp} {_NAMES[level]} worker {event}"
    if fields:
        line += " " + " ".join(f"{key}={_value(value)}" for key, value in fields.items())
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr closed: logging must not take the worker down


def debug(event: str, **fields: Any) -> None:
    write(0, event, **fields)


def info(event: str, **fields: Any) -> None:
    write(1, event, **fields)


def warning(event: str, **fields: Any) -> None:
    write(2, event, **fields)


def error(event: str, **fields: Any) -> None:
    write(3, event, **fields)
