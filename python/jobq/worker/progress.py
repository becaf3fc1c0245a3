"""Progress reports: the checks of ``current_job().progress()`` and the
throttle on the connection thread (docs/protocol.md, PROGRESS).

At most one report per job per ``INTERVAL_MS`` goes to the broker; a report
that comes sooner is held, replacing the one held before, and goes out when
the job's window opens (``take_due``) or, when the job ends first, before
its result (``finish``). So the latest report always reaches the broker and
a task reporting in a tight loop costs it 10 messages a second. The same
rules as the C++ worker's ProgressThrottle (worker/conn/progress_throttle.h).

The throttle is pure (time is passed in) and belongs to one thread.
"""

from __future__ import annotations

from jobq import wire_pb2

INTERVAL_MS = 100
MESSAGE_BYTES_MAX = 256
REPORTS_PER_MESSAGE_MAX = 1000

Key = tuple[bytes, int]


def bounded_message(message: str) -> str:
    """At most MESSAGE_BYTES_MAX bytes of UTF-8, cut at a character; lone
    surrogates (which UTF-8 cannot carry) become '?'."""
    data = message.encode("utf-8", "replace")
    if len(data) <= MESSAGE_BYTES_MAX:
        return data.decode("utf-8")
    return data[:MESSAGE_BYTES_MAX].decode("utf-8", "ignore")


def check(done: int, total: int) -> None:
    """ValueError naming what is wrong: the broker would refuse the report."""
    if isinstance(done, bool) or not isinstance(done, int) or done < 0:
        raise ValueError(f"progress: done must be an int >= 0, got {done!r}")
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise ValueError(f"progress: total must be an int >= 0 (0: not known), got {total!r}")
    if done >= 2**64 or total >= 2**64:
        raise ValueError("progress: done and total must be below 2**64")
    if total and done > total:
        raise ValueError(
            f"progress: done {done} is above total {total} (give total 0 when it is not known)"
        )


class Throttle:
    def __init__(self, interval_ms: int = INTERVAL_MS) -> None:
        self._interval_ms = interval_ms
        # key -> [last_sent_ms, held report or None]
        self._jobs: dict[Key, list] = {}

    def offer(self, report: wire_pb2.ProgressReport, now_ms: int) -> bool:
        """True: send it now (it counts as sent). False: held."""
        key = (report.id, report.attempt)
        state = self._jobs.get(key)
        if state is None or now_ms - state[0] >= self._interval_ms:
            self._jobs[key] = [now_ms, None]
            return True
        state[1] = report
        return False

    def take_due(self, now_ms: int) -> list[wire_pb2.ProgressReport]:
        due = []
        for state in self._jobs.values():
            if state[1] is not None and now_ms - state[0] >= self._interval_ms:
                due.append(state[1])
                state[0] = now_ms
                state[1] = None
        return due

    def finish(self, key: Key) -> wire_pb2.ProgressReport | None:
        """The job ended: its held report (to send before its result); forgets it."""
        state = self._jobs.pop(key, None)
        return None if state is None else state[1]

    def next_due_ms(self) -> int | None:
        due = [state[0] + self._interval_ms for state in self._jobs.values() if state[1] is not None]
        return min(due) if due else None

    def clear(self) -> None:
        self._jobs.clear()

    def __len__(self) -> int:
        return len(self._jobs)
