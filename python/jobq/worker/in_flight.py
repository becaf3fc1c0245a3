"""InFlight: the jobs this worker accepted and has not finished.

Keyed by (job id, attempt). It answers what HELLO lists as held, what
HEARTBEAT reports as load and renews, which pool a finished job frees a
slot in, and whom a CANCEL reaches. A completion for a key no longer here
(its timeout was reported first, say) is a duplicate and is dropped.

Not thread-safe: the connection thread owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from jobq import wire_pb2
from jobq.worker.cancel import CancelToken

Key = tuple[bytes, int]


@dataclass(slots=True, eq=False)
class Held:
    key: Key
    kind: int  # the wire Kind of the pool holding it
    token: CancelToken
    job: wire_pb2.DispatchedJob


class InFlight:
    def __init__(self) -> None:
        self._jobs: dict[Key, Held] = {}
        self._per_kind: dict[int, int] = {}

    def add(self, job: wire_pb2.DispatchedJob, kind: int, token: CancelToken) -> Held | None:
        """The new entry; None when that (id, attempt) is held already (a duplicated DISPATCH)."""
        key = (job.id, job.attempt)
        if key in self._jobs:
            return None
        held = Held(key, kind, token, job)
        self._jobs[key] = held
        self._per_kind[kind] = self._per_kind.get(kind, 0) + 1
        return held

    def get(self, key: Key) -> Held | None:
        return self._jobs.get(key)

    def finish(self, key: Key) -> Held | None:
        held = self._jobs.pop(key, None)
        if held is not None:
            self._per_kind[held.kind] -= 1
        return held

    def cancel(self, job_id: bytes, reason: str) -> int:
        """Cancels every attempt of ``job_id`` held; how many there were."""
        hits = [held for key, held in self._jobs.items() if key[0] == job_id]
        for held in hits:
            held.token.cancel(reason)
        return len(hits)

    def cancel_all(self, reason: str) -> None:
        for held in list(self._jobs.values()):
            held.token.cancel(reason)

    def count(self, kind: int) -> int:
        return self._per_kind.get(kind, 0)

    def __iter__(self) -> Iterator[Held]:
        return iter(list(self._jobs.values()))

    def __len__(self) -> int:
        return len(self._jobs)
