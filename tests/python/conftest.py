"""Fixtures of the Python tests: a broker per test, C++ workers, cleanup.

Every program a test starts is stopped after it, pass or fail, so one
test's leftovers never serve the next test's jobs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import jobq_cluster  # noqa: E402  (the path above makes it importable)
from jobq_cluster import Broker, Worker  # noqa: E402


@pytest.fixture(autouse=True)
def _stop_programs() -> Iterator[None]:
    yield
    jobq_cluster.stop_all()


@pytest.fixture
def broker(tmp_path: Path) -> Broker:
    """A broker with the memory store on free loopback ports."""
    return Broker.start(tmp_path / "broker")


@pytest.fixture
def start_broker(tmp_path: Path) -> Callable[..., Broker]:
    """Starts brokers with extra flags or another store: start_broker(*flags, store=...)."""

    def start(*extra_args: str, store: str = "memory") -> Broker:
        return Broker.start(tmp_path / "broker", *extra_args, store=store)

    return start


@pytest.fixture
def cpp_worker(broker: Broker) -> Worker:
    """One C++ worker on the ``broker`` fixture, connected before the test runs."""
    worker = jobq_cluster.start_cpp_worker(broker, "--io-threads", "8")
    broker.wait_for_workers(1)
    return worker
