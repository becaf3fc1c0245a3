"""Python tasks the producer tests submit, run by `python3 -m jobq.worker --tasks producer_tasks`."""

from __future__ import annotations

import jobq


@jobq.task
def describe(*args: object, **kwargs: object) -> dict[str, object]:
    """What arrived: how the producer's arguments crossed the wire."""
    return {"args": list(args), "kwargs": kwargs}


@jobq.task(name="parse_amount")
def parse_amount(text: str) -> float:
    return float(text)  # ValueError for a bad amount: travels back with its traceback
