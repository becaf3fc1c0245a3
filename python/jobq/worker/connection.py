"""BrokerConnection: the worker's side of the broker protocol (docs/protocol.md).

Runs on the main thread: one DEALER socket to the broker, polled next to
the results mailbox and a wake-up fd for signals.

  HELLO -> WELCOME        register (a new registration number); re-send the
                          same HELLO every second until its WELCOME, then
                          HEARTBEAT every interval
  DISPATCH -> pools       run each job on the pool of its kind, if the
                          DISPATCH is of the latest registration and broker
  results -> RESULT, CREDIT   one batch per loop turn, then one CREDIT per
                          pool: the slots freed since HELLO, a running total
  CANCEL                  cancel the jobs' tokens
  SENTINEL(queue)         stop serving it; with no queue left, finish what
                          is held, send the results, BYE, return
  RECONNECT               a new registration, unless a HELLO already waits
                          for its WELCOME
  silence for liveness_misses x heartbeat_interval_ms
                          the broker is gone: close the socket, back off
                          (exponential, jittered), open a new DEALER and
                          HELLO again listing the jobs still held; results
                          finished meanwhile go after WELCOME
  several brokers         (--broker tcp://a:5556,tcp://b:5556: a leader and
                          standbys, of which only the leader listens) each
                          new DEALER connects to the next endpoint of the
                          list, and one with no connection after
                          NEXT_ENDPOINT_AFTER counts as unanswered

A mirror of the C++ worker's worker/conn/broker_connection.cpp, so that the
two behave alike on every path the spec leaves open. Bad input from the
broker is logged and dropped; it never ends the loop.
"""

from __future__ import annotations

import enum
import errno
import time
from dataclasses import dataclass, field

import zmq
from google.protobuf.internal.encoder import _VarintBytes
from google.protobuf.message import DecodeError

from jobq import wire_pb2
from jobq._frames import Command, FrameError, Message, decode, encode, job_id_text
from jobq.tasks import TaskDef
from jobq.worker import errors, execute, log, progress
from jobq.worker.backoff import Backoff
from jobq.worker.cancel import STOPPING, TIMEOUT, CANCELLED, CancelToken
from jobq._curve import ClientKeys
from jobq._endpoints import NEXT_ENDPOINT_AFTER, split_endpoint_list
from jobq.worker.deadlines import Deadlines
from jobq.worker.handshake import HandshakeMonitor, describe_failure
from jobq.worker.in_flight import Held, InFlight
from jobq.worker.mailbox import Mailbox
from jobq.worker.pools import KIND_CPU, KIND_IO, KIND_NAMES, Pools
from jobq.worker.stats import ProcessStats
from jobq.worker.wake import WakeFd

# A broker asking for heartbeats faster than this would keep the loop
# spinning on timers; the bounds are the broker's own flags' (spec, SUBMIT).
HEARTBEAT_MS_MIN = 10
HEARTBEAT_MS_MAX = 60_000
LIVENESS_MISSES_MAX = 100
# Messages handled per loop turn before results get theirs, so a flood from
# the broker cannot starve the RESULT/CREDIT path.
MESSAGES_PER_TURN = 1000
# A bound on what a peer posing as the broker can make the worker allocate.
BROKER_MESSAGE_MAX = 1 << 30
# A handshake closed without a reason may be a broker restarting at that
# moment: this many in a row before it counts.
SILENT_HANDSHAKE_FAILURES_MAX = 3
# With several brokers, how long a new socket may go without a connection
# before the next endpoint is tried (a standby does not listen).
_NEXT_ENDPOINT_MS = int(NEXT_ENDPOINT_AFTER * 1000)

_RESULT_TAG = b"\x0a"  # WorkerResults.results: field 1, length-delimited


class Exit(enum.Enum):
    QUEUES_DONE = "queues_done"  # every queue got its SENTINEL (or a drain ended), jobs done
    STOP_REQUESTED = "stop_requested"  # BYE sent, jobs still held cancelled
    BAD_ENDPOINT = "bad_endpoint"  # ZeroMQ refused the endpoint; nothing was sent


class _Phase(enum.Enum):
    HELLO_SENT = 1  # socket open, waiting for WELCOME
    REGISTERED = 2
    WAITING_TO_OPEN = 3  # socket closed after the broker went quiet


@dataclass
class ConnectionOptions:
    broker: str  # one endpoint, or several brokers' separated by commas
    name: str
    host: str
    pid: int
    queues: list[str]
    instance: int
    curve: ClientKeys | None = None
    drain_grace_ms: int = 30_000
    # Until the broker's WELCOME says otherwise.
    heartbeat_interval_ms: int = 1000
    liveness_misses: int = 3
    hello_resend_ms: int = 1000
    reconnect_initial_ms: int = 100
    reconnect_max_ms: int = 5000
    # How long the final BYE may wait to be delivered.
    bye_linger_ms: int = 1000
    # Limits on one RESULT message; a larger batch goes out as several.
    max_results_per_message: int = 1000
    max_result_message_bytes: int = 4 << 20
    # The largest result the broker keeps, until its WELCOME says.
    result_bytes_max: int = 16 << 20


@dataclass
class _Counters:
    done: int = 0
    failed: int = 0
    refused: int = 0


@dataclass
class _Credit:
    """Slots freed per pool under the current registration, and what the last CREDIT said."""

    freed_total: dict[int, int] = field(default_factory=dict)
    credited: dict[int, int] = field(default_factory=dict)
    # Slots of jobs refused for want of room, credited at the next heartbeat.
    refused: dict[int, int] = field(default_factory=dict)

    def free(self, kind: int, slots: int = 1) -> None:
        self.freed_total[kind] = self.freed_total.get(kind, 0) + slots


def progress_key(item: tuple) -> tuple | None:
    """The mailbox's coalescing key: a job's newer report replaces one not taken yet."""
    return ("progress", item[0]) if isinstance(item[1], wire_pb2.ProgressReport) else None


def _now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class BrokerConnection:
    def __init__(
        self,
        context: zmq.Context,
        options: ConnectionOptions,
        registry: dict[str, TaskDef],
        pools: Pools,
        mailbox: Mailbox,
    ) -> None:
        self._context = context
        self._options = options
        self._registry = registry
        self._pools = pools
        self._mailbox = mailbox
        # Progress reports: which go out (at most 10 a second per job), and
        # those to send before the next RESULT.
        self._progress = progress.Throttle()
        self._unsent_progress: list[wire_pb2.ProgressReport] = []
        self._queues: list[str] = list(dict.fromkeys(options.queues))
        self._heartbeat_ms = max(HEARTBEAT_MS_MIN, options.heartbeat_interval_ms)
        self._liveness_misses = max(1, options.liveness_misses)
        self._result_bytes_max = options.result_bytes_max
        self._backoff = Backoff(options.reconnect_initial_ms, options.reconnect_max_ms)
        self._wake = WakeFd()
        self._stop_requested = False
        self._drain_requested = False
        self._draining = False
        self._drain_deadline_ms = 0

        self._socket: zmq.Socket | None = None
        self._poller = zmq.Poller()
        self._phase = _Phase.WAITING_TO_OPEN
        self._last_heard_ms = 0
        self._hello_sent_ms = 0
        self._next_heartbeat_ms = 0
        self._open_at_ms = 0
        self._handshakes = HandshakeMonitor()
        self._silent_handshake_failures = 0
        # ValueError for a bad list; config.parse() has refused those already.
        self._endpoints = split_endpoint_list(options.broker)
        self._endpoint_index = 0
        self._several = len(self._endpoints) > 1
        # Whether the socket's connection came up (a handshake), and when it was opened.
        self._connection_up = False
        self._opened_ms = 0

        self._in_flight = InFlight()
        self._deadlines = Deadlines(self._in_flight)
        self._unsent: list[tuple[wire_pb2.JobResult, int]] = []
        self._registration = 0  # of the latest HELLO sent
        self._broker = 0  # Welcome.broker of this registration's WELCOME
        self._credit = _Credit()
        self._counters = _Counters()
        self._stats = ProcessStats(pools.child_pids)
        self._hello_tasks = [
            wire_pb2.TaskInfo(name=name, kind=KIND_CPU if definition.kind == "cpu" else KIND_IO)
            for name, definition in sorted(registry.items())
        ]

    # ---- from signal handlers ----------------------------------------------

    def request_stop(self) -> None:
        """Send BYE and return soon; jobs still held go back to the broker."""
        self._stop_requested = True
        self._wake.notify()

    def request_drain(self) -> None:
        """Take no more jobs, finish those held, then BYE; after the grace, as request_stop()."""
        self._drain_requested = True
        self._wake.notify()

    # ---- the loop ----------------------------------------------------------

    def run(self) -> Exit:
        pools = ",".join(
            f"{KIND_NAMES[kind]}:{capacity}" for kind, capacity in self._pools.capacities()
        )
        log.info(
            "started",
            name=self._options.name,
            broker=self._options.broker,
            queues=",".join(self._queues),
            pools=pools,
            tasks=len(self._registry),
        )
        if not self._open_socket(_now_ms()):
            return Exit.BAD_ENDPOINT
        self._send_hello(_now_ms(), new_registration=True)
        while True:
            self._poll()
            if self._stop_requested:
                return self._finish(Exit.STOP_REQUESTED)
            if self._drain_requested and not self._draining:
                self._begin_drain(_now_ms())
            if self._draining and _now_ms() >= self._drain_deadline_ms:
                log.warning(
                    "drain_timed_out",
                    grace_ms=self._options.drain_grace_ms,
                    in_flight=len(self._in_flight),
                )
                return self._finish(Exit.STOP_REQUESTED)
            self._check_handshakes(_now_ms())
            self._receive_all(_now_ms())
            self._deadlines.fire(time.monotonic(), self._time_out)
            self._collect_results()
            self._flush_results()
            self._run_timers(_now_ms())
            # Results wait for a broker to take them; with nothing left
            # to report there is no reason to wait for one.
            if not self._queues and not self._in_flight and not self._unsent:
                return self._finish(Exit.QUEUES_DONE)

    def _poll(self) -> None:
        # Emptied before the flags are read, so that a request after this
        # either shows below or ends the poll.
        self._wake.drain()
        if self._stop_requested or (self._drain_requested and not self._draining):
            timeout_ms = 0
        else:
            timeout_ms = max(0, self._next_timer_ms() - _now_ms())
            deadline = self._deadlines.next_deadline()
            if deadline is not None:
                timeout_ms = min(timeout_ms, max(0, int((deadline - time.monotonic()) * 1000) + 1))
        try:
            self._poller.poll(timeout_ms)
        except zmq.ZMQError as error:
            # EINTR: a signal arrived; the loop looks at the flags next.
            if error.errno != errno.EINTR:
                log.warning("poll_failed", error=str(error))

    def _rebuild_poller(self) -> None:
        self._poller = zmq.Poller()
        self._poller.register(self._wake.fileno(), zmq.POLLIN)
        self._poller.register(self._mailbox.fileno(), zmq.POLLIN)
        if self._socket is not None:
            self._poller.register(self._socket, zmq.POLLIN)
        if self._handshakes.pollable is not None:
            self._poller.register(self._handshakes.pollable, zmq.POLLIN)

    def _next_timer_ms(self) -> int:
        if self._phase == _Phase.WAITING_TO_OPEN:
            next_ms = self._open_at_ms
        elif self._phase == _Phase.HELLO_SENT:
            next_ms = min(
                self._last_heard_ms + self._liveness_ms(),
                self._hello_sent_ms + self._options.hello_resend_ms,
            )
            if self._waits_for_connection():
                next_ms = min(next_ms, self._opened_ms + _NEXT_ENDPOINT_MS)
        else:
            next_ms = min(self._last_heard_ms + self._liveness_ms(), self._next_heartbeat_ms)
            due_ms = self._progress.next_due_ms()
            if due_ms is not None:
                next_ms = min(next_ms, due_ms)
        return min(next_ms, self._drain_deadline_ms) if self._draining else next_ms

    def _liveness_ms(self) -> int:
        return self._liveness_misses * self._heartbeat_ms

    @property
    def _endpoint(self) -> str:
        """The endpoint the socket connects (or will connect) to."""
        return self._endpoints[self._endpoint_index]

    def _next_endpoint(self) -> None:
        """With several brokers, the next socket connects to the next endpoint, round-robin."""
        if self._several:
            self._endpoint_index = (self._endpoint_index + 1) % len(self._endpoints)

    def _waits_for_connection(self) -> bool:
        """With several brokers: a socket waiting for its WELCOME whose connection never came up."""
        return self._several and self._phase == _Phase.HELLO_SENT and not self._connection_up

    def _run_timers(self, now_ms: int) -> None:
        if self._phase == _Phase.WAITING_TO_OPEN:
            if now_ms < self._open_at_ms:
                return
            log.info("reconnecting", broker=self._endpoint, attempt=self._backoff.attempts)
            if self._open_socket(now_ms):
                self._send_hello(now_ms, new_registration=True)
            else:
                self._next_endpoint()
                self._open_at_ms = now_ms + self._backoff.next_delay_ms()
            return
        if now_ms - self._last_heard_ms >= self._liveness_ms():
            self._lose_broker(now_ms)
            return
        if self._waits_for_connection() and now_ms - self._opened_ms >= _NEXT_ENDPOINT_MS:
            # A standby does not listen: the leader is another endpoint.
            self._lose_broker(now_ms, not_listening=True)
            return
        if (
            self._phase == _Phase.HELLO_SENT
            and now_ms - self._hello_sent_ms >= self._options.hello_resend_ms
        ):
            self._send_hello(now_ms, new_registration=False)
        due_ms = self._progress.next_due_ms()
        if self._phase == _Phase.REGISTERED and due_ms is not None and now_ms >= due_ms:
            self._unsent_progress += self._progress.take_due(now_ms)
            self._flush_progress()
        if self._phase == _Phase.REGISTERED and now_ms >= self._next_heartbeat_ms:
            self._send_heartbeat()
            self._next_heartbeat_ms = now_ms + self._heartbeat_ms
            # The slots of jobs refused since the last heartbeat: the pool
            # has had an interval to drain. The next flush credits them.
            for kind, refused in self._credit.refused.items():
                self._credit.free(kind, refused)
            self._credit.refused.clear()

    def _begin_drain(self, now_ms: int) -> None:
        self._draining = True
        self._drain_deadline_ms = now_ms + self._options.drain_grace_ms
        # With no queue left no CREDIT goes out, and the loop ends once the
        # jobs held are reported.
        self._queues.clear()
        log.info("draining", in_flight=len(self._in_flight), grace_ms=self._options.drain_grace_ms)
        if self._phase == _Phase.REGISTERED:
            self._send_heartbeat()  # tells the broker at once to send nothing more

    # ---- the socket --------------------------------------------------------

    def _open_socket(self, now_ms: int) -> bool:
        socket = self._context.socket(zmq.DEALER)
        socket.setsockopt(zmq.LINGER, 0)
        # A send must never block the loop. With no room the message is
        # dropped, which the protocol survives: HELLO is re-sent, and a lost
        # RESULT means the job runs again (delivery is at least once).
        socket.setsockopt(zmq.SNDTIMEO, 0)
        socket.setsockopt(zmq.MAXMSGSIZE, BROKER_MESSAGE_MAX)
        curve = self._options.curve
        if curve is not None:
            socket.setsockopt(zmq.CURVE_SERVERKEY, curve.server_public.encode("ascii"))
            socket.setsockopt(zmq.CURVE_PUBLICKEY, curve.public.encode("ascii"))
            socket.setsockopt(zmq.CURVE_SECRETKEY, curve.secret.encode("ascii"))
        self._handshakes.attach(socket)
        try:
            socket.connect(self._endpoint)
        except zmq.ZMQError as error:
            log.error("bad_broker_endpoint", broker=self._endpoint, error=str(error))
            self._handshakes.detach()
            socket.close(linger=0)
            self._rebuild_poller()
            return False
        self._socket = socket
        self._rebuild_poller()
        # Silence is measured from the moment there is someone to hear from.
        self._last_heard_ms = now_ms
        self._opened_ms = now_ms
        self._connection_up = False
        return True

    def _close_socket(self, linger_ms: int) -> None:
        if self._socket is None:
            return
        self._handshakes.detach()
        self._socket.close(linger=linger_ms)
        self._socket = None
        self._rebuild_poller()

    def _lose_broker(self, now_ms: int, not_listening: bool = False) -> None:
        delay_ms = self._backoff.next_delay_ms()
        lost = self._endpoint
        self._next_endpoint()
        # With several brokers, where the next attempt goes.
        following = {"next": self._endpoint} if self._several else {}
        if self._phase == _Phase.REGISTERED:
            log.warning(
                "broker_lost",
                broker=lost,
                silent_ms=now_ms - self._last_heard_ms,
                held=len(self._in_flight),
                retry_in_ms=delay_ms,
                **following,
            )
        elif not_listening:
            log.info(
                "broker_not_listening",
                broker=lost,
                waited_ms=now_ms - self._opened_ms,
                attempt=self._backoff.attempts,
                retry_in_ms=delay_ms,
                **following,
            )
        else:
            log.warning(
                "broker_unanswered",
                broker=lost,
                waited_ms=now_ms - self._last_heard_ms,
                attempt=self._backoff.attempts,
                retry_in_ms=delay_ms,
                **following,
            )
        # Linger 0: whatever was queued for the old broker is stale (never
        # sent to another: the next socket is a new one). A new socket also
        # drops ZeroMQ's own reconnect state for the old peer.
        self._close_socket(0)
        self._progress.clear()
        self._phase = _Phase.WAITING_TO_OPEN
        self._open_at_ms = now_ms + delay_ms

    def _check_handshakes(self, now_ms: int) -> None:
        curve = self._options.curve
        public_key = curve.public if curve is not None else ""
        for event, value in self._handshakes.take():
            if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
                self._silent_handshake_failures = 0
                self._connection_up = True
                continue
            why = describe_failure(event, value, self._endpoint, public_key)
            if why is None:
                continue
            if event == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
                self._silent_handshake_failures += 1
                if self._silent_handshake_failures < SILENT_HANDSHAKE_FAILURES_MAX:
                    continue
            self._silent_handshake_failures = 0
            log.error("handshake_refused", why=why + "; retrying with backoff")
            # A new socket after a backoff, rather than ZeroMQ's own
            # reconnects every 100 ms: the allow-list will not change that fast.
            self._lose_broker(now_ms)
            return  # the events left were about the socket just closed

    def _send(self, command: Command, body: bytes) -> None:
        if self._socket is None:
            return
        try:
            self._socket.send_multipart(encode(command, body), zmq.NOBLOCK)
        except zmq.Again:
            log.debug("send_dropped", command=command.name)
        except zmq.ZMQError as error:
            log.warning("send_failed", command=command.name, error=str(error))

    # ---- from the broker ---------------------------------------------------

    def _receive_all(self, now_ms: int) -> None:
        for _ in range(MESSAGES_PER_TURN):
            if self._socket is None:
                return
            try:
                frames = self._socket.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            except zmq.ZMQError as error:
                log.warning("receive_failed", error=str(error))
                self._lose_broker(now_ms)
                return
            try:
                message = decode(frames)
            except FrameError as error:
                log.warning("bad_message", error=str(error))
                continue
            self._handle(message, now_ms)

    def _handle(self, message: Message, now_ms: int) -> None:
        # Only a well-formed message other than ERROR proves the broker
        # knows us: a restarted broker may answer an unknown worker with
        # ERROR, and counting that as life would keep the worker from
        # registering again.
        command = message.command
        try:
            if command == Command.WELCOME:
                self._handle_welcome(wire_pb2.Welcome.FromString(message.body), now_ms)
            elif command == Command.DISPATCH:
                dispatch = wire_pb2.Dispatch.FromString(message.body)
                if self._accept_dispatch(dispatch, now_ms):
                    for job in dispatch.jobs:
                        self._start_job(job)
            elif command == Command.WORKER_CANCEL:
                for job_id in wire_pb2.Cancel.FromString(message.body).ids:
                    self._in_flight.cancel(job_id, CANCELLED)
            elif command == Command.WORKER_SENTINEL:
                self._handle_sentinel(wire_pb2.Sentinel.FromString(message.body))
            elif command == Command.BROKER_HEARTBEAT:
                wire_pb2.Heartbeat.FromString(message.body)
            elif command == Command.RECONNECT:
                # While a HELLO waits for its WELCOME, a RECONNECT answers
                # something sent before it (a restarted broker answers each
                # such message with one): that HELLO registers the worker,
                # and a new one per RECONNECT would only take back what the
                # last one was given.
                if self._phase != _Phase.HELLO_SENT:
                    self._register_again("reconnect_requested", now_ms)
            elif command == Command.ERROR:
                error = wire_pb2.Error.FromString(message.body)
                log.warning(
                    "broker_error", code=wire_pb2.ErrorCode.Name(error.code), text=error.text
                )
                return
            else:
                log.warning("unhandled_command", command=command.name)
                return
        except DecodeError:
            log.warning("bad_body", command=command.name, bytes=len(message.body))
            return
        except ValueError:  # an enum number the generated code does not know
            log.warning("bad_body", command=command.name, bytes=len(message.body))
            return
        self._last_heard_ms = now_ms

    def _handle_welcome(self, welcome: wire_pb2.Welcome, now_ms: int) -> None:
        if welcome.heartbeat_interval_ms > 0:
            self._heartbeat_ms = min(
                max(welcome.heartbeat_interval_ms, HEARTBEAT_MS_MIN), HEARTBEAT_MS_MAX
            )
        if welcome.liveness_misses > 0:
            self._liveness_misses = min(welcome.liveness_misses, LIVENESS_MISSES_MAX)
        if welcome.registration != self._registration:
            return  # the answer to a HELLO this worker has since replaced
        if self._phase == _Phase.REGISTERED:
            # A second WELCOME answers a re-sent HELLO; the registration
            # stands, unless another broker process took a copy of it.
            if welcome.broker != self._broker:
                self._register_again("welcome_from_another_broker", now_ms)
            return
        if welcome.result_bytes_max > 0:
            self._result_bytes_max = welcome.result_bytes_max
        self._broker = welcome.broker
        self._phase = _Phase.REGISTERED
        self._backoff.reset()
        self._next_heartbeat_ms = now_ms + self._heartbeat_ms
        log.info(
            "registered",
            broker=self._endpoint,
            name=self._options.name,
            registration=self._registration,
            heartbeat_ms=self._heartbeat_ms,
            held=len(self._in_flight),
            unsent_results=len(self._unsent),
        )

    def _accept_dispatch(self, dispatch: wire_pb2.Dispatch, now_ms: int) -> bool:
        if (
            self._phase == _Phase.REGISTERED
            and dispatch.registration == self._registration
            and dispatch.broker == self._broker
        ):
            return True
        # Leased under a registration this worker has since replaced (its
        # HELLO listed what it held, and the broker took the rest back), or
        # before the WELCOME that says which broker process registered it.
        # Running them could run them twice and overfill the pools.
        log.info(
            "stale_dispatch_dropped",
            jobs=len(dispatch.jobs),
            registration=dispatch.registration,
            current=self._registration,
        )
        if self._phase == _Phase.REGISTERED and dispatch.registration == self._registration:
            # Another broker process (a restarted one) registered an old
            # copy of this worker's HELLO and leases jobs under it.
            self._register_again("dispatch_from_another_broker", now_ms)
        return False

    def _register_again(self, why: str, now_ms: int) -> None:
        log.info(why, broker=self._endpoint)
        self._send_hello(now_ms, new_registration=True)

    def _handle_sentinel(self, sentinel: wire_pb2.Sentinel) -> None:
        if sentinel.queue not in self._queues:
            log.warning("sentinel_for_unserved_queue", queue=sentinel.queue)
            return
        self._queues.remove(sentinel.queue)
        log.info(
            "sentinel",
            queue=sentinel.queue,
            queues_left=len(self._queues),
            in_flight=len(self._in_flight),
        )

    # ---- jobs --------------------------------------------------------------

    def _start_job(self, job: wire_pb2.DispatchedJob) -> None:
        definition = self._registry.get(job.task)
        kind, runner = self._pools.route(job, definition)
        token = CancelToken()
        held = self._in_flight.add(job, kind, token)
        if held is None:
            log.warning("duplicate_dispatch", job=_id_text(job.id), attempt=job.attempt)
            return
        if definition is None:
            unknown = execute.error_result(job, errors.UNKNOWN_TASK, self._unknown_task(job.task))
            self._finish_now(held, unknown)
            return
        timeout_ms = execute.clamp_timeout_ms(job.timeout_ms)
        deadline = time.time() + timeout_ms / 1000 if timeout_ms else None
        if runner.submit(definition, job, token, deadline):
            # The CPU pool times its jobs from when a child takes them and
            # kills the child; the other runners are timed here.
            if timeout_ms and kind == KIND_IO:
                self._deadlines.watch(time.monotonic() + timeout_ms / 1000, held)
            return
        # Only threads held by tasks past their timeout (or a broker that
        # sends more than it was credited) get here. The broker puts the job
        # back without spending an attempt; its slot is credited back only
        # at the next heartbeat, so a pool that stays full refuses at most
        # one job per slot per interval.
        self._in_flight.finish(held.key)
        self._credit.refused[kind] = self._credit.refused.get(kind, 0) + 1
        self._counters.refused += 1
        log.warning("pool_full", pool=KIND_NAMES[kind], job=_id_text(job.id))
        self._unsent.append(
            (
                execute.error_result(
                    job,
                    errors.WORKER_OVERLOADED,
                    f"the worker's {KIND_NAMES[kind]} pool is full: the broker sent more jobs "
                    "than the worker had credited",
                ),
                kind,
            )
        )

    def _unknown_task(self, task: str) -> str:
        names = ", ".join(sorted(self._registry)) or "(no tasks)"
        return f'unknown task "{task}"; this worker runs: {names}'

    def _time_out(self, held: Held) -> None:
        """A job on the I/O side ran past its timeout: report it now, cancel its token."""
        held.token.cancel(TIMEOUT)
        job = held.job
        result = execute.error_result(
            job,
            errors.TIMEOUT,
            f'task "{job.task}" did not finish within the job\'s timeout of {job.timeout_ms} ms',
        )
        self._finish_now(held, result)

    def _finish_now(self, held: Held, result: wire_pb2.JobResult) -> None:
        """Reports a job the connection itself ended (unknown task, timeout)."""
        self._in_flight.finish(held.key)
        self._credit.free(held.kind)
        self._counters.failed += 1
        self._unsent.append((result, held.kind))

    def _collect_results(self) -> None:
        finish = self._in_flight.finish
        credit = self._credit
        counters = self._counters
        throttle = self._progress
        registered = self._phase == _Phase.REGISTERED
        now_ms = _now_ms()
        for key, result in self._mailbox.take_all():
            if isinstance(result, wire_pb2.ProgressReport):
                # Not kept for a broker to come: the next report will do.
                if registered and self._in_flight.get(key) is not None:
                    if throttle.offer(result, now_ms):
                        self._unsent_progress.append(result)
                continue
            # Its last report goes out before it, so the broker still takes it.
            last = throttle.finish(key)
            if last is not None and registered:
                self._unsent_progress.append(last)
            held = finish(key)
            if held is None:
                continue  # not ours any more: its timeout was reported first
            credit.free(held.kind)
            if result.ok:
                if len(result.result) > self._result_bytes_max:
                    self._fail_as_too_large(result)
                    counters.failed += 1
                else:
                    counters.done += 1
            else:
                counters.failed += 1
            self._unsent.append((result, held.kind))

    def _fail_as_too_large(self, result: wire_pb2.JobResult) -> None:
        size = len(result.result)
        execute.fail(
            result,
            errors.RESULT_TOO_LARGE,
            f"the result is {size} bytes; the broker keeps at most {self._result_bytes_max} (its "
            "--result-max): return less, or store it elsewhere and return where",
        )

    def _flush_progress(self) -> None:
        if self._phase != _Phase.REGISTERED:
            self._unsent_progress.clear()
            return
        reports = self._unsent_progress
        for first in range(0, len(reports), progress.REPORTS_PER_MESSAGE_MAX):
            body = wire_pb2.Progress(reports=reports[first : first + progress.REPORTS_PER_MESSAGE_MAX])
            self._send(Command.PROGRESS, body.SerializeToString())
        reports.clear()

    def _flush_results(self) -> None:
        self._flush_progress()
        if self._phase != _Phase.REGISTERED:
            return
        if self._unsent:
            # WorkerResults is one repeated field, so its encoding is the
            # concatenation of its results, each behind a tag and a length:
            # built from bytes, the batch copies no message. Cut by count
            # and by bytes, so that no RESULT comes near the broker's
            # message limit (past it the broker drops the connection).
            max_count = self._options.max_results_per_message
            max_bytes = self._options.max_result_message_bytes
            parts: list[bytes] = []
            size = 0
            for result, _ in self._unsent:
                data = result.SerializeToString()
                part_size = len(data) + 6
                if parts and (len(parts) // 3 >= max_count or size + part_size > max_bytes):
                    self._send(Command.WORKER_RESULT, b"".join(parts))
                    parts.clear()
                    size = 0
                parts += (_RESULT_TAG, _VarintBytes(len(data)), data)
                size += part_size
            self._send(Command.WORKER_RESULT, b"".join(parts))
            self._unsent.clear()
        # With no queue left the worker takes no more jobs: it offers no slots.
        if not self._queues:
            return
        credit = self._credit
        for kind, freed in credit.freed_total.items():
            if credit.credited.get(kind) == freed:
                continue
            body = wire_pb2.Credit(kind=kind, freed_total=freed, registration=self._registration)
            self._send(Command.CREDIT, body.SerializeToString())
            credit.credited[kind] = freed

    # ---- to the broker -----------------------------------------------------

    def _send_hello(self, now_ms: int, new_registration: bool) -> None:
        if new_registration:
            self._registration += 1
            # The finished jobs HELLO lists hold slots in the broker's count
            # until their RESULT; the first CREDIT gives them back.
            self._credit = _Credit()
            for _, kind in self._unsent:
                self._credit.free(kind)
        hello = wire_pb2.Hello(
            name=self._options.name,
            host=self._options.host,
            pid=self._options.pid,
            queues=self._queues,
            tasks=self._hello_tasks,
            instance=self._options.instance,
            registration=self._registration,
        )
        for kind, capacity in self._pools.capacities():
            hello.pools.add(kind=kind, capacity=capacity)
        for held in self._in_flight:
            hello.in_flight.add(id=held.key[0], attempt=held.key[1], kind=held.kind)
        for result, kind in self._unsent:
            hello.in_flight.add(id=result.id, attempt=result.attempt, kind=kind)
        self._send(Command.HELLO, hello.SerializeToString())
        self._phase = _Phase.HELLO_SENT
        self._hello_sent_ms = now_ms

    def _send_heartbeat(self) -> None:
        cpu_percent, rss_bytes = self._stats.take()
        heartbeat = wire_pb2.Heartbeat(
            cpu_percent=cpu_percent,
            rss_bytes=rss_bytes,
            jobs_done=self._counters.done,
            jobs_failed=self._counters.failed,
            draining=self._draining,
        )
        for kind, capacity in self._pools.capacities():
            heartbeat.pools.add(kind=kind, capacity=capacity, in_flight=self._in_flight.count(kind))
        # Renews the leases of jobs without a timeout, which would otherwise
        # be taken back after a liveness window.
        heartbeat.holding.extend(held.key[0] for held in self._in_flight)
        self._send(Command.WORKER_HEARTBEAT, heartbeat.SerializeToString())

    def _finish(self, exit: Exit) -> Exit:
        if exit == Exit.STOP_REQUESTED:
            # BYE hands the held jobs back to the broker; cancelling lets
            # cooperative tasks end now rather than run for nobody.
            self._in_flight.cancel_all(STOPPING)
        if self._socket is not None:
            self._send(Command.BYE, b"")
            self._close_socket(self._options.bye_linger_ms)
        log.info(
            "drained" if exit == Exit.QUEUES_DONE else "stopping",
            name=self._options.name,
            jobs_done=self._counters.done,
            jobs_failed=self._counters.failed,
            cancelled=len(self._in_flight),
        )
        return exit


def _id_text(raw: bytes) -> str:
    return job_id_text(raw) if len(raw) == 16 else raw.hex()
