"""``python3 -m jobq.worker`` / ``jobq-py-worker``: runs Python tasks from a broker.

Exit status: 0 after a drain (sentinel, SIGTERM) or a stop; 2 for bad flags,
a --tasks module that does not import, or an endpoint ZeroMQ refuses.
"""

from __future__ import annotations

import os
import random
import sys

import zmq

from jobq.tasks import registry
from jobq.worker import config as worker_config
from jobq.worker import log
from jobq.worker.connection import BrokerConnection, ConnectionOptions, Exit, progress_key
from jobq.worker.mailbox import Mailbox
from jobq.worker.pools import Pools
from jobq.worker.signals import stop_signals
from jobq.worker.task_modules import TaskModuleError, import_task_modules


def main(argv: list[str] | None = None) -> int:
    config = worker_config.parse(sys.argv[1:] if argv is None else argv)
    log.set_level(config.log_level)
    # Before any pool or connection: a worker that cannot run what it was
    # told to should say so and stop, not register and fail every job.
    try:
        modules = import_task_modules(config.tasks)
    except TaskModuleError as error:
        print(f"{worker_config.PROGRAM}: {error}", file=sys.stderr)
        return 2
    tasks = registry()
    if not tasks:
        print(
            f"{worker_config.PROGRAM}: the --tasks modules ({', '.join(modules)}) register no "
            "task; decorate functions with @jobq.task",
            file=sys.stderr,
        )
        return 2

    mailbox: Mailbox = Mailbox(coalesce=progress_key)
    pools = Pools(
        tasks,
        io_threads=config.io_threads,
        cpu_procs=config.cpu_procs,
        prefetch=config.prefetch,
        async_slots=config.async_slots,
        max_jobs_per_child=config.max_jobs_per_child,
        task_modules=modules,
        post=mailbox.post,
    )
    options = ConnectionOptions(
        broker=config.broker,
        name=config.name,
        host=config.host,
        pid=os.getpid(),
        queues=config.queues,
        instance=random.SystemRandom().randrange(1, 2**64),
        curve=config.curve,
        drain_grace_ms=config.drain_grace_ms,
    )
    context = zmq.Context(1)
    exit: Exit | None = None
    try:
        connection = BrokerConnection(context, options, tasks, pools, mailbox)
        with stop_signals(connection):
            exit = connection.run()
    finally:
        # After a drain every job is done; after a stop (or a failure of
        # the worker itself) the jobs went back with BYE or go back when
        # their leases run out, and nobody waits for their threads.
        pools.stop(now=exit != Exit.QUEUES_DONE)
        if exit is None:
            context.destroy(linger=0)  # run() failed with its socket open
        else:
            context.term()  # waits only for BYE to leave (its socket's linger)
    return 2 if exit == Exit.BAD_ENDPOINT else 0


if __name__ == "__main__":
    sys.exit(main())
