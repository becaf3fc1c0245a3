"""Fixtures of the dashboard tests: one real broker (HTTP on a free port,
a tokens file with a read and an admin token) and worker per test file,
and a fresh headless Chromium per test whose console must stay clean.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "python"))

import jobq_cluster  # noqa: E402  (the paths above make these importable)
from dashboard_browser import Dashboard, clean_profile, missing_browser, screenshot_dirs  # noqa: E402
from jobq_cluster import Broker, Worker  # noqa: E402

READ_TOKEN = f"read-{secrets.token_hex(16)}"
ADMIN_TOKEN = f"admin-{secrets.token_hex(16)}"
WORKER_NAME = "dash-worker"
WORKER_QUEUES = ("default", "web", "mail", "reports")


@dataclass
class Cluster:
    broker: Broker
    worker: Worker
    url: str  # http://127.0.0.1:PORT
    directory: Path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    reason = missing_browser()
    if reason:
        pytest.fail(reason)
    directory = tmp_path_factory.mktemp("dashboard")
    tokens = directory / "tokens"
    tokens.write_text(f"# the dashboard tests' tokens\nread {READ_TOKEN}\nadmin {ADMIN_TOKEN}\n")
    tokens.chmod(0o600)
    # The CLI (jobq queues, jobq jobs, ... in the checks) acts as an admin.
    os.environ["JOBQ_TOKEN"] = ADMIN_TOKEN
    broker = Broker.start(directory / "broker", "--http", "127.0.0.1:0", "--admin-tokens", str(tokens))
    try:
        ready = json.loads((directory / "broker" / "broker-ready-0.json").read_text())
        assert ready.get("http"), f"the broker's ready file names no http address: {ready}"
        worker = jobq_cluster.start_cpp_worker(
            broker, "--io-threads", "8", "--queues", ",".join(WORKER_QUEUES), name=WORKER_NAME
        )
        broker.wait_for_workers(1)
        # A running broker: a queue shows once it has had a job.
        for queue in WORKER_QUEUES:
            done = broker.run_cli("submit", "echo", "--queue", queue, "--arg", "warm=1", "--wait")
            assert done.returncode == 0, done.stderr
        yield Cluster(broker, worker, f"http://{ready['http']}", directory)
    finally:
        jobq_cluster.stop_all()


@pytest.fixture
def dashboard(cluster: Cluster, tmp_path: Path) -> Iterator[Dashboard]:
    """A fresh browser (no session) on the cluster's dashboard; its console
    must hold no SEVERE entry the test did not expect."""
    browser = Dashboard(
        cluster.url,
        clean_profile(tmp_path / "chromium"),
        screenshot_dirs(tmp_path / "screenshots"),
        tmp_path / "chromedriver.log",
    )
    try:
        yield browser
        errors = browser.console_errors()
    finally:
        browser.quit()
    assert not errors, "the browser's console has errors:\n" + "\n".join(errors)
