"""Mailbox: finished jobs on their way from the pools to the connection thread.

Pools post from their own threads; the connection polls ``fileno()`` next
to its socket and takes everything at once. The eventfd is written only
when the box goes from empty to non-empty, so a burst of thousands of
results costs one wake-up, not one system call each.
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Generic, Hashable, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    def __init__(self, coalesce: Callable[[T], Hashable | None] | None = None) -> None:
        """``coalesce``: the key under which a newer item replaces one not
        taken yet (None: kept). The worker's progress reports coalesce per
        job, so a task reporting in a tight loop holds one item here."""
        self._fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._lock = threading.Lock()
        self._items: list[T] = []
        self._coalesce = coalesce
        self._index: dict[Hashable, int] = {}

    def fileno(self) -> int:
        return self._fd

    def post(self, item: T) -> None:
        key = self._coalesce(item) if self._coalesce is not None else None
        with self._lock:
            if key is not None:
                at = self._index.get(key)
                if at is not None:
                    self._items[at] = item
                    return
                self._index[key] = len(self._items)
            self._items.append(item)
            first = len(self._items) == 1
        if first:
            os.eventfd_write(self._fd, 1)

    def take_all(self) -> list[T]:
        with self._lock:
            items, self._items = self._items, []
            self._index.clear()
            # Read under the lock: a post after it finds the list empty and
            # writes again, so no wake-up is lost.
            try:
                os.eventfd_read(self._fd)
            except BlockingIOError:
                pass
        return items
