"""Failover between brokers on different endpoints, without PostgreSQL.

A leader's successor listens on another endpoint (docs/protocol.md, "Several
brokers: a leader and standbys"). Here broker A (SQLite store) is killed
with SIGKILL and a broker with the same store starts on endpoints where
nothing listened before: the client, given "P2,P1", re-sends what A had not
acknowledged (the new broker dedups by submit_token), and the Python
worker, given "W2,W1", re-registers there with the jobs it holds, which the
new broker adopts. Bad lists are usage errors of the worker.
"""

from __future__ import annotations

import collections
import logging
import re
import signal
import socket
import threading
from pathlib import Path

import jobq
import pytest
from jobq_cluster import Broker, wait_until
from pyworker import start_py_worker, wait_registered

SHORT_JOBS = 200
IN_FLIGHT = 20
LATE_JOBS = 5
LONG_JOBS = 4
LONG_SECONDS = 4.0


def free_port() -> int:
    """A loopback port nothing listens on yet (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_kill_9_and_a_successor_on_other_endpoints(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jobq")
    data = tmp_path / "broker"
    frontend_2, backend_2 = free_port(), free_port()
    first = Broker.start(data, "--heartbeat-ms", "200", store="sqlite")
    worker = start_py_worker(
        None,
        "--broker", f"tcp://127.0.0.1:{backend_2},{first.backend}",
        "--io-threads", "12", "--cpu-procs", "0",
        directory=data,
    )  # fmt: skip
    # Through W2, where nothing listens, to W1 about a second later.
    wait_registered(first, worker.name)
    completions: collections.Counter[int] = collections.Counter()
    short: list[jobq.JobFuture] = []
    late: list[jobq.JobFuture] = []  # submitted while the broker is paused

    def count(future: jobq.JobFuture) -> None:
        completions[id(future)] += 1

    # Batches of LATE_JOBS: the first batch with a late job in it is full, so
    # it goes out even while an earlier SUBMIT awaits its acknowledgement.
    with jobq.Executor(
        f"tcp://127.0.0.1:{frontend_2},{first.frontend}", reconnect_timeout=30, batch_max=LATE_JOBS
    ) as executor:
        markers = [tmp_path / f"long-{i}" for i in range(LONG_JOBS)]
        long = [executor.submit("whoami", marker=str(marker), seconds=LONG_SECONDS) for marker in markers]
        wait_until(lambda: all(marker.exists() for marker in markers), what="the long jobs running")

        def produce() -> None:
            # A stream: each job once the one 20 before it is done.
            for i in range(SHORT_JOBS):
                if i >= IN_FLIGHT:
                    short[i - IN_FLIGHT].result(60)
                future = executor.submit("sleep", seconds=0.02)
                future.add_done_callback(count)
                short.append(future)

        producer = threading.Thread(target=produce)
        producer.start()
        wait_until(lambda: sum(f.done() for f in short) >= 30, what="30 short jobs done")
        # Paused first: what the client sends it now stays unacknowledged.
        first.signal(signal.SIGSTOP)
        for _ in range(LATE_JOBS):
            future = executor.submit("sleep", seconds=0.02)
            future.add_done_callback(count)
            late.append(future)
        pending = executor.client._connection._submits.pending

        def a_late_job_sent() -> bool:
            sent = {id(entry[1]) for entry in list(pending.values())}
            return any(id(future) in sent for future in late)

        wait_until(a_late_job_sent, what="a late job sent to the paused broker")
        first.kill()
        second = Broker.start(
            data, "--heartbeat-ms", "200", store="sqlite",
            frontend_port=frontend_2, backend_port=backend_2, _start=1,
        )  # fmt: skip
        producer.join(60)
        assert not producer.is_alive()
        results = [f.result(60) for f in short + late]
        long_results = [f.result(60) for f in long]

    assert results == [{"slept": 0.02}] * (SHORT_JOBS + LATE_JOBS)
    assert all(completions[id(f)] == 1 for f in short + late)
    # Held across the failover, listed in the worker's HELLO and adopted by
    # the new broker: run once, and the result of that first attempt taken.
    # (Their futures' attempts say 2, as after a restart on the same
    # endpoint: a broker restored from its store skips an attempt number of
    # each job it found running, broker/core/broker_core.cpp.)
    assert [r["attempt"] for r in long_results] == [1] * LONG_JOBS
    futures = long + short + late
    ids = {f.job_id for f in futures}
    assert len(ids) == len(futures)
    jobs = second.all_jobs()
    assert len(jobs) == len(futures), "a job was created twice, or lost"
    assert {job["id"] for job in jobs} == ids
    assert {job["state"] for job in jobs} == {"succeeded"}

    said = [record.getMessage() for record in caplog.records if record.name == "jobq"]
    resent = [
        int(m.group(1))
        for text in said
        if (m := re.match(rf"reconnected to tcp://127\.0\.0\.1:{frontend_2}; re-sending (\d+) unacknowledged", text))
    ]
    assert resent and resent[0] > 0, said
    log = worker.stderr()
    # Its HELLO to the new broker listed what it held: the long jobs, running
    # (or, on a slow machine, finished with their results not sent yet).
    registered = re.findall(
        rf"worker registered broker=tcp://127\.0\.0\.1:{backend_2} .* held=(\d+) unsent_results=(\d+)", log
    )
    assert registered and int(registered[0][0]) + int(registered[0][1]) >= LONG_JOBS, log
    assert f"broker_lost broker={first.backend}" in log


@pytest.mark.parametrize(
    ("broker", "says"),
    [
        ("tcp://127.0.0.1:5556,,tcp://127.0.0.1:5557", '--broker: endpoint 2 of "tcp://127.0.0.1:5556,,tcp://'),
        ("tcp://127.0.0.1:5556, tcp://127.0.0.1:5556", "--broker: the endpoint tcp://127.0.0.1:5556 is given twice"),
        ("tcp://127.0.0.1:5556,localhost:5557", 'or several brokers\' separated by commas, got "localhost:5557"'),
        (",".join(f"tcp://127.0.0.1:{port}" for port in range(6000, 6017)), "names more than 16 brokers"),
    ],
    ids=["empty item", "twice", "not an endpoint", "17 brokers"],
)
def test_a_bad_list_is_a_usage_error(tmp_path: Path, broker: str, says: str) -> None:
    worker = start_py_worker(None, "--broker", broker, directory=tmp_path)
    assert worker.wait_exit() == 2
    assert says in worker.stderr()
    assert "see jobq-py-worker --help" in worker.stderr()
