"""The worker's command line: the C++ jobq-worker's flags and environment
variables, plus what only a Python worker has (--tasks, --async-slots).

Bad flags exit with status 2 and one line that says what to change, as the
C++ programs do.
"""

from __future__ import annotations

import argparse
import os
import socket
from dataclasses import dataclass

from jobq.worker import log
from jobq._curve import ClientKeys, KeyFileError, load_key_pair, load_public_key
from jobq._endpoints import is_connectable, split_endpoint_list

PROGRAM = "jobq-py-worker"
DEFAULT_BROKER = "tcp://127.0.0.1:5556"
IO_THREADS_MAX = 1024
CPU_PROCS_MAX = 1024
PREFETCH_MAX = 100_000
ASYNC_SLOTS_MAX = 1_000_000
DEFAULT_ASYNC_SLOTS = 1000


@dataclass
class WorkerConfig:
    broker: str
    queues: list[str]
    tasks: list[str]
    io_threads: int
    cpu_procs: int
    async_slots: int
    prefetch: int
    max_jobs_per_child: int
    name: str
    host: str
    drain_grace_ms: int
    curve: ClientKeys | None
    log_level: str


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: {message}; see {self.prog} --help\n")


def _cores() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",")]


def _version() -> str:
    try:
        from jobq import __version__  # the package's, once it has one

        return str(__version__)
    except ImportError:
        return "unknown"


def _parser() -> argparse.ArgumentParser:
    cores = _cores()
    host = socket.gethostname() or "localhost"
    parser = _Parser(
        prog=PROGRAM,
        description=(
            "Runs Python tasks from a jobq broker: plain functions on a thread pool, async def "
            "functions on one asyncio event loop, CPU-bound tasks (kind=\"cpu\") in child "
            "processes. First SIGTERM or Ctrl-C: finish the jobs held, then exit; second: stop now."
        ),
    )
    parser.add_argument("--version", action="version", version=f"{PROGRAM} {_version()}")
    parser.add_argument(
        "--broker",
        default=os.environ.get("JOBQ_WORKER_BROKER") or DEFAULT_BROKER,
        help=f"The broker's worker endpoint (env JOBQ_WORKER_BROKER; default {DEFAULT_BROKER}); "
        "several brokers sharing one store, comma-separated: tcp://a:5556,tcp://b:5556",
    )
    parser.add_argument(
        "--queues", nargs="+", action="extend", metavar="QUEUE",
        help="Queues to take jobs from, comma-separated (default: default)",
    )  # fmt: skip
    parser.add_argument(
        "--tasks", action="append", metavar="MODULE[,MODULE]",
        help="Python modules whose @jobq.task functions this worker runs (importable names, "
        "or paths of .py files); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--io-threads", type=int, default=2 * cores,
        help=f"Threads of the I/O pool (default 2 x cores = {2 * cores})",
    )  # fmt: skip
    parser.add_argument(
        "--cpu-procs", type=int, default=cores,
        help=f"Child processes of the CPU pool (default: cores = {cores}; 0: none, CPU jobs run "
        "on the I/O pool)",
    )  # fmt: skip
    parser.add_argument(
        "--async-slots", type=int, default=DEFAULT_ASYNC_SLOTS,
        help="Jobs of async def tasks the event loop runs at once, on top of the I/O threads "
        f"(default {DEFAULT_ASYNC_SLOTS}; only when a task is async)",
    )  # fmt: skip
    parser.add_argument(
        "--prefetch", type=int, default=0,
        help="Jobs each pool takes beyond one per thread or child, so that short jobs never wait "
        "for a round trip to the broker (a prefetched job may wait behind a long one)",
    )  # fmt: skip
    parser.add_argument(
        "--max-jobs-per-child", type=int, default=0,
        help="Replace a CPU-pool child after this many jobs (0: never)",
    )  # fmt: skip
    parser.add_argument(
        "--name", default=f"{host}-{os.getpid()}",
        help="This worker's name, unique per broker (default HOST-PID)",
    )  # fmt: skip
    parser.add_argument(
        "--drain-grace", type=float, default=30.0,
        help="Seconds a drain (first SIGTERM) may take before the jobs still held are handed "
        "back to the broker (default 30)",
    )  # fmt: skip
    parser.add_argument(
        "--broker-key", default=os.environ.get("JOBQ_BROKER_KEY", ""),
        help="CURVE: the broker's public key file, broker.pub (env JOBQ_BROKER_KEY); with --curve-key",
    )  # fmt: skip
    parser.add_argument(
        "--curve-key", default=os.environ.get("JOBQ_CURVE_KEY", ""),
        help="CURVE: this worker's key pair file, NAME.key from `jobq keygen NAME` (env "
        "JOBQ_CURVE_KEY); its public key must be in the broker's --worker-keys",
    )  # fmt: skip
    parser.add_argument(
        "--log-level", default="info", choices=list(log.LEVELS),
        help="debug, info, warning or error (default info)",
    )  # fmt: skip
    return parser


def parse(argv: list[str] | None) -> WorkerConfig:
    """The configuration; prints what is wrong and exits 2 on a bad flag."""
    parser = _parser()
    args = parser.parse_args(argv)

    def check(ok: bool, problem: str) -> None:
        if not ok:
            parser.error(problem)

    try:
        brokers = split_endpoint_list(args.broker)
    except ValueError as error:
        parser.error(f"--broker: {error}")
    for endpoint in brokers:
        check(is_connectable(endpoint),
              "--broker must be a ZeroMQ endpoint such as tcp://HOST:PORT, or several brokers' "
              f'separated by commas, got "{endpoint}"')  # fmt: skip
    queues = _split(args.queues) if args.queues else ["default"]
    check(all(queues), "--queues has an empty queue name; list names like --queues a,b")
    tasks = _split(args.tasks)
    check(bool(tasks), "--tasks is required: the modules whose @jobq.task functions to run, "
          "e.g. --tasks myapp.tasks")  # fmt: skip
    check(all(tasks), "--tasks has an empty module name; list modules like --tasks a,b")
    check(1 <= args.io_threads <= IO_THREADS_MAX,
          f"--io-threads must be between 1 and {IO_THREADS_MAX}, got {args.io_threads}")  # fmt: skip
    check(0 <= args.cpu_procs <= CPU_PROCS_MAX,
          f"--cpu-procs must be between 0 and {CPU_PROCS_MAX}, got {args.cpu_procs}")  # fmt: skip
    check(1 <= args.async_slots <= ASYNC_SLOTS_MAX,
          f"--async-slots must be between 1 and {ASYNC_SLOTS_MAX}, got {args.async_slots}")  # fmt: skip
    check(0 <= args.prefetch <= PREFETCH_MAX,
          f"--prefetch must be between 0 and {PREFETCH_MAX}, got {args.prefetch}")  # fmt: skip
    check(0 <= args.max_jobs_per_child <= 2**32 - 1,
          f"--max-jobs-per-child must be between 0 (no limit) and {2**32 - 1}, got "
          f"{args.max_jobs_per_child}")  # fmt: skip
    check(0 <= args.drain_grace <= 86400,
          f"--drain-grace must be between 0 and 86400 seconds, got {args.drain_grace}")  # fmt: skip
    check(bool(args.name), "--name must not be empty; leave it out to use HOST-PID")
    curve = None
    if args.broker_key or args.curve_key:
        check(bool(args.broker_key and args.curve_key),
              "CURVE needs both --broker-key FILE (the broker's .pub) and --curve-key FILE (this "
              f"worker's own .key); only {'--broker-key' if args.broker_key else '--curve-key'} "
              "was given (or their environment variables JOBQ_BROKER_KEY / JOBQ_CURVE_KEY)")  # fmt: skip
        try:
            public, secret = load_key_pair(args.curve_key)
            curve = ClientKeys(load_public_key(args.broker_key), public, secret)
        except KeyFileError as error:
            parser.error(str(error))
    return WorkerConfig(
        broker=",".join(brokers),
        queues=list(dict.fromkeys(queues)),
        tasks=list(dict.fromkeys(tasks)),
        io_threads=args.io_threads,
        cpu_procs=args.cpu_procs,
        async_slots=args.async_slots,
        prefetch=args.prefetch,
        max_jobs_per_child=args.max_jobs_per_child,
        name=args.name,
        host=socket.gethostname() or "localhost",
        drain_grace_ms=int(args.drain_grace * 1000),
        curve=curve,
        log_level=args.log_level,
    )
