"""Starting Python workers and talking to them through the C++ CLI, for the tests.

Builds on tests/python/jobq_cluster.py (brokers, C++ workers, the CLI). The
worker runs as ``python3 -m jobq.worker`` with this directory on its path,
so ``--tasks pyworker_tasks`` names the tasks of pyworker_tasks.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jobq_cluster
from jobq_cluster import Broker, Program, wait_until

HERE = Path(__file__).resolve().parent
PYTHON = os.environ.get("JOBQ_PYTHON") or sys.executable or "/usr/bin/python3"

_count = 0


def _python_path() -> str:
    # Absolute, so the worker finds jobq wherever it runs.
    entries = [str(HERE)] + [
        str(Path(entry).resolve()) for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep) if entry
    ]
    return os.pathsep.join(entries)


class PyWorker(Program):
    """A started ``python3 -m jobq.worker``."""

    def __init__(self, argv: list[str], log_prefix: Path, name: str, env: dict[str, str]):
        self.name = name
        super().__init__(argv, log_prefix, env=env)


def start_py_worker(
    broker: Broker | None,
    *args: str,
    name: str | None = None,
    tasks: str = "pyworker_tasks",
    env: dict[str, str] | None = None,
    directory: Path | None = None,
    launcher: Path | None = None,
) -> PyWorker:
    """``python3 -m jobq.worker --broker BACKEND --name NAME --tasks TASKS ARGS...``
    (``python3 LAUNCHER ...`` with a launcher script instead of ``-m``)."""
    global _count
    _count += 1
    name = name or f"py-worker-{_count}"
    argv = [PYTHON, str(launcher)] if launcher else [PYTHON, "-m", "jobq.worker"]
    argv += ["--name", name]
    if broker is not None:
        argv += ["--broker", broker.backend]
    if tasks:
        argv += ["--tasks", tasks]
    argv += list(args)
    full_env = {"PYTHONPATH": _python_path()}
    full_env.update(env or {})
    where = directory or (broker.directory if broker is not None else HERE)
    return PyWorker(argv, where / f"pyworker-{name}", name, full_env)


def worker_states(broker: Broker, env: dict[str, str] | None = None) -> dict[str, dict[str, Any]]:
    done = jobq_cluster.run_cli("workers", "--json", env={**broker.cli_env(), **(env or {})}, timeout=20)
    if done.returncode != 0:
        raise AssertionError(f"jobq workers failed: {done.stderr}")
    return {worker["name"]: worker for worker in json.loads(done.stdout).get("workers", [])}


def wait_registered(broker: Broker, *names: str, timeout: float = 30.0) -> None:
    def registered() -> bool:
        states = worker_states(broker)
        return all(states.get(name, {}).get("state") == "active" for name in names)

    wait_until(registered, timeout=timeout, what=f"worker(s) {', '.join(names)} registered")


def cli(
    broker: Broker,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    input: str | None = None,
) -> subprocess.CompletedProcess:
    return jobq_cluster.run_cli(*args, env={**broker.cli_env(), **(env or {})}, timeout=timeout, input=input)


def submit(broker: Broker, task: str, *flags: str, env: dict[str, str] | None = None, **arguments: Any) -> str:
    """`jobq submit TASK --json ARGS FLAGS...`; the new job's id."""
    argv = ["submit", task, *flags]
    if arguments:
        argv += ["--json", json.dumps(arguments)]
    done = cli(broker, *argv, env=env)
    if done.returncode != 0:
        raise AssertionError(f"jobq submit {task} failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout.splitlines()[0])["id"]


def wait_outcome(broker: Broker, job_id: str, timeout: float = 60.0, env: dict[str, str] | None = None) -> dict:
    """`jobq wait ID`: the job's outcome once it has finished."""
    # The CLI gives up after --connect-timeout without a message from the
    # broker, and the broker says nothing until the job has finished.
    done = cli(broker, "--connect-timeout", str(timeout), "wait", job_id, env=env, timeout=timeout + 10)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if not lines:
        raise AssertionError(f"jobq wait {job_id} printed nothing ({done.returncode}): {done.stderr}")
    return json.loads(lines[-1])


def run(broker: Broker, task: str, *flags: str, timeout: float = 60.0, **arguments: Any) -> dict:
    """Submits one job and waits for its outcome."""
    return wait_outcome(broker, submit(broker, task, *flags, **arguments), timeout=timeout)


def job_info(broker: Broker, job_id: str) -> dict:
    done = cli(broker, "job", job_id, "--json")
    if done.returncode != 0:
        raise AssertionError(f"jobq job {job_id} failed: {done.stderr}")
    return json.loads(done.stdout)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (exited, not yet reaped by its parent) is not running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False
