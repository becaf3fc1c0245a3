"""CURVE (docs/protocol.md, "Security"): keys from `jobq keygen`, refusals reported clearly."""

from __future__ import annotations

from pathlib import Path

import jobq
import pytest
from jobq._curve import KeyFileError, load_key_pair, load_public_key
from jobq_cluster import Broker, keygen, start_cpp_worker, write_allow_list


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, tuple[Path, Path]]:
    directory = tmp_path / "keys"
    directory.mkdir()
    pairs = keygen(directory, "broker", "producer", "worker", "stranger")
    write_allow_list(directory / "producers.allow", [pairs["producer"][1]])
    write_allow_list(directory / "workers.allow", [pairs["worker"][1]])
    return pairs


@pytest.fixture
def curve_broker(tmp_path: Path, keys: dict[str, tuple[Path, Path]]) -> Broker:
    directory = keys["broker"][0].parent
    return Broker.start(
        tmp_path / "broker",
        "--curve-secret-key", str(keys["broker"][0]),
        "--producer-keys", str(directory / "producers.allow"),
        "--worker-keys", str(directory / "workers.allow"),
    )  # fmt: skip


def test_an_allowed_producer_runs_jobs_on_a_curve_worker(curve_broker: Broker, keys) -> None:
    start_cpp_worker(curve_broker, "--broker-key", str(keys["broker"][1]), "--curve-key", str(keys["worker"][0]))
    with jobq.Executor(curve_broker.frontend, broker_key=keys["broker"][1], curve_key=keys["producer"][0]) as executor:
        assert executor.submit("sum_squares", n=3).result(60) == {"n": 3, "sum": "5"}


def test_keys_from_the_environment(curve_broker: Broker, keys, monkeypatch: pytest.MonkeyPatch) -> None:
    start_cpp_worker(curve_broker, "--broker-key", str(keys["broker"][1]), "--curve-key", str(keys["worker"][0]))
    monkeypatch.setenv("JOBQ_BROKER_KEY", str(keys["broker"][1]))
    monkeypatch.setenv("JOBQ_CURVE_KEY", str(keys["producer"][0]))
    with jobq.Executor(curve_broker.frontend) as executor:
        assert executor.submit("noop").result(60) is None


def test_a_key_not_on_the_allow_list_is_refused(curve_broker: Broker, keys) -> None:
    stranger = load_key_pair(keys["stranger"][0])[0]
    with jobq.Executor(
        curve_broker.frontend, broker_key=keys["broker"][1], curve_key=keys["stranger"][0], connect_timeout=20
    ) as executor:
        with pytest.raises(jobq.AuthenticationError) as caught:
            executor.submit("noop").result(60)
    assert f"refused this producer's key {stranger}: add it to the broker's --producer-keys" in str(caught.value)


def test_a_plaintext_producer_is_told_to_use_curve(curve_broker: Broker) -> None:
    with jobq.Executor(curve_broker.frontend, connect_timeout=20) as executor:
        with pytest.raises(jobq.AuthenticationError, match="requires CURVE authentication"):
            executor.submit("noop").result(60)


def test_keys_against_a_plaintext_broker(broker: Broker, keys) -> None:
    with jobq.Executor(
        broker.frontend, broker_key=keys["broker"][1], curve_key=keys["producer"][0], connect_timeout=20
    ) as executor:
        with pytest.raises((jobq.AuthenticationError, jobq.BrokerUnavailable)) as caught:
            executor.submit("noop").result(60)
    assert "CURVE" in str(caught.value) or "cannot reach" in str(caught.value)


def test_key_files_are_checked(tmp_path: Path, keys) -> None:
    with pytest.raises(KeyFileError, match="no secret-key line"):
        load_key_pair(keys["producer"][1])
    with pytest.raises(KeyFileError, match="a secret key"):
        load_public_key(keys["producer"][0])
    with pytest.raises(KeyFileError, match="cannot read"):
        load_public_key(tmp_path / "missing.pub")
    broken = tmp_path / "broken.key"
    broken.write_text('secret-key = "tooshort"\n')
    with pytest.raises(KeyFileError, match=r"broken.key:1: a CURVE key is 40 Z85 characters"):
        load_key_pair(broken)
    broken.write_text('secret-key = "' + "~" * 40 + '"\n')
    with pytest.raises(KeyFileError, match="not a Z85 key"):
        load_key_pair(broken)
    with pytest.raises(KeyFileError, match="CURVE needs both"):
        jobq.Executor("tcp://127.0.0.1:5555", broker_key=keys["broker"][1])
