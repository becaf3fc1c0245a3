"""The canvas as pure logic: the DAGs chain, group and chord build, the names
given to unnamed nodes, and the WORKFLOW they encode to (no broker here;
test_workflows.py runs them)."""

from __future__ import annotations

import jobq
import pytest
from jobq import wire_pb2
from jobq._jobspec import with_seq_and_token
from jobq.workflow import encode_workflow, unique_names


def edges(piece: object) -> list[tuple[str, tuple[str, ...]]]:
    return [(node.name, node.after) for node in jobq.Workflow.of(piece).nodes]


def decoded(workflow: jobq.Workflow) -> wire_pb2.SubmitWorkflow:
    _, body = encode_workflow(workflow, jobq.JobOptions())
    return wire_pb2.SubmitWorkflow.FromString(with_seq_and_token(body, 7, b"prefix78"))


def test_chain_group_and_chord_shapes() -> None:
    a, b, c, d = (jobq.node(name, "t") for name in "abcd")
    assert edges(jobq.chain(a, b, c)) == [("a", ()), ("b", ("a",)), ("c", ("b",))]
    assert edges(jobq.group(a, b)) == [("a", ()), ("b", ())]
    assert edges(jobq.group([a, b])) == edges(jobq.group(a, b))
    assert edges(jobq.chord([a, b], c)) == [("a", ()), ("b", ()), ("c", ("a", "b"))]
    # A list in a chain is a group: a diamond.
    assert edges(jobq.chain(a, [b, c], d)) == [("a", ()), ("b", ("a",)), ("c", ("a",)), ("d", ("b", "c"))]
    # Pieces nest: a chain inside a group, a chord inside a chain.
    e, f = jobq.node("e", "t"), jobq.node("f", "t")
    assert edges(jobq.chain(jobq.group(jobq.chain(a, b), c), jobq.chord([d, e], f))) == [
        ("a", ()), ("b", ("a",)), ("c", ()), ("d", ("b", "c")), ("e", ("b", "c")), ("f", ("d", "e")),
    ]  # fmt: skip
    # Empty pieces change nothing; an empty header leaves the callback alone.
    assert edges(jobq.chain(jobq.group(), a, jobq.chain(), b)) == [("a", ()), ("b", ("a",))]
    assert edges(jobq.chord([], a)) == [("a", ())]


def test_unnamed_nodes_are_named_after_their_task_as_the_cpp_client_names_them() -> None:
    flow = jobq.chord([jobq.signature("sum_squares", n=n) for n in range(3)], jobq.signature("add parts/é"))
    assert edges(flow)[-1] == ("add_parts___-1", ("sum_squares-1", "sum_squares-2", "sum_squares-3"))
    # A taken name is skipped; a task with no usable name is "node".
    assert unique_names([None, "t-1", None, None], ["t", "x", "t", ""]) == ["t-2", "t-1", "t-3", "node-1"]
    assert len(unique_names([None], ["x" * 500])[0]) <= 200


def test_the_workflow_encodes_as_protocol_md_says() -> None:
    flow = jobq.Workflow("ingest")
    flow.add("fetch", jobq.signature("fetch", url="u").with_options(queue="io", retries=2))
    flow.add("store", jobq.signature("store").with_options(on_parent_failure="run"), after=["fetch"])
    message = decoded(flow)
    assert message.client_seq == 7 and message.name == "ingest" and message.notify
    assert message.submit_token == b"prefix78" + (7).to_bytes(8, "big")
    fetch, store = message.nodes
    assert (fetch.name, fetch.job.task, fetch.job.queue, fetch.job.max_attempts) == ("fetch", "fetch", "io", 3)
    assert fetch.job.payload == b'{"url":"u"}' and list(fetch.after) == []
    assert (store.name, list(store.after), store.job.on_parent_failure) == ("store", ["fetch"], wire_pb2.PARENT_FAILURE_RUN)
    assert not store.job.submit_token  # the workflow's token deduplicates it


def test_bad_pieces_raise_at_once() -> None:
    with pytest.raises(TypeError, match="a workflow piece is"):
        jobq.chain(None)
    with pytest.raises(TypeError, match="names one job"):
        jobq.node("x", jobq.group("a", "b"))
    with pytest.raises(TypeError, match="a node name is a str"):
        jobq.node(3, "t")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="after holds node names"):
        jobq.Workflow().add("a", "t", after=[1])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="not valid text"):
        decoded(jobq.Workflow.of(jobq.node("\ud800", "t")))
    with pytest.raises(TypeError, match="unknown job option"):
        decoded(jobq.Workflow.of(jobq.signature("t").with_options(colour="red")))


def test_a_workflow_past_one_message_is_refused_before_it_is_sent() -> None:
    big = jobq.group([jobq.signature("noop", pad="x" * 100_000) for _ in range(200)])
    with pytest.raises(ValueError, match=r"encodes to 20,\d{3},\d{3} bytes, past the 16,777,216"):
        decoded(jobq.Workflow.of(big))
