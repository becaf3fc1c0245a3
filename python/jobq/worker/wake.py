"""WakeFd: makes a poll return from another thread or a signal handler."""

from __future__ import annotations

import os


class WakeFd:
    def __init__(self) -> None:
        self._fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)

    def fileno(self) -> int:
        return self._fd

    def notify(self) -> None:
        # Safe in a signal handler: one write(2), and a full counter only
        # means a wake-up is already pending.
        try:
            os.eventfd_write(self._fd, 1)
        except OSError:
            pass

    def drain(self) -> None:
        try:
            os.eventfd_read(self._fd)
        except BlockingIOError:
            pass
