"""A broker killed with SIGKILL and restarted while the Executor streams jobs.

The client re-sends every unacknowledged job with its client_seq and submit
token and every WAIT on the new connection (docs/protocol.md, "Broker
restarts"): nothing is lost, and nothing is created twice.
"""

from __future__ import annotations

import logging
import re
import threading

import jobq
import pytest
from jobq_cluster import Broker, start_cpp_worker, wait_until

TOTAL = 20_000
# Submitted before the first results are awaited.
FIRST_RESULTS_AFTER = 3000


def test_broker_kill_9_and_restart_loses_and_duplicates_nothing(start_broker, caplog: pytest.LogCaptureFixture) -> None:
    broker = start_broker("--heartbeat-ms", "200", store="sqlite")
    start_cpp_worker(broker, "--io-threads", "8")
    broker.wait_for_workers(1)
    futures: list[jobq.JobFuture] = []
    restarted: list[Broker] = []

    def first_results_in() -> bool:
        return sum(1 for f in futures[:FIRST_RESULTS_AFTER] if f.done()) >= 1500

    def kill_and_restart() -> None:
        # Mid-stream: some jobs done, others acknowledged and waiting, sent
        # and unacknowledged, or not yet submitted.
        # And while some are sent and unacknowledged: on a loaded machine
        # the broker may catch up with the producer for a moment, and a
        # kill then would test no re-send.
        wait_until(
            lambda: first_results_in() and any(f.job_id is None for f in futures[-500:]),
            timeout=120,
            what="1,500 results, and jobs unacknowledged",
        )
        broker.kill()
        restarted.append(broker.restart())

    killer = threading.Thread(target=kill_and_restart)
    caplog.set_level(logging.INFO, logger="jobq")
    # A small window keeps the submitting loop going, with a full window of
    # unacknowledged jobs, until the broker is killed.
    with jobq.Executor(broker.frontend, reconnect_timeout=120, window=2000) as executor:
        killer.start()
        for i in range(TOTAL):
            futures.append(executor.submit("echo", i=i))
            if i == FIRST_RESULTS_AFTER - 1:
                # The rest only once the first results are in: on a loaded
                # machine the producer could otherwise send all 20,000, and
                # have them acknowledged, before 1,500 results came back,
                # leaving no moment to kill the broker in with jobs
                # unacknowledged.
                wait_until(first_results_in, timeout=120, what="1,500 results")
        killer.join(180)
        assert restarted, "the broker was not restarted"
        results = [f.result(300) for f in futures]
    resent = [int(m.group(1)) for r in caplog.records if (m := re.search(r"re-sending (\d+) unacknowledged", r.getMessage()))]
    assert resent and resent[0] > 0, f"the kill did not catch jobs unacknowledged: {resent}"
    assert [r["i"] for r in results] == list(range(TOTAL))
    ids = {f.job_id for f in futures}
    assert len(ids) == TOTAL
    jobs = restarted[0].all_jobs()
    assert len(jobs) == TOTAL, "a job was created twice, or lost"
    assert {job["id"] for job in jobs} == ids
    assert {job["state"] for job in jobs} == {"succeeded"}
