"""Backoff: how long to wait before reconnecting to a broker that went quiet.

Exponential (each wait doubles up to a cap) so a broker that is down is not
hammered, with jitter so the many workers that lost the same broker at the
same moment do not all come back in the same millisecond.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(self, initial_ms: int = 100, max_ms: int = 5000, seed: int | None = None) -> None:
        self._initial_ms = max(1, initial_ms)
        self._max_ms = max(self._initial_ms, max_ms)
        self._base_ms = self._initial_ms
        self._random = random.Random(seed)
        self.attempts = 0

    def next_delay_ms(self) -> int:
        """A uniform pick in [base/2, base]; then base doubles, up to the cap."""
        delay = self._random.randint(self._base_ms // 2, self._base_ms)
        self._base_ms = min(self._max_ms, self._base_ms * 2)
        self.attempts += 1
        return delay

    def reset(self) -> None:
        self._base_ms = self._initial_ms
        self.attempts = 0
