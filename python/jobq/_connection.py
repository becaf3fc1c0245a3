"""One client's connection to the broker: a DEALER owned by one I/O thread.

pyzmq sockets are not thread-safe, so callers never touch the socket: they
append requests to a deque and, unless a wake-up is already pending, write
an eventfd the I/O thread polls beside the DEALER and its socket monitor.
The I/O thread batches what it takes into SUBMITs (_submits.SubmitQueue),
completes futures from SUBMITTED and RESULT (_waits.WaitSet), and watches
the connection:

* nothing is sent while no connection is up: the socket monitor says when
  one is (HANDSHAKE_SUCCEEDED) and when it is lost (DISCONNECTED). On every
  connection after the first, all unacknowledged
  jobs and workflows go again with their client_seq and submit token, and
  all WAITs: a restarted broker creates nothing twice and learns who waits;
* a broker that never answers fails everything after ``connect_timeout``;
  one lost and not back within ``reconnect_timeout`` likewise; a refused
  CURVE key at once (docs/protocol.md, "Security");
* given several brokers' endpoints (``tcp://a:5555,tcp://b:5555``: a leader
  and standbys, of which only the leader listens), the DEALER is connected
  to one at a time, and to the next after NEXT_ENDPOINT_AFTER without a
  connection (docs/protocol.md, "Several brokers: a leader and standbys").

A failure is sticky: every pending and later request fails with it.
"""

from __future__ import annotations

import atexit
import collections
import itertools
import logging
import os
import threading
import time
import weakref
from concurrent.futures import Future
from typing import Any

import zmq
from zmq.utils.monitor import parse_monitor_message

from . import wire_pb2
from ._curve import ClientKeys
from ._endpoints import NEXT_ENDPOINT_AFTER, describe, is_connectable, split_endpoint_list
from ._frames import SIGNATURE, Command, FrameError, decode
from ._submits import WORKFLOW, SubmitQueue, settle
from ._waits import WaitSet, send_ids
from .errors import AuthenticationError, BrokerError, BrokerUnavailable, ClientClosed
from .future import JobFuture

log = logging.getLogger("jobq")

DEFAULT_BROKER = "tcp://127.0.0.1:5555"

# Request kinds on the deque, first element of each tuple.
_JOB, _JOBS, _WAIT, _FORGET, _CANCEL_IDS, _CANCEL_FUTURE, _CANCEL_ALL, _SENTINEL, _DRAINED, _CLOSE, _WORKFLOW = range(11)

_MONITOR_EVENTS = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)
# A handshake closed without a reason may be a broker restarting at that
# moment: this many in a row before a CURVE client gives up.
_SILENT_HANDSHAKE_FAILURES_MAX = 3
# ZMTP heartbeats with several brokers, so that the connection to a paused
# or cut-off leader closes and the next endpoint is tried (docs/protocol.md).
_HEARTBEAT_IVL_MS = 1000
_HEARTBEAT_TIMEOUT_MS = 3000
# Command frames, made once.
_COMMAND_FRAMES = {command: bytes([int(command)]) for command in Command}

_live: "weakref.WeakSet[Connection]" = weakref.WeakSet()


def _seconds_text(seconds: float) -> str:
    return f"{seconds:g} s"


def _unknown_fate(jobs: int, sentinels: int, workflows: int) -> str:
    text = ""
    if workflows:
        text += (
            f"; {workflows} submitted workflow{' was' if workflows == 1 else 's were'} not acknowledged "
            "and may or may not have been accepted (`jobq workflow list` shows what the broker has)"
        )
    if jobs:
        text += (
            f"; {jobs} submitted job{' was' if jobs == 1 else 's were'} not acknowledged and may or "
            "may not have been accepted (submit again once the broker is back; an idempotency key "
            "keeps a job accepted already from being created twice)"
        )
    if sentinels:
        text += (
            f"; {sentinels} sentinel{' was' if sentinels == 1 else 's were'} not acknowledged and "
            "may or may not be in the queue"
        )
    return text


class Connection:
    """The shared state between callers and the I/O thread, and the thread itself."""

    def __init__(
        self,
        broker: str | None = None,
        *,
        connect_timeout: float = 5.0,
        reconnect_timeout: float = 30.0,
        window: int = 20_000,
        batch_jobs_max: int = 1000,
        batch_bytes_max: int = 4 << 20,
        wait_resend_interval: float = 2.0,
        keys: ClientKeys | None = None,
    ) -> None:
        self.broker = broker or os.environ.get("JOBQ_BROKER") or DEFAULT_BROKER
        # ValueError naming the problem: an empty item, one given twice.
        self.endpoints = split_endpoint_list(self.broker)
        if len(self.endpoints) > 1:
            # One endpoint is judged by ZeroMQ's connect() below, as ever; the
            # others of a list are connected to only later, from the I/O thread.
            for endpoint in self.endpoints:
                if not is_connectable(endpoint):
                    raise ValueError(
                        f'bad broker endpoint "{endpoint}" in "{self.broker}" (expected something like '
                        f"{DEFAULT_BROKER}; separate several brokers' endpoints with commas)"
                    )
        for name, value in (
            ("connect_timeout", connect_timeout),
            ("reconnect_timeout", reconnect_timeout),
            ("wait_resend_interval", wait_resend_interval),
        ):
            if not value > 0:
                raise ValueError(f"{name} must be more than 0 seconds, not {value!r}")
        for name, count in (("window", window), ("batch_jobs_max", batch_jobs_max), ("batch_bytes_max", batch_bytes_max)):
            if not isinstance(count, int) or count < 1:
                raise ValueError(f"{name} must be a positive int, not {count!r}")
        self.connect_timeout = connect_timeout
        self.reconnect_timeout = reconnect_timeout
        self.window = window
        self._keys = keys

        # -- shared with callers (the GIL orders these plain reads and writes) --
        self._requests: collections.deque[tuple[Any, ...]] = collections.deque()
        self._wake_fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        self._wake_pending = False
        # The I/O thread closes the eventfd as it ends, which may be while a
        # caller wakes it (close() racing a thread that failed): a write then
        # would hit a closed descriptor, or one the process reused since.
        self._wake_lock = threading.Lock()
        self._wake_open = True
        # Jobs queued before the I/O thread is woken: 1 while nothing is in
        # flight, a batch while acks are due anyway (they wake it), so that a
        # fast producer costs no system call per job.
        self._wake_after = 1
        self._tickets = itertools.count(1)  # next() is atomic: one ticket per job
        self._window_condition = threading.Condition()
        self._window_waiters = 0
        self.failure: BaseException | None = None
        self.closed = False

        # -- the I/O thread's own --
        self._submits = SubmitQueue(batch_jobs_max, batch_bytes_max, os.urandom(8))
        self._waits = WaitSet(wait_resend_interval)
        self._cancel_ids: list[bytes] = []
        self._drained: list[Future] = []  # type: ignore[type-arg]
        self._close_when_drained = False
        self._connected = False
        self._ever_connected = False
        self._heard_from_broker = False
        self._answered_on_connection = False
        self._closed_unanswered = 0
        self._silent_handshake_failures = 0
        self._unreachable_since: float | None = None
        self._busy_since: float | None = None
        self._last_answer_at = 0.0
        self._reconnected_at = 0.0
        # The endpoint the DEALER is connected to; with several, since when
        # no connection has been up on it (None while one is).
        self._endpoint_index = 0
        self._several = len(self.endpoints) > 1
        self._endpoint_set = frozenset(self.endpoints)
        self._down_since: float | None = time.monotonic()
        self._last_endpoint = self.endpoints[0]  # the last one connected to

        self._context = zmq.Context(io_threads=1)
        try:
            self._dealer, self._monitor = self._make_sockets()
        except BaseException:
            self._context.destroy(linger=0)
            os.close(self._wake_fd)
            raise
        self._thread = threading.Thread(target=self._run, name="jobq-io", daemon=True)
        self._thread.start()
        _live.add(self)

    def _make_sockets(self) -> tuple[zmq.Socket, zmq.Socket]:  # type: ignore[type-arg]
        dealer = self._context.socket(zmq.DEALER)
        # Never let close() wait on an absent broker; raised while flushing only.
        dealer.setsockopt(zmq.LINGER, 0)
        # No receive limit: the broker's ROUTER drops what a full pipe cannot
        # take, and a dropped SUBMITTED or RESULT would strand futures. What
        # the broker sends is bounded by our window and wait set anyway.
        dealer.setsockopt(zmq.RCVHWM, 0)
        # Still a bound per message, against a peer posing as the broker.
        dealer.setsockopt(zmq.MAXMSGSIZE, 1 << 30)
        # Not ZMQ_IMMEDIATE, unlike the C++ client: with it libzmq 4.3.4 gives
        # each connection a pipe of its own, and a reconnect while a RESULT is
        # being read can abort the process ("Assertion failed: !_more
        # (src/fq.cpp:112)", seen here in one broker restart of eight). One
        # pipe for the socket's life cannot. The price: messages still queued
        # in it when a connection breaks go out on the next one, besides our
        # re-send. Jobs, WAITs and CANCELs are idempotent; a SENTINEL is failed
        # as "may or may not be in the queue" either way (_on_connected).
        # With several brokers the pipe is that of the endpoint connected to:
        # moving on to the next (_next_endpoint) ends it, by our own
        # disconnect(), between whole messages, so the assertion above
        # cannot fire either.
        dealer.setsockopt(zmq.IMMEDIATE, 0)
        if self._several:
            dealer.setsockopt(zmq.HEARTBEAT_IVL, _HEARTBEAT_IVL_MS)
            dealer.setsockopt(zmq.HEARTBEAT_TIMEOUT, _HEARTBEAT_TIMEOUT_MS)
        if self._keys is not None:
            dealer.curve_serverkey = self._keys.server_public.encode()
            dealer.curve_publickey = self._keys.public.encode()
            dealer.curve_secretkey = self._keys.secret.encode()
        # Before connect(), or the first handshake's events would be lost.
        monitor = dealer.get_monitor_socket(_MONITOR_EVENTS)
        try:
            dealer.connect(self._endpoint)
        except zmq.ZMQError as error:
            dealer.close(linger=0)
            monitor.close(linger=0)
            raise ValueError(
                f"bad broker endpoint {self._endpoint!r}: {error} (expected something like {DEFAULT_BROKER})"
            ) from None
        return dealer, monitor

    @property
    def _endpoint(self) -> str:
        """The endpoint the DEALER is connected to (the only one, or one of the list)."""
        return self.endpoints[self._endpoint_index]

    # == called by any thread ==================================================

    def check_open(self) -> None:
        """Raises the sticky failure, or ClientClosed after close()."""
        if self.failure is not None:
            raise self.failure
        if self.closed:
            raise ClientClosed("the jobq client is closed")

    def _wake(self) -> None:
        if not self._wake_pending:
            with self._wake_lock:
                if not self._wake_open:
                    return  # the I/O thread has ended: there is no one to wake
                self._wake_pending = True
                os.eventfd_write(self._wake_fd, 1)

    def _request(self, item: tuple[Any, ...]) -> None:
        self._requests.append(item)
        self._wake()

    def _take_window(self, jobs: int) -> None:
        """Blocks while the window of unacknowledged jobs is full."""
        last = 0
        for _ in range(jobs):
            last = next(self._tickets)
        if last - self._submits.finished <= self.window:
            return
        if threading.current_thread() is self._thread:
            return  # a done-callback submitting: the acks it would wait for are ours to read
        with self._window_condition:
            self._window_waiters += 1
            try:
                while last - self._submits.finished > self.window:
                    self.check_open()
                    # Woken by acks; the timeout only re-checks a failure
                    # that raced with going to sleep.
                    self._window_condition.wait(0.5)
            finally:
                self._window_waiters -= 1

    def submit_job(self, job: bytes, future: JobFuture, notify: bool) -> None:
        self.check_open()
        self._take_window(1)
        self._requests.append((_JOB, job, future, notify))
        if len(self._requests) >= self._wake_after:
            self._wake()

    def submit_jobs(self, jobs: list[bytes], futures: list[JobFuture], notify: bool) -> None:
        """Many jobs as one request: one deque entry and at most one wake-up."""
        self.check_open()
        self._take_window(len(jobs))
        self._request((_JOBS, jobs, futures, notify))

    def submit_workflow(self, workflow: Any) -> None:
        """A jobq.workflow.PendingWorkflow: one WORKFLOW, its window tickets taken first."""
        self.check_open()
        self._take_window(workflow.cost)
        self._request((_WORKFLOW, workflow))

    def wait_ids(self, ids: list[bytes], futures: list[JobFuture]) -> None:
        self.check_open()
        self._request((_WAIT, ids, futures))

    def forget_future(self, future: JobFuture) -> None:
        """Stops waiting for a future's job without cancelling the job (a wait that timed out)."""
        if self.failure is None and not self.closed:
            self._request((_FORGET, future))

    def cancel_ids(self, ids: list[bytes]) -> None:
        self.check_open()
        self._request((_CANCEL_IDS, ids))

    def cancel_future(self, future: JobFuture) -> None:
        # Also after shutdown(wait=False): the I/O thread still serves the
        # futures it has until they are done.
        if self.failure is None and self._thread.is_alive():
            self._request((_CANCEL_FUTURE, future))

    def cancel_all(self) -> None:
        """Cancels every unfinished future, on the broker too (shutdown(cancel_futures=True))."""
        if self.failure is None:
            self._request((_CANCEL_ALL,))

    def sentinel(self, queue: str) -> "Future[None]":
        self.check_open()
        future: Future[None] = Future()
        self._request((_SENTINEL, queue, future))
        return future

    def drained(self) -> "Future[None]":
        """Done once no job, sentinel or wait of this client is unfinished."""
        future: Future[None] = Future()
        if self.failure is not None or not self._thread.is_alive():
            future.set_result(None)
        else:
            self._request((_DRAINED, future))
        return future

    def close(self, when_drained: bool = False, flush_timeout: float | None = None) -> None:
        """Stops the I/O thread; unfinished futures fail with ClientClosed.

        ``when_drained``: only once every future is done (returns at once).
        ``flush_timeout``: first wait up to this long for acks of what was sent.
        """
        if self.closed:
            return
        self.closed = True
        self._request((_CLOSE, when_drained, flush_timeout))
        if not when_drained and threading.current_thread() is not self._thread:
            self._thread.join()

    # == the I/O thread ========================================================

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self._dealer, zmq.POLLIN)
        poller.register(self._monitor, zmq.POLLIN)
        poller.register(self._wake_fd, zmq.POLLIN)
        dealer_events = zmq.POLLIN
        flush_until: float | None = None
        try:
            while True:
                stop = self._take_requests()
                now = time.monotonic()
                if stop is not None:
                    flush_until = stop
                self._send_pending(now)
                self._check_deadlines(now)
                self._next_endpoint_if_unconnected(now)
                self._settle_drained()
                if flush_until is not None and (
                    not self._submits.has_work() or now >= flush_until or self.failure is not None
                ):
                    break
                if self._close_when_drained and self._no_work():
                    break
                # Acks and results wake us; only with nothing in flight must
                # each new job do so.
                self._wake_after = 1 if not self._submits.pending else self._submits.batch_jobs_max
                if self._requests:
                    continue  # queued while we looked the other way
                wanted = zmq.POLLIN | (zmq.POLLOUT if self._wants_to_send() else 0)
                if wanted != dealer_events:
                    poller.modify(self._dealer, wanted)
                    dealer_events = wanted
                timeout = self._poll_timeout(now, flush_until)
                events = dict(poller.poll(timeout))
                now = time.monotonic()
                if self._dealer in events:
                    self._receive(now)
                if self._monitor in events:
                    self._receive_monitor_events(now)
        except Exception as error:  # noqa: BLE001 - callers must be released whatever broke
            log.exception("the jobq client's I/O thread failed")
            self._fail(BrokerError(f"the jobq client's I/O failed: {error!r}"))
        finally:
            self._shut()

    def _shut(self) -> None:
        self.closed = True
        self._fail(ClientClosed("the jobq client was closed before the broker answered"), sticky=False)
        while self._requests:
            self._fail_request(self._requests.popleft(), ClientClosed("the jobq client is closed"))
        self._settle_drained(force=True)
        # What is queued (a CANCEL from shutdown, say) may go out, but only to a
        # broker that is there; an absent one must not hold up closing.
        linger_ms = int(min(1.0, self.connect_timeout) * 1000) if self._connected and self.failure is None else 0
        try:
            self._dealer.disable_monitor()
        except zmq.ZMQError:
            pass
        self._monitor.close(linger=0)
        self._dealer.close(linger=linger_ms)
        self._context.term()
        with self._wake_lock:
            self._wake_open = False
            os.close(self._wake_fd)
        _live.discard(self)

    def _take_requests(self) -> float | None:
        """Moves what callers queued into the I/O state; a flush deadline once asked to close."""
        # Drained before the flag is cleared, never after: a wake written
        # between the two would otherwise be drained while the flag says one
        # is pending, and the next caller would skip its wake-up for good.
        try:
            os.eventfd_read(self._wake_fd)
        except BlockingIOError:
            pass
        self._wake_pending = False
        stop: float | None = None
        requests = self._requests
        submits = self._submits
        while requests:
            item = requests.popleft()
            kind = item[0]
            if self.failure is not None and kind != _CLOSE:
                self._fail_request(item, self.failure)
                continue
            if kind == _JOB:
                submits.add_job(item[1], item[2], item[3])
            elif kind == _JOBS:
                submits.add_jobs(item[1], item[2], item[3])
            elif kind == _WAIT:
                self._waits.register(item[1], item[2])
            elif kind == _FORGET:
                self._waits.forget(item[1])
            elif kind == _CANCEL_IDS:
                self._cancel_ids.extend(item[1])
            elif kind == _CANCEL_FUTURE:
                if self._waits.forget(item[1]):
                    self._cancel_ids.append(item[1]._jobq_id)
                # Not acknowledged yet: its ack sends the CANCEL (_on_accepted);
                # not sent yet: it never is.
            elif kind == _CANCEL_ALL:
                self._cancel_everything()
            elif kind == _SENTINEL:
                submits.add_sentinel(item[1], item[2])
            elif kind == _WORKFLOW:
                submits.add_workflow(item[1])
            elif kind == _DRAINED:
                self._drained.append(item[1])
            elif kind == _CLOSE:
                if item[1]:
                    self._close_when_drained = True
                else:
                    stop = time.monotonic() + (item[2] or 0.0) if self._connected else time.monotonic()
        return stop

    def _fail_request(self, item: tuple[Any, ...], error: BaseException) -> None:
        kind = item[0]
        if kind == _JOB:
            settle(item[2], error=error)
        elif kind in (_JOBS, _WAIT):
            for future in item[2]:
                settle(future, error=error)
        elif kind == _SENTINEL:
            settle(item[2], error=error)
        elif kind == _WORKFLOW:
            item[1].fail(error)
        elif kind == _DRAINED:
            settle(item[1], None)

    def _cancel_everything(self) -> None:
        submits = self._submits
        for job, future, _ in submits.unsent:
            if isinstance(future, JobFuture):
                future.cancel_locally()  # skipped when its batch is made
            elif job is WORKFLOW:
                future.cancel_locally()  # sent whole; its nodes are cancelled once named
        for workflow in submits.workflows.values():
            workflow.cancel_locally()
        for _, future, _, _ in submits.pending.values():
            future.cancel_locally()  # cancelled on the broker once its ack names it
        waits = self._waits
        for future in list(waits.waiting.values()) + [f for others in waits.extra.values() for f in others]:
            if future.cancel_locally():
                waits.forget(future)
                self._cancel_ids.append(future._jobq_id)

    def _no_work(self) -> bool:
        return not self._submits.has_work() and not self._waits.waiting

    def _settle_drained(self, force: bool = False) -> None:
        if self._drained and (force or self._no_work()):
            for future in self._drained:
                settle(future, None)
            self._drained.clear()

    # -- sending ---------------------------------------------------------------

    def _send(self, command: Command, body: bytes) -> bool:
        try:
            self._dealer.send_multipart((b"", SIGNATURE, _COMMAND_FRAMES[command], body), zmq.NOBLOCK, copy=len(body) < 65536)
        except zmq.Again:
            # Writable a moment ago: the connection broke in between, before the
            # monitor said so. The next connection re-sends what is unacknowledged.
            log.info("send refused by the connection to %s: waiting for the next one", self._endpoint)
            self._connected = False
            return False
        return True

    def _writable(self) -> bool:
        return bool(self._dealer.getsockopt(zmq.EVENTS) & zmq.POLLOUT)

    def _wants_to_send(self) -> bool:
        if not self._connected or self.failure is not None:
            return False
        return self._submits.ready_to_send() or bool(self._waits.unsent) or bool(self._cancel_ids)

    def _send_pending(self, now: float) -> None:
        # Until the monitor reports the connection, a send could overtake the
        # re-send a reconnect calls for.
        if not self._connected or self.failure is not None:
            return
        submits = self._submits
        awaited = submits.awaits_answers()
        sent = submits.send(self._send, self._writable)
        if not awaited and submits.awaits_answers():
            self._busy_since = now
        if not sent:
            return
        if not self._waits.send(self._send, now):
            return
        if self._cancel_ids:
            ids, self._cancel_ids = self._cancel_ids, []
            if not send_ids(self._send, Command.CANCEL, ids):
                self._cancel_ids = ids + self._cancel_ids

    # -- receiving -------------------------------------------------------------

    def _receive(self, now: float) -> None:
        dealer = self._dealer
        for _ in range(10_000):
            try:
                frames = dealer.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            self._heard_from_broker = True
            self._answered_on_connection = True
            self._unreachable_since = None
            if self.failure is not None:
                continue  # drain and drop: nobody waits any more
            try:
                message = decode(frames)
            except FrameError as error:
                self._fail(
                    BrokerError(
                        f"the broker at {self._endpoint} sent a malformed message ({error}): "
                        "is it a jobq broker of the same version?"
                    )
                )
                continue
            try:
                if message.command == Command.SUBMITTED:
                    self._on_submitted(wire_pb2.Submitted.FromString(message.body), now)
                elif message.command == Command.CLIENT_RESULT:
                    self._waits.complete(wire_pb2.ClientResults.FromString(message.body))
                elif message.command == Command.WORKFLOW_SUBMITTED:
                    self._on_workflow_submitted(wire_pb2.WorkflowSubmitted.FromString(message.body), now)
                elif message.command == Command.ERROR:
                    self._on_error(wire_pb2.Error.FromString(message.body), now)
                else:
                    log.warning("dropped a %s from the broker: not a client command", message.command.name)
            except Exception as error:  # protobuf's DecodeError, from the C++ or Python backend
                if type(error).__name__ != "DecodeError":
                    raise
                self._fail(
                    BrokerError(f"the broker at {self._endpoint} sent a {message.command.name} body that does not decode")
                )

    def _on_submitted(self, submitted: Any, now: float) -> None:
        self._last_answer_at = now
        if submitted.acks or submitted.sentinels:
            self._submits.on_submitted(submitted, self._on_accepted)
        self._after_answer()

    def _on_workflow_submitted(self, answer: Any, now: float) -> None:
        self._last_answer_at = now
        self._submits.on_workflow_submitted(answer, self._on_accepted)
        self._after_answer()

    def _after_answer(self) -> None:
        if not self._submits.awaits_answers():
            self._busy_since = None
        if self._window_waiters:
            with self._window_condition:
                self._window_condition.notify_all()

    def _on_accepted(self, raw_id: bytes, future: JobFuture, notify: bool) -> None:
        if future._jobq_cancel_requested:
            self._cancel_ids.append(raw_id)
        elif notify:
            self._waits.watch(raw_id, future)
        else:
            future._jobq_state = "accepted"
            settle(future, future.job_id)

    def _on_error(self, error: Any, now: float) -> None:
        code = error.code
        if code == wire_pb2.ERROR_CODE_TOO_LARGE and self._submits.on_batch_refused(error.first_seq, error.batch_max):
            self._last_answer_at = now
            return
        if code == wire_pb2.ERROR_CODE_UNKNOWN_JOB:
            # A CANCEL named jobs the broker no longer keeps: nothing to cancel.
            log.info("the broker does not know jobs it was asked to cancel: %s", error.text)
            return
        if code == wire_pb2.ERROR_CODE_QUEUE_FULL and self._submits.sentinels:
            # In version 1 only a SENTINEL is refused whole for a full queue,
            # and sentinels are answered in order: the oldest one.
            _, future = self._submits.sentinels.popleft()
            settle(future, error=BrokerError(f"the broker at {self._endpoint} refused the sentinel: {error.text}"))
            return
        # Any other ERROR names no request: failing all of them with the
        # broker's words beats letting them time out.
        name = wire_pb2.ErrorCode.Name(code) if code in wire_pb2.ErrorCode.values() else str(code)
        self._fail(BrokerError(f"the broker at {self._endpoint} rejected a request ({name}): {error.text}"))

    # -- the connection --------------------------------------------------------

    def _receive_monitor_events(self, now: float) -> None:
        while True:
            try:
                frames = self._monitor.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                event = parse_monitor_message(frames)
            except Exception:  # noqa: BLE001 - only libzmq writes here; a bad event is skipped
                continue
            kind = event["event"]
            if self._several and not self._names_current_endpoint(event.get("endpoint")):
                continue
            if kind == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._on_connected(now)
            elif kind == zmq.EVENT_DISCONNECTED:
                self._on_disconnected(now)
            elif kind in (
                zmq.EVENT_HANDSHAKE_FAILED_AUTH,
                zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL,
                zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL,
            ):
                self._on_handshake_failed(kind, event["value"])

    def _names_current_endpoint(self, endpoint: Any) -> bool:
        """Whether a monitor event may be about the endpoint connected to now.

        Events of the endpoint left behind can still come in while libzmq ends
        its connection attempt. They name it as it was given, except after one
        of libzmq's own reconnects, when a host name appears resolved: such an
        event names no endpoint of the list, and is taken as the current one's
        (the current one's own reconnects look the same). So a stale event
        slips through only with host names, and only from a handshake that
        completed in the moment between disconnect() and libzmq acting on it.
        """
        if isinstance(endpoint, bytes):
            endpoint = endpoint.decode("utf-8", "replace")
        return endpoint == self._endpoint or endpoint not in self._endpoint_set

    def _next_endpoint_if_unconnected(self, now: float) -> None:
        """With several brokers: after NEXT_ENDPOINT_AFTER without a connection, the next one.

        Only the leader listens, so the endpoint that accepts is the one to
        talk to. The socket stays; its pipe to the endpoint left behind ends
        with disconnect(), and with it whatever was still queued there (this
        client sends nothing while not connected, but what was queued before
        a connection broke waits in the pipe for the same endpoint to come
        back). So nothing meant for one broker reaches another, and none of
        it is lost: the next connection re-sends every unacknowledged job,
        with its token, every unanswered workflow and every WAIT
        (_on_connected). Unread answers of the old broker go too; the new
        one answers the re-sent requests again.
        """
        if not self._several or self._down_since is None or self.failure is not None:
            return
        if now - self._down_since < NEXT_ENDPOINT_AFTER:
            return
        old = self._endpoint
        self._endpoint_index = (self._endpoint_index + 1) % len(self.endpoints)
        try:
            self._dealer.disconnect(old)
        except zmq.ZMQError:
            pass  # libzmq forgot it already
        self._connected = False
        self._down_since = now
        try:
            self._dealer.connect(self._endpoint)
        except zmq.ZMQError as error:
            self._fail(
                BrokerError(f"cannot connect to the broker endpoint {self._endpoint!r} of {self.broker!r}: {error}")
            )
            return
        log.info(
            "no connection to %s for %s: trying %s",
            old,
            _seconds_text(NEXT_ENDPOINT_AFTER),
            self._endpoint,
        )

    def _on_connected(self, now: float) -> None:
        self._silent_handshake_failures = 0
        self._down_since = None
        if self._ever_connected:
            # Perhaps a restarted broker: it lost what it had not made durable and
            # no longer knows who waits. A job it kept is found by its token.
            self._submits.mark_all_for_resend()
            self._waits.resend_all()
            self._reconnected_at = now
            lost = self._submits.take_unconfirmed_sentinels()
            for queue, future in lost:
                # A sentinel has no token, so a second one could be a second barrier.
                settle(
                    future,
                    error=BrokerUnavailable(
                        f"the connection to the broker at {self._endpoint} was lost before it acknowledged "
                        f"the sentinel for queue {queue or 'default'}, so it may or may not be in the "
                        "queue: check the queue's SENTINELS in `jobq status` before sending another"
                    ),
                )
            log.info("reconnected to %s; re-sending %d unacknowledged jobs", self._endpoint, len(self._submits.pending))
            if self._submits.workflows:
                log.info("re-sending %d unacknowledged workflows", len(self._submits.workflows))
        elif self._several:
            log.info("connected to %s", self._endpoint)
        self._connected = True
        self._ever_connected = True
        self._answered_on_connection = False
        self._last_endpoint = self._endpoint

    def _on_disconnected(self, now: float) -> None:
        if self._connected and not self._answered_on_connection and self._submits.has_work():
            self._closed_unanswered += 1
        self._connected = False
        # Counted from the first loss: a connection that drops again before
        # its handshake (a paused broker's kernel still accepts) is no connection.
        if self._down_since is None:
            self._down_since = now
        log.info("lost the connection to %s", self._endpoint)

    def _on_handshake_failed(self, kind: int, value: int) -> None:
        curve = self._keys is not None
        public = self._keys.public if self._keys is not None else "(none)"
        if kind == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
            self._fail(
                AuthenticationError(
                    f"the broker at {self._endpoint} refused this producer's key {public}: add it to the "
                    f"broker's --producer-keys (status {value})"
                )
            )
        elif kind == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
            if value == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH and not curve:
                text = (
                    f"the broker at {self._endpoint} requires CURVE authentication: give broker_key (the "
                    "broker's .pub) and curve_key (this producer's .key, from `jobq keygen NAME`), or set "
                    "JOBQ_BROKER_KEY and JOBQ_CURVE_KEY"
                )
            elif value == zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
                text = (
                    f"the broker at {self._endpoint} does not use CURVE, but this producer was given keys: "
                    "drop broker_key and curve_key, or start the broker with --curve-secret-key"
                )
            else:
                text = (
                    f"the {'CURVE ' if curve else ''}handshake with the broker at {self._endpoint} failed "
                    f"(ZeroMQ protocol error {value:#x}): is broker_key the broker's public key, and is it "
                    "a jobq broker?"
                )
            self._fail(AuthenticationError(text))
        elif curve:
            self._silent_handshake_failures += 1
            if self._silent_handshake_failures >= _SILENT_HANDSHAKE_FAILURES_MAX:
                self._fail(
                    AuthenticationError(
                        f"the broker at {self._endpoint} closed the connection during the CURVE handshake: "
                        "either broker_key is not its public key (compare it with the broker's .pub; the "
                        "broker logs its public_key at start) or the broker does not use CURVE"
                    )
                )

    # -- deadlines -------------------------------------------------------------

    def _has_work(self) -> bool:
        return self._submits.has_work() or bool(self._waits.waiting)

    def _ack_deadline(self) -> float | None:
        """While connected, jobs and sentinels sent must be acknowledged within the connect timeout."""
        if not self._connected or self._busy_since is None:
            return None
        return max(self._busy_since, self._last_answer_at, self._reconnected_at) + self.connect_timeout

    def _unreachable_limit(self) -> float:
        return self.reconnect_timeout if self._heard_from_broker else self.connect_timeout

    def _check_deadlines(self, now: float) -> None:
        if self.failure is not None:
            return
        submits = self._submits
        ack_deadline = self._ack_deadline()
        if ack_deadline is not None and now >= ack_deadline:
            fate = _unknown_fate(*submits.unanswered())
            if self._heard_from_broker:
                self._fail(
                    BrokerUnavailable(
                        f"the broker at {self._endpoint} stopped answering (no acknowledgement in "
                        f"{_seconds_text(self.connect_timeout)}){fate}"
                    )
                )
            else:
                self._fail(
                    BrokerUnavailable(
                        f"cannot reach the broker at {self._endpoint} (no reply in "
                        f"{_seconds_text(self.connect_timeout)}): is jobq-broker running?{fate}"
                    )
                )
            return
        # Only an answer shows the broker is there: a connection it accepts and
        # closes unanswered (one at its --connections-max) must not restart the
        # clock. While connected with only results to wait for, all is well.
        if not self._has_work() or (
            self._connected and (self._answered_on_connection or not submits.has_work())
        ):
            self._unreachable_since = None
            return
        if self._unreachable_since is None:
            self._unreachable_since = now
        limit = self._unreachable_limit()
        if now - self._unreachable_since < limit:
            return
        fate = _unknown_fate(*submits.unanswered())
        closed = ""
        if self._closed_unanswered:
            closed = (
                f"; {self._closed_unanswered} connection(s) were closed before the broker answered: one "
                "at its --connections-max does that, as does one that stopped, or a message over its "
                "--message-max"
            )
        if self._heard_from_broker:
            again = "reconnect" if not self._several else f"connect to {describe(self.endpoints)}"
            text = (
                f"lost the connection to the broker at {self._last_endpoint} and could not {again} within "
                f"{_seconds_text(limit)}: is jobq-broker running?{closed}{fate}"
            )
        else:
            text = (
                f"cannot reach {describe(self.endpoints)} (no reply in {_seconds_text(limit)}): "
                f"is jobq-broker running?{closed}{fate}"
            )
        self._fail(BrokerUnavailable(text))

    def _poll_timeout(self, now: float, flush_until: float | None) -> int | None:
        deadlines = []
        ack_deadline = self._ack_deadline()
        if ack_deadline is not None:
            deadlines.append(ack_deadline)
        if self._unreachable_since is not None:
            deadlines.append(self._unreachable_since + self._unreachable_limit())
        if self._several and self._down_since is not None and self.failure is None:
            deadlines.append(self._down_since + NEXT_ENDPOINT_AFTER)
        if self._connected and self._waits.waiting and self._waits.next_resend_at is not None:
            deadlines.append(self._waits.next_resend_at)
        if flush_until is not None:
            deadlines.append(flush_until)
        if not deadlines:
            return None
        # Rounded up: waking a millisecond early would only poll again.
        return max(0, int((min(deadlines) - now) * 1000) + 1)

    def _fail(self, error: BaseException, sticky: bool = True) -> None:
        if sticky:
            if self.failure is not None:
                return
            self.failure = error
            log.debug("jobq client failed: %s", error)
        self._submits.fail_all(error)
        self._waits.fail_all(error)
        self._cancel_ids.clear()
        self._busy_since = None
        self._unreachable_since = None
        with self._window_condition:
            self._window_condition.notify_all()
        self._settle_drained(force=True)


@atexit.register
def _flush_at_exit() -> None:
    # Jobs submitted just before the program ends still reach the broker,
    # as a ThreadPoolExecutor still runs its queued work at exit; their
    # results are not waited for.
    for connection in list(_live):
        if not connection.closed:
            connection.close(flush_timeout=connection.connect_timeout)
