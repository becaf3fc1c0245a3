"""A node waiting for its parents is `blocked` (docs/protocol.md, "Parents":
"Such a job is `blocked` (`JOB_STATE_BLOCKED`)"), in the admin listing too.

KNOWN FAILURE when written (issue 18, branch wf-python): common/job_state.cpp
names no JOB_STATE_BLOCKED, so `jobq jobs --json` says "unknown" for such a
node and `jobq jobs --state blocked` is refused. It passes once kNames there
has {JOB_STATE_BLOCKED, "blocked"}.
"""

from __future__ import annotations

import jobq
from jobq_cluster import Broker, wait_until


def test_a_node_waiting_for_its_parent_is_listed_as_blocked(broker: Broker) -> None:
    nowhere = jobq.signature("echo").with_options(queue="nowhere")  # no worker: nothing runs
    with jobq.Client(broker.frontend) as client:
        future = client.submit_workflow(jobq.chain(jobq.node("first", nowhere), jobq.node("second", nowhere)))
        future.accepted(30)
        jobs = wait_until(lambda: broker.all_jobs() or None, what="the nodes")
        states = {job["id"]: job["state"] for job in jobs}
        assert states == {future.nodes["first"].job_id: "queued", future.nodes["second"].job_id: "blocked"}, states
        listed = broker.run_cli("jobs", "--json", "--state", "blocked")
        assert listed.returncode == 0, listed.stderr
        assert future.nodes["second"].job_id in listed.stdout
