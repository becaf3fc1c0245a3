"""Deadlines: the timeouts of the jobs on the I/O pool and the event loop.

The connection thread checks them between messages, so a timeout is
reported by the same thread that owns the in-flight table, with no race
against the job's own completion: whichever the connection sees first
wins, and the other finds its key gone.

A heap of (deadline, sequence, key, held). Finished jobs are not removed
(that would be a search per job); their entries are skipped when they come
up, and the heap is rebuilt when dead entries outnumber live ones, so a
busy worker with long timeouts does not grow it without bound.

Not thread-safe: the connection thread owns it.
"""

from __future__ import annotations

import heapq
import itertools
from typing import Callable

from jobq.worker.in_flight import Held, InFlight

_COMPACT_SLACK = 1024


class Deadlines:
    def __init__(self, in_flight: InFlight) -> None:
        self._in_flight = in_flight
        self._heap: list[tuple[float, int, Held]] = []
        self._sequence = itertools.count()

    def watch(self, deadline: float, held: Held) -> None:
        heapq.heappush(self._heap, (deadline, next(self._sequence), held))
        if len(self._heap) > 2 * len(self._in_flight) + _COMPACT_SLACK:
            self._heap = [entry for entry in self._heap if self._live(entry[2])]
            heapq.heapify(self._heap)

    def next_deadline(self) -> float | None:
        while self._heap and not self._live(self._heap[0][2]):
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None

    def fire(self, now: float, expired: Callable[[Held], None]) -> None:
        """Calls ``expired(held)`` for each job still in flight whose deadline has passed."""
        while self._heap and self._heap[0][0] <= now:
            _, _, held = heapq.heappop(self._heap)
            if self._live(held):
                expired(held)

    def _live(self, held: Held) -> bool:
        return self._in_flight.get(held.key) is held
