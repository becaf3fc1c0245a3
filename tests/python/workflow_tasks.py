"""Python tasks the workflow tests run (`python3 -m jobq.worker --tasks workflow_tasks`).

A node's parents' results arrive in its keyword argument ``inputs``, and
with on_parent_failure="run" their failures in ``upstream_errors``
(docs/python.md, "Workflows").
"""

from __future__ import annotations

from typing import Any

import jobq


@jobq.task
def sum_squares_range(start: int, stop: int) -> dict[str, Any]:
    # The sum as a decimal string, as the C++ sum_squares gives it: past
    # 2^53 a JSON number is not exact for every reader.
    return {"start": start, "stop": stop, "sum": str(sum(i * i for i in range(start, stop)))}


@jobq.task
def add_parts(inputs: dict[str, Any]) -> dict[str, Any]:
    return {"parts": len(inputs), "sum": str(sum(int(part["sum"]) for part in inputs.values()))}


@jobq.task
def step(label: str, inputs: dict[str, Any] | None = None) -> dict[str, Any]:
    """What it was given: a chain's results nest one inside the next."""
    return {"label": label, "inputs": inputs}


@jobq.task
def boom(inputs: dict[str, Any] | None = None) -> None:
    raise ValueError("boom: this node fails on purpose")


@jobq.task
def report(inputs: dict[str, Any], upstream_errors: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"inputs": inputs, "upstream_errors": upstream_errors}


@jobq.task
def fails_once(marker: str, inputs: dict[str, Any] | None = None) -> str:
    """Fails until ``marker`` exists, which it then creates: the second run (a retry) succeeds."""
    import os

    if not os.path.exists(marker):
        open(marker, "w").close()
        raise RuntimeError("first run fails")
    return "second run"
