"""Workflows from Python (docs/python.md "Workflows", docs/protocol.md "WORKFLOW"),
against a real broker, the C++ worker (built-in tasks, queue "default") and
the Python worker (workflow_tasks.py, queue "py").
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import jobq
import pytest
from jobq_cluster import Broker, Program, start_cpp_worker, wait_until

HERE = Path(__file__).resolve().parent


def py(task: str, /, **kwargs: object) -> jobq.Job:
    """A job for the Python worker's queue."""
    return jobq.signature(task, **kwargs).with_options(queue="py")


def start_py_worker(broker: Broker, name: str = "py-workflows") -> Program:
    env = {"PYTHONPATH": os.pathsep.join([str(HERE), *os.environ.get("PYTHONPATH", "").split(os.pathsep)])}
    argv = ["/usr/bin/python3", "-m", "jobq.worker", "--broker", broker.backend, "--name", name,
            "--queues", "py", "--tasks", "workflow_tasks", "--io-threads", "4", "--cpu-procs", "0"]  # fmt: skip
    worker = Program(argv, broker.directory / f"worker-{name}", env=env)
    wait_until(lambda: name in broker.worker_names() or not worker.running(), what="the Python worker")
    assert worker.running(), worker.stderr()
    return worker


@pytest.fixture
def workers(broker: Broker) -> None:
    start_cpp_worker(broker, "--io-threads", "4", "--cpu-procs", "0", name="cpp-workflows")
    start_py_worker(broker)
    broker.wait_for_workers(2)


def test_a_chain_passes_each_result_to_the_next(broker: Broker, workers: None) -> None:
    with jobq.Client(broker.frontend) as client:
        flow = jobq.chain(
            jobq.node("fetch", py("step", label="fetch")),
            jobq.node("parse", py("step", label="parse")),
            jobq.node("store", py("step", label="store")),
        )
        future = client.submit_workflow(flow, name="ingest")
        results = future.result(60)
    assert list(results) == ["fetch", "parse", "store"]
    fetched = {"label": "fetch", "inputs": None}
    parsed = {"label": "parse", "inputs": {"fetch": fetched}}
    assert results["store"] == {"label": "store", "inputs": {"parse": parsed}}
    assert future.nodes["parse"].result(0) == parsed
    assert len(future.id) == 36 and not future.duplicate
    assert all(node.state == "succeeded" and node.job_id for node in future.nodes.values())


def test_a_cpp_task_sees_the_inputs_in_its_payload(broker: Broker, workers: None) -> None:
    # echo returns its payload: what the protocol says a node receives.
    with jobq.Client(broker.frontend) as client:
        future = client.submit_workflow(
            jobq.chain(jobq.node("one", jobq.signature("echo", x=1)), jobq.signature("echo", y=2))
        )
        assert future.result(60) == {"one": {"x": 1}, "echo-1": {"inputs": {"one": {"x": 1}}, "y": 2}}


def test_a_chord_of_100_sum_squares_chunks_adds_up_exactly(broker: Broker, workers: None) -> None:
    chunk = 20_000
    header = [py("sum_squares_range", start=k * chunk, stop=(k + 1) * chunk) for k in range(100)]
    with jobq.Executor(broker.frontend) as executor:
        future = executor.submit_workflow(jobq.chord(header, jobq.node("total", py("add_parts"))))
        results = future.result(120)
    # 2 * 10^6 squares: past 2^53, so a float anywhere on the way would show.
    expected = sum(i * i for i in range(100 * chunk))
    assert expected > 2**53
    assert results["total"] == {"parts": 100, "sum": str(expected)}
    assert len(results) == 101
    assert [name for name in future.nodes][:3] == ["sum_squares_range-1", "sum_squares_range-2", "sum_squares_range-3"]


def test_a_failing_node_cancels_exactly_its_descendants(broker: Broker, workers: None) -> None:
    #   a -> b (fails) -> c -> d        a -> e -> g
    #        b -> f                     e, b -> h (on_parent_failure="run")
    flow = jobq.Workflow("diamonds")
    flow.add("a", py("step", label="a"))
    flow.add("b", jobq.signature("boom").with_options(queue="py", retries=0), after=["a"])
    flow.add("c", py("step", label="c"), after=["b"])
    flow.add("d", py("step", label="d"), after=["c"])
    flow.add("e", py("step", label="e"), after=["a"])
    flow.add("f", py("step", label="f"), after=["b"])
    flow.add("g", py("step", label="g"), after=["e"])
    flow.add("h", py("report").with_options(on_parent_failure="run"), after=["e", "b"])
    with jobq.Client(broker.frontend) as client:
        future = client.submit_workflow(flow)
        with pytest.raises(jobq.WorkflowError) as caught:
            future.result(60)
        outcomes = future.outcomes(0)
    error = caught.value
    assert error.node == "b" and error.type == "exception" and error.exception == "ValueError"
    assert "node 'b'" in str(error) and "boom" in error.message
    assert error.failed == ("b", "c", "d", "f")
    assert {name for name, outcome in outcomes.items() if outcome.ok} == {"a", "e", "g", "h"}
    for name in ("c", "d", "f"):
        assert outcomes[name].state == "cancelled", name
        assert outcomes[name].error.type == "upstream_failed", name
        assert '"b"' in outcomes[name].error.message, outcomes[name].error.message
        assert outcomes[name].attempts == 0
    assert outcomes["b"].state in ("failed", "dead")
    ran_anyway = outcomes["h"].result
    assert ran_anyway["inputs"] == {"e": {"label": "e", "inputs": {"a": {"label": "a", "inputs": None}}}}
    assert list(ran_anyway["upstream_errors"]) == ["b"]
    assert ran_anyway["upstream_errors"]["b"]["type"] == "exception"
    assert ran_anyway["upstream_errors"]["b"]["state"] == outcomes["b"].state


def test_plain_submits_wait_for_parents_by_future_or_id(broker: Broker, workers: None) -> None:
    with jobq.Executor(broker.frontend) as executor:
        first = executor.submit("echo", n=1)
        second = executor.submit("echo", n=2)
        # A future not yet acknowledged is waited for; an id is taken as it is.
        child = executor.options(after=[first, second.result(30) and second.job_id]).submit("echo", m=3)
        assert child.result(60) == {"inputs": {first.job_id: {"n": 1}, second.job_id: {"n": 2}}, "m": 3}
        failing = executor.options(retries=0).submit("fail", message="on purpose")
        cancelled = executor.options(after=failing).submit("echo")
        ran = executor.options(after=[failing], on_parent_failure="run").submit("echo")
        with pytest.raises(jobq.RemoteError) as caught:
            cancelled.result(60)
        assert caught.value.type == "upstream_failed" and failing.job_id in caught.value.message
        upstream = ran.result(60)["upstream_errors"]
        assert list(upstream) == [failing.job_id] and upstream[failing.job_id]["message"] == "on purpose"


def test_workflow_bad_input_is_refused_whole_with_the_brokers_message(broker: Broker) -> None:
    cycle = jobq.Workflow("cycle")
    cycle.add("a", "echo", after=["b"])
    cycle.add("b", "echo", after=["a"])
    unknown_parent = jobq.Workflow("unknown parent")
    unknown_parent.add("a", "echo")
    unknown_parent.add("b", "echo", after=["nope"])
    duplicate = jobq.Workflow("duplicate")
    duplicate.add("a", "echo")
    duplicate.add("a", "echo")
    outside = jobq.Workflow("unknown external parent")
    outside.add("a", jobq.signature("echo").with_options(after=[uuid.uuid4()]))
    keyed = jobq.Workflow("idempotency key")
    keyed.add("only", jobq.signature("echo").with_options(key="k"))
    cases = [
        (cycle, "a -> b -> a"),
        (unknown_parent, 'node "b" waits for "nope", which is not a node of this workflow'),
        (duplicate, 'node "a" appears twice'),
        (outside, 'node "a": it waits for job'),
        (keyed, 'node "only" has an idempotency key'),
        (jobq.Workflow("empty"), "at least one node"),
        (jobq.chain(jobq.node("bad name!", "echo")), 'node 0 ("bad name!")'),
    ]
    with jobq.Client(broker.frontend) as client:
        for workflow, words in cases:
            future = client.submit_workflow(workflow)
            with pytest.raises(jobq.RemoteError) as caught:
                future.accepted(30)
            error = caught.value
            assert error.type == "bad_request" and error.state == "rejected", error
            assert words in error.message, error.message
            with pytest.raises(jobq.RemoteError, match="bad_request"):
                future.result(0)
            for node in future.nodes.values():
                assert node.done() and node.state == "rejected" and node.job_id is None
        assert broker.all_jobs() == [], "a refused workflow created jobs"
        # The client is still usable: a refusal is the workflow's, not the connection's.
        assert client.submit_workflow(jobq.chain("noop")).accepted(30)


def test_what_the_client_refuses_to_send(broker: Broker) -> None:
    with jobq.Client(broker.frontend) as client:
        with pytest.raises(TypeError, match="node 'b': task 'echo' has parents, so it takes keyword arguments only"):
            client.submit_workflow(jobq.chain(jobq.node("a", "echo"), jobq.node("b", jobq.signature("echo", 1))))
        with pytest.raises(TypeError, match="node 'a': arguments of task 'echo' must be JSON"):
            client.submit_workflow(jobq.node("a", jobq.signature("echo", when=object())))
        with pytest.raises(ValueError, match="on_parent_failure='sometimes'"):
            client.submit_workflow(jobq.node("a", jobq.signature("echo").with_options(on_parent_failure="sometimes")))
        with pytest.raises(ValueError, match="not a job id: 'job-17'"):
            jobq.JobOptions(after=["job-17"])
        with pytest.raises(TypeError, match="after takes job ids"):
            jobq.JobOptions(after=[17])
        with pytest.raises(TypeError, match="keyword arguments only"):
            jobq.Executor(client=client).options(after=[uuid.uuid4()]).submit("echo", 1)
        with pytest.raises(TypeError, match="a workflow piece is"):
            jobq.chain(17)
    assert broker.all_jobs() == [], "a refused call sent something"


def test_cancelling_the_workflow_future_cancels_its_nodes_on_the_broker(broker: Broker) -> None:
    # No worker serves "nowhere": the first node waits in its queue, the others blocked.
    nowhere = jobq.signature("echo").with_options(queue="nowhere")
    with jobq.Client(broker.frontend) as client:
        future = client.submit_workflow(jobq.chain(nowhere, [nowhere, nowhere], nowhere))
        future.accepted(30)
        jobs = wait_until(lambda: broker.all_jobs() or None, what="the nodes")
        # The first node queued, the others waiting for it (test_workflow_states.py: their name).
        assert sorted(job["state"] == "queued" for job in jobs) == [False, False, False, True], jobs
        assert not any(job["state"] in ("succeeded", "failed", "dead", "cancelled") for job in jobs), jobs
        assert future.cancel() and future.cancelled()
        assert all(node.cancelled() for node in future.nodes.values()), [(n._state, n.state, n._exception) for n in future.nodes.values()]
        wait_until(
            lambda: {job["state"] for job in broker.all_jobs()} == {"cancelled"}, what="every node cancelled on the broker"
        )
        assert future.cancel(), "cancel() of a cancelled future is True, as concurrent.futures has it"


def test_an_unreachable_broker_fails_the_workflow_and_its_nodes(tmp_path: Path) -> None:
    # Nothing listens on port 9 (discard): the connect timeout ends the wait.
    with jobq.Client("tcp://127.0.0.1:9", connect_timeout=0.5) as client:
        future = client.submit_workflow(jobq.chain("a", "b"))
        with pytest.raises(jobq.BrokerUnavailable, match="1 submitted workflow was not acknowledged"):
            future.accepted(30)
        with pytest.raises(jobq.BrokerUnavailable):
            future.result(0)
        assert all(isinstance(node.exception(0), jobq.BrokerUnavailable) for node in future.nodes.values())
        with pytest.raises(jobq.BrokerUnavailable):
            client.submit_workflow(jobq.chain("a"))  # a client failure is sticky


def test_a_full_queue_or_too_many_nodes_refuse_the_workflow_whole(start_broker) -> None:
    broker = start_broker("--queue-max", "5", "--workflow-max", "20")
    with jobq.Client(broker.frontend) as client:
        wide = client.submit_workflow(jobq.chord([jobq.signature("noop")] * 6, "noop"))
        with pytest.raises(jobq.RemoteError) as caught:
            wide.accepted(30)
        assert caught.value.type == "queue_full" and "--queue-max" in caught.value.message, caught.value
        # Nodes with parents wait outside their queue: five roots and many children fit.
        assert client.submit_workflow(jobq.chord([jobq.signature("noop")] * 5, [jobq.signature("noop")] * 10)).accepted(30)
        long = client.submit_workflow(jobq.chain(*["noop"] * 21))
        with pytest.raises(jobq.RemoteError, match="21 nodes; the limit is 20 [(]--workflow-max[)]") as caught:
            long.accepted(30)
        assert caught.value.type == "bad_request"
    assert len(broker.all_jobs()) == 15


def test_retrying_the_failed_node_revives_its_descendants(broker: Broker, workers: None, tmp_path: Path) -> None:
    # docs/protocol.md: "Retrying (admin RetryJobs) a parent that ended without
    # success brings its descendants cancelled with upstream_failed back to blocked".
    flow = jobq.chain(
        jobq.node("a", py("step", label="a")),
        jobq.node("b", py("fails_once", marker=str(tmp_path / "ran")).with_options(retries=0)),
        jobq.node("c", py("step", label="c")),
    )
    with jobq.Client(broker.frontend) as client:
        future = client.submit_workflow(flow)
        with pytest.raises(jobq.WorkflowError) as caught:
            future.result(60)
        assert caught.value.node == "b" and caught.value.failed == ("b", "c")
        ids = {name: node.job_id for name, node in future.nodes.items()}
        # Retrying c alone is refused: it waits for b.
        refused = broker.run_cli("retry", ids["c"])
        assert refused.returncode != 0 and "retry that parent" in refused.stdout + refused.stderr, refused
        done = broker.run_cli("retry", ids["b"])
        assert done.returncode == 0, done.stdout + done.stderr
        b, c = client.futures([ids["b"], ids["c"]])
        assert b.result(60) == "second run"
        assert c.result(60) == {"label": "c", "inputs": {"b": "second run"}}
