"""Bad input at startup: a clear message and exit status 2, nothing registered."""

from __future__ import annotations

from pathlib import Path

from jobq_cluster import Broker
from pyworker import start_py_worker, worker_states


def test_unknown_task_module(broker: Broker) -> None:
    worker = start_py_worker(broker, tasks="no_such_tasks_module")
    assert worker.wait_exit() == 2
    assert "cannot import task module 'no_such_tasks_module'" in worker.stderr()
    assert worker_states(broker) == {}


def test_task_module_that_raises_on_import(broker: Broker, tmp_path: Path) -> None:
    module = tmp_path / "broken_tasks.py"
    module.write_text("import jobq\n\nraise RuntimeError('configuration missing')\n")
    worker = start_py_worker(broker, tasks=str(module))
    assert worker.wait_exit() == 2
    assert "task module 'broken_tasks' failed to import" in worker.stderr()
    assert "RuntimeError: configuration missing" in worker.stderr()


def test_task_module_by_path(broker: Broker, tmp_path: Path) -> None:
    module = tmp_path / "path_tasks.py"
    module.write_text(
        "import jobq\n\n@jobq.task(kind='cpu')\ndef triple(x):\n    return 3 * x\n"
    )
    from pyworker import run, wait_registered

    worker = start_py_worker(broker, "--cpu-procs", "1", tasks=str(module))
    wait_registered(broker, worker.name)
    assert run(broker, "triple", x=5)["result"] == 15


def test_module_without_tasks(broker: Broker, tmp_path: Path) -> None:
    module = tmp_path / "empty_tasks.py"
    module.write_text("X = 1\n")
    worker = start_py_worker(broker, tasks=str(module))
    assert worker.wait_exit() == 2
    assert "register no task" in worker.stderr()


def test_tasks_flag_is_required(broker: Broker) -> None:
    worker = start_py_worker(broker, tasks="")
    assert worker.wait_exit() == 2
    assert "--tasks is required" in worker.stderr()


def test_bad_flags(broker: Broker) -> None:
    for args, says in [
        (["--io-threads", "0"], "--io-threads must be between 1 and 1024"),
        (["--broker", "localhost:5556"], "--broker must be a ZeroMQ endpoint"),
        (["--queues", "a,,b"], "--queues has an empty queue name"),
        (["--log-level", "loud"], "--log-level"),
        (["--prefetch", "-1"], "--prefetch must be between 0"),
    ]:
        worker = start_py_worker(None, *args, directory=broker.directory)
        assert worker.wait_exit() == 2, args
        assert says in worker.stderr(), (args, worker.stderr())
