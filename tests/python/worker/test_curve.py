"""CURVE: the Python worker connects with its key pair to a broker that checks it."""

from __future__ import annotations

from pathlib import Path

from jobq_cluster import Broker, keygen, wait_until, write_allow_list
from pyworker import run, start_py_worker, wait_registered


def _curve_broker(start_broker, tmp_path: Path) -> tuple[Broker, dict[str, tuple[Path, Path]], dict[str, str]]:
    keys = keygen(tmp_path, "broker", "producer", "worker", "stranger")
    producers = write_allow_list(tmp_path / "producers.allow", [keys["producer"][1]])
    workers = write_allow_list(tmp_path / "workers.allow", [keys["worker"][1]])
    broker = start_broker(
        "--curve-secret-key", str(keys["broker"][0]),
        "--producer-keys", str(producers),
        "--worker-keys", str(workers),
    )  # fmt: skip
    producer_env = {"JOBQ_BROKER_KEY": str(keys["broker"][1]), "JOBQ_CURVE_KEY": str(keys["producer"][0])}
    return broker, keys, producer_env


def test_worker_with_an_allowed_key_runs_jobs(start_broker, tmp_path: Path, monkeypatch) -> None:
    broker, keys, producer_env = _curve_broker(start_broker, tmp_path)
    worker = start_py_worker(
        broker, "--cpu-procs", "1",
        "--broker-key", str(keys["broker"][1]), "--curve-key", str(keys["worker"][0]),
    )  # fmt: skip
    wait_registered(broker, worker.name)
    for name, value in producer_env.items():
        monkeypatch.setenv(name, value)
    assert run(broker, "add", a=20, b=22)["result"] == 42
    assert run(broker, "square_sum", n=4)["result"] == 14


def test_keys_from_the_environment(start_broker, tmp_path: Path, monkeypatch) -> None:
    broker, keys, producer_env = _curve_broker(start_broker, tmp_path)
    worker = start_py_worker(
        broker, "--cpu-procs", "0",
        env={"JOBQ_BROKER_KEY": str(keys["broker"][1]), "JOBQ_CURVE_KEY": str(keys["worker"][0])},
    )  # fmt: skip
    wait_registered(broker, worker.name)
    for name, value in producer_env.items():
        monkeypatch.setenv(name, value)
    assert run(broker, "noop")["state"] == "succeeded"


def test_a_key_not_allowed_is_refused_and_said_so(start_broker, tmp_path: Path) -> None:
    broker, keys, _ = _curve_broker(start_broker, tmp_path)
    worker = start_py_worker(
        broker, "--cpu-procs", "0",
        "--broker-key", str(keys["broker"][1]), "--curve-key", str(keys["stranger"][0]),
    )  # fmt: skip
    wait_until(lambda: "handshake_refused" in worker.stderr(), what="the refusal in the log")
    assert "--worker-keys" in worker.stderr()
    assert worker.running()  # it backs off and retries: the allow-list may change


def test_a_worker_without_keys_is_told_the_broker_wants_curve(start_broker, tmp_path: Path) -> None:
    broker, _, _ = _curve_broker(start_broker, tmp_path)
    worker = start_py_worker(broker, "--cpu-procs", "0")
    wait_until(lambda: "requires CURVE" in worker.stderr(), what="the explanation in the log")


def test_half_a_key_configuration_is_a_usage_error(broker: Broker, tmp_path: Path) -> None:
    keys = keygen(tmp_path, "worker")
    worker = start_py_worker(broker, "--curve-key", str(keys["worker"][0]))
    assert worker.wait_exit() == 2
    assert "--broker-key" in worker.stderr()
