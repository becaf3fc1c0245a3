"""A WORKFLOW whose answer is lost is sent again, with the same client_seq and
submit token, and created once (docs/protocol.md, "WORKFLOW"; the client's
re-send as for SUBMIT, test_reconnect.py).

Two ways to lose the answer: a proxy that drops what the broker says and
then cuts the connection (the broker took the workflow: the re-send is
answered as a duplicate, deterministically), and kill -9 of the broker in
the middle of a stream of workflows, restarted on the same SQLite file.
"""

from __future__ import annotations

import logging
import re
import socket
import threading

import jobq
import pytest
from jobq_cluster import Broker, start_cpp_worker, wait_until


class DroppingProxy:
    """A TCP proxy to the broker that can drop the broker's replies and cut every connection."""

    def __init__(self, target: str) -> None:
        host, port = target.removeprefix("tcp://").rsplit(":", 1)
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"tcp://127.0.0.1:{self.listener.getsockname()[1]}"
        self.drop_replies = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, True), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, reply: bool) -> None:
        try:
            while data := source.recv(65536):
                if not (reply and self.drop_replies):
                    sink.sendall(data)
        except OSError:
            pass
        for side in (source, sink):
            try:
                side.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            sockets, self.sockets = self.sockets, []
        for side in sockets:
            try:
                side.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            side.close()

    def close(self) -> None:
        self.listener.close()
        self.cut()


def test_a_workflow_whose_answer_was_lost_is_answered_as_a_duplicate(broker: Broker) -> None:
    start_cpp_worker(broker, "--io-threads", "4", "--cpu-procs", "0")
    broker.wait_for_workers(1)
    proxy = DroppingProxy(broker.frontend)
    try:
        with jobq.Client(proxy.endpoint, connect_timeout=60, reconnect_timeout=60) as client:
            assert client.submit("noop").result(30) is None  # connected through the proxy
            proxy.drop_replies = True
            future = client.submit_workflow(
                jobq.chain(jobq.node("a", jobq.signature("echo", x=1)), jobq.node("b", jobq.signature("echo"))),
                name="lost answer",
            )
            # The broker took it (and its worker may have run it); the client heard nothing.
            nodes = wait_until(
                lambda: [job for job in broker.all_jobs() if job["task"] == "echo"] or None,
                what="the workflow's nodes on the broker",
            )
            assert future.id is None and not future.done()
            proxy.drop_replies = False
            proxy.cut()
            workflow_id = future.accepted(60)
            assert future.duplicate, "the re-sent WORKFLOW created a second workflow"
            assert future.result(60) == {"a": {"x": 1}, "b": {"inputs": {"a": {"x": 1}}}}
        jobs = [job for job in broker.all_jobs() if job["task"] == "echo"]
        assert len(jobs) == 2, jobs
        assert {job["id"] for job in jobs} == {node.job_id for node in future.nodes.values()}
        assert {job["id"] for job in nodes} <= {job["id"] for job in jobs}
        assert len(workflow_id) == 36
    finally:
        proxy.close()


WORKFLOWS = 1500


def test_broker_kill_9_mid_stream_creates_every_workflow_once(start_broker, caplog: pytest.LogCaptureFixture) -> None:
    broker = start_broker("--heartbeat-ms", "200", store="sqlite")
    start_cpp_worker(broker, "--io-threads", "8", "--cpu-procs", "0")
    broker.wait_for_workers(1)
    futures: list[jobq.WorkflowFuture] = []
    restarted: list[Broker] = []

    def kill_and_restart() -> None:
        wait_until(lambda: sum(1 for f in futures[:400] if f.done()) >= 200, timeout=120, what="200 workflows")
        broker.kill()
        restarted.append(broker.restart())

    killer = threading.Thread(target=kill_and_restart)
    caplog.set_level(logging.INFO, logger="jobq")
    # A small window keeps workflows unanswered while the broker dies.
    with jobq.Client(broker.frontend, reconnect_timeout=120, window=30) as client:
        killer.start()
        for i in range(WORKFLOWS):
            flow = jobq.chain(jobq.node("first", jobq.signature("echo", i=i)), jobq.node("second", jobq.signature("echo")))
            futures.append(client.submit_workflow(flow))
        killer.join(180)
        assert restarted, "the broker was not restarted"
        results = [future.result(300) for future in futures]
    resent = [
        int(m.group(1)) for r in caplog.records if (m := re.search(r"re-sending (\d+) unacknowledged workflows", r.getMessage()))
    ]
    assert resent and resent[0] > 0, f"the kill did not catch workflows unanswered: {resent}"
    assert [r["second"] for r in results] == [{"inputs": {"first": {"i": i}}} for i in range(WORKFLOWS)]
    assert len({future.id for future in futures}) == WORKFLOWS
    node_ids = {node.job_id for future in futures for node in future.nodes.values()}
    assert len(node_ids) == 2 * WORKFLOWS
    jobs = restarted[0].all_jobs()
    assert len(jobs) == 2 * WORKFLOWS, "a workflow was created twice, or lost"
    assert {job["id"] for job in jobs} == node_ids
    assert {job["state"] for job in jobs} == {"succeeded"}
    print(f"{sum(f.duplicate for f in futures)} workflows answered as duplicates after the restart")
