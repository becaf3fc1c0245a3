"""The jobs, workflows and sentinels of one client between its caller and their acks.

Owned by the client's I/O thread, never locked. It numbers jobs
(client_seq), gives each its submit token, packs them into SUBMITs (at most
``batch_jobs_max`` jobs and ``batch_bytes_max`` bytes; a larger job goes
alone), keeps every sent job until its ack so that it can be sent again,
byte for byte, after a reconnect or a TOO_LARGE refusal, and matches acks
to futures (docs/protocol.md, "SUBMIT", "Limits"). A workflow goes alone
in its WORKFLOW, numbered from the same sequence, and is kept, as bytes,
until its WORKFLOW_SUBMITTED (docs/protocol.md, "WORKFLOW").
"""

from __future__ import annotations

import collections
import itertools
import logging
from concurrent.futures import InvalidStateError
from typing import Any, Callable

from . import wire_pb2
from ._frames import Command
from ._jobspec import TOKEN_FIELD_BYTES, encode_submit, with_seq_and_token, with_token
from .errors import RemoteError
from .future import JobFuture, id_known

log = logging.getLogger("jobq")

# An entry of `unsent` that is a sentinel rather than a job.
SENTINEL = object()
# An entry of `unsent` that is a workflow (jobq.workflow.PendingWorkflow).
WORKFLOW = object()

# A SUBMIT's framing per job: tag and length.
_JOB_FRAMING_BYTES = 4


def settle(future: "JobFuture | Any", value: Any = None, error: BaseException | None = None) -> None:
    """Completes a future unless it is done already (cancelled by its caller, say)."""
    try:
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)
    except InvalidStateError:
        pass


class SubmitQueue:
    """Unsent jobs, jobs awaiting their ack, and sentinels awaiting theirs."""

    def __init__(self, batch_jobs_max: int, batch_bytes_max: int, token_prefix: bytes) -> None:
        self.batch_jobs_max = batch_jobs_max
        self.batch_bytes_max = batch_bytes_max
        self.token_prefix = token_prefix
        # (job bytes, future, notify) or (SENTINEL, queue, future), in submit order.
        self.unsent: collections.deque[tuple[Any, Any, Any]] = collections.deque()
        # client_seq -> (job bytes with token, future, notify, first_seq of its SUBMIT).
        # Keys are inserted in increasing order and never re-inserted, so the
        # dict's order is the sequence order a re-send needs.
        self.pending: dict[int, tuple[bytes, JobFuture, bool, int]] = {}
        # Sequence numbers to send again, ascending.
        self.resend: collections.deque[int] = collections.deque()
        # (queue, future) of SENTINELs sent and not yet acknowledged, oldest first.
        self.sentinels: collections.deque[tuple[str, Any]] = collections.deque()
        # client_seq -> PendingWorkflow sent and not yet answered, and those to send again.
        self.workflows: dict[int, Any] = {}
        self.resend_workflows: collections.deque[int] = collections.deque()
        # 1, not 0: a TOO_LARGE with first_seq 0 comes from a broker that names no SUBMIT.
        self.next_seq = 1
        # Jobs that left the window: acknowledged, or dropped unsent when cancelled.
        self.finished = 0

    # -- what callers hand over -------------------------------------------------

    def add_jobs(self, jobs: list[bytes], futures: list[JobFuture], notify: bool) -> None:
        self.unsent.extend(zip(jobs, futures, itertools.repeat(notify)))

    def add_job(self, job: bytes, future: JobFuture, notify: bool) -> None:
        self.unsent.append((job, future, notify))

    def add_sentinel(self, queue: str, future: Any) -> None:
        self.unsent.append((SENTINEL, queue, future))

    def add_workflow(self, workflow: Any) -> None:
        self.unsent.append((WORKFLOW, workflow, None))

    # -- state -----------------------------------------------------------------

    def has_work(self) -> bool:
        return bool(self.unsent or self.pending or self.sentinels or self.workflows)

    def unanswered(self) -> tuple[int, int, int]:
        """(jobs, sentinels, workflows) sent or queued and not answered, for a failure's text."""
        workflows = sum(1 for entry in self.unsent if entry[0] is WORKFLOW)
        return len(self.pending) + len(self.unsent) - workflows, len(self.sentinels), len(self.workflows) + workflows

    def awaits_answers(self) -> bool:
        return bool(self.pending or self.sentinels or self.workflows)

    def ready_to_send(self) -> bool:
        return bool(self.resend or self.resend_workflows) or (bool(self.unsent) and not self._hold_batch())

    def _hold_batch(self) -> bool:
        # Nagle's rule for batches: while a SUBMIT awaits its ack, a partial
        # batch waits for more jobs (or for the acks), so a fast producer
        # sends full batches and a lone job still goes out at once.
        if not self.pending:
            return False
        notify = self.unsent[0][2]
        count = 0
        for job, _, job_notify in self.unsent:
            if job is SENTINEL or job is WORKFLOW or job_notify != notify:
                return False  # the batch is closed by what follows it
            count += 1
            if count >= self.batch_jobs_max:
                return False
        return True

    # -- sending ---------------------------------------------------------------

    def send(self, send: Callable[[Command, bytes], bool], writable: Callable[[], bool]) -> bool:
        """Sends re-sends first, then new jobs and sentinels, while the socket takes them.

        ``send(command, body)`` returns False when the connection refused the
        message; then everything unacknowledged waits for the next connection
        and this returns False.
        """
        while self.resend_workflows and writable():
            seq = self.resend_workflows[0]
            workflow = self.workflows.get(seq)
            if workflow is not None and not self._send_workflow(send, workflow):
                return False
            self.resend_workflows.popleft()
        while self.resend and writable():
            if not self._send_resend_batch(send):
                return False
        while not self.resend and self.unsent and writable():
            first = self.unsent[0]
            if first[0] is WORKFLOW:
                workflow = first[1]
                workflow.seq = self.next_seq
                self.next_seq += 1
                self.unsent.popleft()
                self.workflows[workflow.seq] = workflow
                if not self._send_workflow(send, workflow):
                    return False
                continue
            if first[0] is SENTINEL:
                body = wire_pb2.Sentinel(queue=first[1]).SerializeToString()
                if not send(Command.SENTINEL, body):
                    return False  # it stays first in line for the next connection
                self.unsent.popleft()
                self.sentinels.append((first[1], first[2]))
                continue
            if self._hold_batch():
                break
            if not self._send_new_batch(send):
                return False
        return True

    def _send_new_batch(self, send: Callable[[Command, bytes], bool]) -> bool:
        unsent = self.unsent
        pending = self.pending
        prefix = self.token_prefix
        jobs_max = self.batch_jobs_max
        bytes_max = self.batch_bytes_max
        notify = unsent[0][2]
        first_seq = seq = self.next_seq
        jobs: list[bytes] = []
        size = 0
        while unsent and len(jobs) < jobs_max:
            job, future, job_notify = unsent[0]
            if job is SENTINEL or job is WORKFLOW or job_notify != notify:
                break
            if future._jobq_cancel_requested:
                # Cancelled before it went out: it never reaches the broker.
                unsent.popleft()
                self.finished += 1
                continue
            job_bytes = len(job) + TOKEN_FIELD_BYTES + _JOB_FRAMING_BYTES
            if jobs and size + job_bytes > bytes_max:
                break
            unsent.popleft()
            tokened = with_token(job, prefix, seq)
            pending[seq] = (tokened, future, notify, first_seq)
            jobs.append(tokened)
            size += job_bytes
            seq += 1
        self.next_seq = seq
        if not jobs:
            return True
        if not send(Command.SUBMIT, encode_submit(first_seq, jobs, notify)):
            self.mark_all_for_resend()
            return False
        return True

    def _send_workflow(self, send: Callable[[Command, bytes], bool], workflow: Any) -> bool:
        """One WORKFLOW, with its client_seq and token: the same bytes every time it goes."""
        if not send(Command.WORKFLOW, with_seq_and_token(workflow.body, workflow.seq, self.token_prefix)):
            self.mark_all_for_resend()
            return False
        return True

    def _send_resend_batch(self, send: Callable[[Command, bytes], bool]) -> bool:
        resend = self.resend
        pending = self.pending
        while resend and resend[0] not in pending:
            resend.popleft()  # acknowledged meanwhile
        if not resend:
            return True
        # The rules of a first send: job i is first_seq + i, so a gap (a job
        # acknowledged meanwhile) ends the SUBMIT, as do a change of notify
        # and the batch limits.
        first_seq = seq = resend[0]
        notify = pending[first_seq][2]
        jobs: list[bytes] = []
        size = 0
        while resend and resend[0] == seq and len(jobs) < self.batch_jobs_max:
            entry = pending.get(seq)
            if entry is None or entry[2] != notify:
                break
            job_bytes = len(entry[0]) + _JOB_FRAMING_BYTES
            if jobs and size + job_bytes > self.batch_bytes_max:
                break
            resend.popleft()
            pending[seq] = (entry[0], entry[1], notify, first_seq)
            jobs.append(entry[0])
            size += job_bytes
            seq += 1
        if not send(Command.SUBMIT, encode_submit(first_seq, jobs, notify)):
            self.mark_all_for_resend()
            return False
        return True

    def mark_all_for_resend(self) -> None:
        """Everything unacknowledged goes again, in order (after a reconnect)."""
        self.resend = collections.deque(self.pending)
        self.resend_workflows = collections.deque(self.workflows)

    def take_unconfirmed_sentinels(self) -> list[tuple[str, Any]]:
        taken = list(self.sentinels)
        self.sentinels.clear()
        return taken

    # -- answers ---------------------------------------------------------------

    def on_submitted(
        self, submitted: Any, on_accepted: Callable[[bytes, JobFuture, bool], None]
    ) -> int:
        """Matches acks to futures; returns how many jobs left the window.

        ``on_accepted(id, future, notify)`` is called for each accepted job;
        a refused job's future fails here with RemoteError.
        """
        count = submitted.sentinels
        while count > 0 and self.sentinels:
            _, future = self.sentinels.popleft()
            settle(future, None)
            count -= 1
        pending = self.pending
        acknowledged = 0
        for ack in submitted.acks:
            entry = pending.pop(ack.client_seq, None)
            if entry is None:
                continue  # a duplicate, or an ack of a batch from an older connection
            acknowledged += 1
            future = entry[1]
            raw_id = ack.id
            if len(raw_id) == 16:
                future._jobq_id = raw_id
                id_known(future)
                on_accepted(raw_id, future, entry[2])
                continue
            error = ack.error
            future._jobq_state = "rejected"
            if raw_id:
                failure = RemoteError("bad_response", "the broker acknowledged the job with a malformed id")
            else:
                failure = RemoteError(error.type or "rejected", error.message, state="rejected")
            settle(future, error=failure)
        self.finished += acknowledged
        return acknowledged

    def on_workflow_submitted(
        self, answer: Any, on_accepted: Callable[[bytes, JobFuture, bool], None]
    ) -> int:
        """Matches a WORKFLOW_SUBMITTED to its workflow; the window tickets it frees.

        Accepted: each node's future gets its id and ``on_accepted`` (as for a
        job). Refused: the workflow's and its nodes' futures fail with the
        broker's RemoteError. An answer to no workflow (a second answer after
        a re-send) is dropped.
        """
        workflow = self.workflows.pop(answer.client_seq, None)
        if workflow is None:
            return 0
        if answer.id or not answer.HasField("error"):
            workflow.accept(answer, on_accepted)
        else:
            error = answer.error
            message = error.message or "the broker refused the workflow"
            workflow.fail(RemoteError(error.type or "rejected", message, state="rejected"), rejected=True)
        self.finished += workflow.cost
        return workflow.cost

    def on_batch_refused(self, first_seq: int, batch_max: int) -> bool:
        """A TOO_LARGE answer: sends that SUBMIT's jobs again in smaller ones.

        False when the ERROR does not say which SUBMIT (an older broker).
        """
        if first_seq == 0 or batch_max == 0:
            return False
        seqs = []
        seq = first_seq
        while (entry := self.pending.get(seq)) is not None and entry[3] == first_seq:
            seqs.append(seq)
            seq += 1
        if len(seqs) <= batch_max:
            # Not the SUBMIT refused: its jobs went out again meanwhile (after
            # a reconnect), in SUBMITs that are answered on their own.
            return True
        self.batch_jobs_max = min(self.batch_jobs_max, batch_max)
        self.resend = collections.deque(sorted(set(self.resend).union(seqs)))
        log.info("batch of %d jobs split: the broker takes at most %d per SUBMIT", len(seqs), batch_max)
        return True

    def fail_all(self, error: BaseException) -> None:
        for first, second, third in self.unsent:
            if first is WORKFLOW:
                second.fail(error)
            else:
                settle(third if first is SENTINEL else second, error=error)
        for entry in self.pending.values():
            settle(entry[1], error=error)
        for _, future in self.sentinels:
            settle(future, error=error)
        for workflow in self.workflows.values():
            workflow.fail(error)
        self.unsent.clear()
        self.pending.clear()
        self.resend.clear()
        self.sentinels.clear()
        self.workflows.clear()
        self.resend_workflows.clear()
