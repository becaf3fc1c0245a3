"""The client given several brokers' endpoints (docs/protocol.md, "Several
brokers: a leader and standbys"): only the leader listens, so the client
talks to one endpoint at a time and moves on to the next after about a
second without a connection; a list it cannot use is a ValueError.

The failover itself (a broker killed, its successor on another endpoint
with the same store, the Python worker following it) is in
worker/test_broker_list_failover.py.
"""

from __future__ import annotations

import logging
import signal
import socket
import time

import jobq
import pytest
from jobq_cluster import Broker, start_cpp_worker, wait_until


def closed_port() -> int:
    """A loopback port nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in list(caplog.records) if record.name == "jobq"]


def test_a_closed_endpoint_first_then_the_live_one(
    broker: Broker, cpp_worker: object, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="jobq")
    closed = f"tcp://127.0.0.1:{closed_port()}"
    with jobq.Executor(f"{closed}, {broker.frontend}", connect_timeout=10) as executor:
        futures = [executor.submit("echo", i=i) for i in range(50)]
        assert [f.result(30) for f in futures] == [{"i": i} for i in range(50)]
    said = messages(caplog)
    assert f"no connection to {closed} for 1 s: trying {broker.frontend}" in said
    assert f"connected to {broker.frontend}" in said
    assert len(broker.all_jobs()) == 50


def test_a_list_from_the_environment(
    broker: Broker, cpp_worker: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBQ_BROKER", f"tcp://127.0.0.1:{closed_port()},{broker.frontend}")
    with jobq.Client(connect_timeout=10) as client:
        assert client.submit("echo", x=1).result(30) == {"x": 1}


def test_no_endpoint_of_the_list_answers(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jobq")
    first, second = (f"tcp://127.0.0.1:{closed_port()}" for _ in range(2))
    started = time.monotonic()
    with jobq.Client(f"{first},{second}", connect_timeout=2.5) as client:
        future = client.submit("echo")
        with pytest.raises(jobq.BrokerUnavailable) as raised:
            future.result(30)
    assert time.monotonic() - started < 20
    assert f"cannot reach any of the brokers at {first}, {second} (no reply in 2.5 s)" in str(raised.value)
    said = messages(caplog)
    # Round-robin: the first, the second, the first again.
    assert f"no connection to {first} for 1 s: trying {second}" in said
    assert f"no connection to {second} for 1 s: trying {first}" in said


def test_a_paused_broker_is_left_for_the_next(start_broker, caplog: pytest.LogCaptureFixture) -> None:
    """ZMTP heartbeats close the connection to a broker that stopped (SIGSTOP):
    its kernel still accepts connections, so only the lack of a handshake
    moves the client on. What the paused broker was sent goes again to the next."""
    caplog.set_level(logging.INFO, logger="jobq")
    paused = start_broker()
    live = Broker.start(paused.directory, _start=1)
    start_cpp_worker(live, "--io-threads", "2")
    live.wait_for_workers(1)
    # No broker has answered this client yet, so connect_timeout is what
    # counts: the heartbeats alone take 3 to 4 s to give up on the paused one.
    with jobq.Client(f"{paused.frontend},{live.frontend}", connect_timeout=20) as client:
        wait_until(
            lambda: f"connected to {paused.frontend}" in messages(caplog), what="a connection to the first broker"
        )
        paused.signal(signal.SIGSTOP)
        try:
            future = client.submit("echo", paused=True)
            # Heartbeats time out after 3 s, then a second without a handshake.
            assert future.result(30) == {"paused": True}
        finally:
            paused.signal(signal.SIGCONT)
    said = messages(caplog)
    assert f"lost the connection to {paused.frontend}" in said
    assert f"no connection to {paused.frontend} for 1 s: trying {live.frontend}" in said
    assert any(m.startswith(f"reconnected to {live.frontend}; re-sending 1 unacknowledged") for m in said), said
    assert len(live.all_jobs()) == 1


@pytest.mark.parametrize(
    ("broker", "says"),
    [
        ("tcp://127.0.0.1:5555,,tcp://127.0.0.1:5556", 'endpoint 2 of "tcp://127.0.0.1:5555,,tcp://127.0.0.1:5556" is'),
        ("tcp://127.0.0.1:5555,", 'endpoint 2 of "tcp://127.0.0.1:5555," is empty'),
        (" , ", 'endpoint 1 of " , " is empty'),
        ("tcp://127.0.0.1:5555, tcp://127.0.0.1:5555", "the endpoint tcp://127.0.0.1:5555 is given twice"),
        ("tcp://127.0.0.1:5555,127.0.0.1:5556", 'bad broker endpoint "127.0.0.1:5556"'),
        ("tcp://127.0.0.1:5555,tcp://127.0.0.1:", 'bad broker endpoint "tcp://127.0.0.1:"'),
        (",".join(f"tcp://127.0.0.1:{port}" for port in range(6000, 6017)), "names more than 16 brokers"),
        ("tcp://no port", "bad broker endpoint 'tcp://no port'"),
    ],
    ids=[
        "empty item", "trailing comma", "only a comma", "twice", "not an endpoint", "no port", "17 brokers",
        "one bad endpoint",
    ],  # fmt: skip
)
def test_a_bad_list_is_a_value_error(broker: str, says: str) -> None:
    with pytest.raises(ValueError) as raised:
        jobq.Client(broker)
    assert says in str(raised.value)
    with pytest.raises(ValueError):
        jobq.Executor(broker)
