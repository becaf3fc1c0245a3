"""ProcessStats: the CPU and memory a HEARTBEAT reports, children included.

Read from /proc: the worker's own utime+stime plus its reaped children's
(cutime+cstime) plus each live CPU child's, against wall time since the
last reading. For monitoring only (`jobq workers`), so a reading that
fails is a zero, never an error.
"""

from __future__ import annotations

import os
import time
from typing import Callable

_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")


def _cpu_seconds(pid: int | str, reaped: bool) -> float | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            text = file.read()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; fields follow the last ')'.
    fields = text[text.rfind(b")") + 2 :].split()
    try:
        seconds = int(fields[11]) + int(fields[12])  # utime, stime
        if reaped:
            seconds += int(fields[13]) + int(fields[14])  # cutime, cstime
    except (IndexError, ValueError):
        return None
    return seconds / _TICKS


def _rss_bytes(pid: int | str) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as file:
            return int(file.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


class ProcessStats:
    def __init__(self, child_pids: Callable[[], list[int]] | None = None) -> None:
        self._child_pids = child_pids
        self._previous: tuple[float, float] | None = None  # (monotonic, cpu seconds)

    def take(self) -> tuple[float, int]:
        """(cpu_percent since the last call, rss_bytes now)."""
        now = time.monotonic()
        rss = _rss_bytes("self")
        own = _cpu_seconds("self", reaped=True)
        if own is None:
            return 0.0, rss
        cpu = own
        for pid in self._child_pids() if self._child_pids else []:
            cpu += _cpu_seconds(pid, reaped=False) or 0.0
            rss += _rss_bytes(pid)
        percent = 0.0
        if self._previous is not None and now > self._previous[0]:
            # A child reaped between readings can make the total dip; a dip
            # is no negative load.
            percent = max(0.0, 100.0 * (cpu - self._previous[1]) / (now - self._previous[0]))
        self._previous = (now, cpu)
        return percent, rss
