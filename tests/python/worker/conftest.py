"""Fixtures of the Python worker tests: a broker and one Python worker on it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jobq_cluster  # noqa: E402
from jobq_cluster import Broker  # noqa: E402
from pyworker import PyWorker, start_py_worker, wait_registered  # noqa: E402


@pytest.fixture(autouse=True)
def _stop_worker_programs() -> Iterator[None]:
    yield
    jobq_cluster.stop_all()


@pytest.fixture
def broker(tmp_path: Path) -> Broker:
    """A broker with the memory store on free loopback ports."""
    return Broker.start(tmp_path / "broker")


@pytest.fixture
def py_worker(broker: Broker) -> PyWorker:
    """One registered Python worker: 4 threads, 2 CPU children."""
    worker = start_py_worker(broker, "--io-threads", "4", "--cpu-procs", "2")
    wait_registered(broker, worker.name)
    return worker


@pytest.fixture
def start_broker(tmp_path: Path) -> Callable[..., Broker]:
    """Starts brokers with extra flags or another store: start_broker(*flags, store=...)."""

    def start(*extra_args: str, store: str = "memory") -> Broker:
        return Broker.start(tmp_path / "broker", *extra_args, store=store)

    return start
