"""Real jobq binaries on loopback for the Python tests.

The broker binds port 0 and reports what it bound through --ready-file, so
no test picks a port and two test runs never collide. Everything started
here is recorded, so a fixture can stop what a failing test left running
(``stop_all``). Waiting is polling against a deadline (``wait_until``), never
a fixed sleep: the deadline only turns a hang into a failure.

Binaries come from JOBQ_BROKER, JOBQ_WORKER and JOBQ_CLI (CTest sets them),
else from build/ at the top of the source tree.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

SOURCE_DIR = Path(__file__).resolve().parents[2]
BUILD_DIR = SOURCE_DIR / "build"


def _binary(variable: str, default: Path) -> str:
    return os.environ.get(variable) or str(default)


def broker_binary() -> str:
    return _binary("JOBQ_BROKER", BUILD_DIR / "broker" / "jobq-broker")


def worker_binary() -> str:
    return _binary("JOBQ_WORKER", BUILD_DIR / "worker" / "jobq-worker")


def cli_binary() -> str:
    return _binary("JOBQ_CLI", BUILD_DIR / "producer" / "jobq")


def time_scale() -> float:
    """JOBQ_TEST_TIME_SCALE, as the C++ tests read it: slower builds wait longer."""
    try:
        return max(1.0, float(os.environ.get("JOBQ_TEST_TIME_SCALE", "1")))
    except ValueError:
        return 1.0


DEFAULT_DEADLINE = 30.0


def wait_until(
    condition: Callable[[], Any],
    timeout: float = DEFAULT_DEADLINE,
    interval: float = 0.02,
    what: str = "condition",
) -> Any:
    """The first truthy value of ``condition()``; AssertionError after ``timeout`` (scaled)."""
    deadline = time.monotonic() + timeout * time_scale()
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout * time_scale():.0f} s waiting for {what}")
        # Backs off a little so a long wait does not spin a core the test
        # programs need, yet a short one still notices quickly.
        time.sleep(interval)
        interval = min(interval * 1.5, 0.2)


_started: list["Program"] = []


class Program:
    """One started binary: its output goes to files next to the test's data."""

    def __init__(self, argv: Sequence[str], log_prefix: Path, env: dict[str, str] | None = None):
        self.argv = list(argv)
        self.log_prefix = log_prefix
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self._out = open(f"{log_prefix}.out", "ab")
        self._err = open(f"{log_prefix}.err", "ab")
        self.process = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._err, env=full_env
        )
        _started.append(self)

    @property
    def pid(self) -> int:
        return self.process.pid

    def running(self) -> bool:
        return self.process.poll() is None

    def stdout(self) -> str:
        return Path(f"{self.log_prefix}.out").read_text(errors="replace")

    def stderr(self) -> str:
        return Path(f"{self.log_prefix}.err").read_text(errors="replace")

    def signal(self, signum: int) -> None:
        if self.running():
            self.process.send_signal(signum)

    def stop(self, grace: float = 10.0) -> int:
        """SIGTERM, then SIGKILL when still running after ``grace`` (scaled); the exit code."""
        self.signal(signal.SIGTERM)
        try:
            code = self.process.wait(grace * time_scale())
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self._close()
        return code

    def kill(self) -> int:
        """SIGKILL and reap: a crash, as the tests of durability want one."""
        if self.running():
            self.process.kill()
        code = self.process.wait()
        self._close()
        return code

    def wait_exit(self, timeout: float = DEFAULT_DEADLINE) -> int:
        code = self.process.wait(timeout * time_scale())
        self._close()
        return code

    def _close(self) -> None:
        self._out.close()
        self._err.close()
        if self in _started:
            _started.remove(self)


def stop_all() -> None:
    """Stops, workers first, whatever is still running (a failed test's leftovers)."""
    for program in sorted(_started, key=lambda p: isinstance(p, Broker)):
        program.stop(grace=3.0)


def _port(address: str) -> int:
    return int(address.rsplit(":", 1)[1])


class Broker(Program):
    """jobq-broker on 127.0.0.1 with free ports.

    ``store`` is "memory", "sqlite" (a file in the test's directory, kept
    across restarts) or any --store value such as "sqlite:/path".
    """

    frontend: str
    backend: str
    admin: str
    metrics: str | None

    def __init__(self, directory: Path, argv: Sequence[str], extra: Sequence[str], start: int):
        self.directory = directory
        self.extra_args = list(extra)
        self.starts = start
        super().__init__(argv, directory / f"broker-{start}")

    @classmethod
    def start(
        cls,
        tmp_path: Path | str,
        *extra_args: str,
        store: str = "memory",
        frontend_port: int = 0,
        backend_port: int = 0,
        admin_port: int = 0,
        _start: int = 0,
    ) -> "Broker":
        directory = Path(tmp_path)
        directory.mkdir(parents=True, exist_ok=True)
        if store == "sqlite":
            store = f"sqlite:{directory / 'jobq.db'}"
        ready_file = directory / f"broker-ready-{_start}.json"
        ready_file.unlink(missing_ok=True)
        argv = [
            broker_binary(),
            "--frontend", f"tcp://127.0.0.1:{frontend_port}",
            "--backend", f"tcp://127.0.0.1:{backend_port}",
            "--admin", f"127.0.0.1:{admin_port}",
            "--ready-file", str(ready_file),
            "--store", store,
            *extra_args,
        ]  # fmt: skip
        broker = cls(directory, argv, extra_args, _start)
        broker.store = store
        try:
            wait_until(
                lambda: ready_file.exists() or not broker.running(),
                what="the broker's ready file",
            )
        except AssertionError:
            broker.kill()
            raise AssertionError(f"the broker did not start: {broker.stderr()}") from None
        if not broker.running():
            broker.wait_exit()
            raise AssertionError(
                f"the broker exited with {broker.process.returncode}: {broker.stderr()}"
            )
        ready = json.loads(ready_file.read_text())
        broker.frontend = ready["frontend"]
        broker.backend = ready["backend"]
        broker.admin = ready["admin"]
        broker.metrics = ready.get("metrics")
        return broker

    def restart(self) -> "Broker":
        """A new broker on the same ports and store (after stop() or kill()).

        Returns the new Broker; this object then only describes the old process.
        """
        if self.running():
            raise RuntimeError("stop() or kill() the broker before restart()")
        return Broker.start(
            self.directory,
            *self.extra_args,
            store=self.store,
            frontend_port=_port(self.frontend),
            backend_port=_port(self.backend),
            admin_port=_port(self.admin),
            _start=self.starts + 1,
        )

    def cli_env(self) -> dict[str, str]:
        """The environment that points the `jobq` CLI at this broker."""
        return {"JOBQ_BROKER": self.frontend, "JOBQ_ADMIN": self.admin}

    def run_cli(self, *args: str, timeout: float = 60.0, input: str | None = None) -> subprocess.CompletedProcess:
        return run_cli(*args, env=self.cli_env(), timeout=timeout, input=input)

    def status(self) -> dict[str, Any]:
        """`jobq status --json`, parsed; AssertionError when the call fails."""
        done = self.run_cli("status", "--json", timeout=20.0)
        if done.returncode != 0:
            raise AssertionError(f"jobq status failed ({done.returncode}): {done.stderr}")
        return json.loads(done.stdout)

    def worker_names(self) -> set[str]:
        return {worker.get("name", "") for worker in self.status().get("workers", [])}

    def wait_for_workers(self, count: int, timeout: float = DEFAULT_DEADLINE) -> None:
        wait_until(
            lambda: len(self.status().get("workers", [])) == count,
            timeout=timeout,
            what=f"{count} worker(s) on the broker",
        )

    def counter(self, name: str) -> int:
        """A counter of `jobq status --json` ("succeeded", ...); 0 when missing."""
        value = self.status().get("counters", {}).get(name, 0)
        return int(value)

    def all_jobs(self, state: str = "") -> list[dict[str, Any]]:
        """Every job the broker has (`jobq jobs --json`, page after page), oldest first."""
        page_size = 10_000  # the most `jobq jobs --limit` takes
        jobs: list[dict[str, Any]] = []
        after = ""
        while True:
            args = ["jobs", "--json", "--limit", str(page_size)]
            if state:
                args += ["--state", state]
            if after:
                args += ["--after", after]
            page = self.run_cli(*args, timeout=120.0)
            if page.returncode != 0:
                raise AssertionError(f"jobq jobs failed ({page.returncode}): {page.stderr}")
            lines = [json.loads(line) for line in page.stdout.splitlines() if line.strip()]
            jobs.extend(lines)
            # A further page is announced on stderr, with the id to go on after.
            if not lines or "more jobs follow" not in page.stderr:
                return jobs
            after = lines[-1]["id"]


class Worker(Program):
    """A started jobq-worker (C++)."""

    def __init__(self, argv: Sequence[str], log_prefix: Path, name: str):
        self.name = name
        super().__init__(argv, log_prefix)


_worker_count = 0


def start_cpp_worker(broker: Broker, *args: str, name: str | None = None) -> Worker:
    """jobq-worker connected to ``broker``'s backend; ``args`` are further flags."""
    global _worker_count
    _worker_count += 1
    name = name or f"cpp-worker-{_worker_count}"
    argv = [worker_binary(), "--broker", broker.backend, "--name", name, *args]
    return Worker(argv, broker.directory / f"worker-{name}", name)


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    input: str | None = None,
) -> subprocess.CompletedProcess:
    """`jobq ARGS...` to completion, output captured as text."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run(
        [cli_binary(), *args],
        env=full_env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout * time_scale(),
        check=False,
    )


def keygen(directory: Path, *names: str) -> dict[str, tuple[Path, Path]]:
    """`jobq keygen NAME` for each name: {name: (NAME.key, NAME.pub)}."""
    pairs = {}
    for name in names:
        done = run_cli("keygen", "--out-dir", str(directory), name)
        if done.returncode != 0:
            raise AssertionError(f"jobq keygen {name} failed: {done.stderr}")
        pairs[name] = (directory / f"{name}.key", directory / f"{name}.pub")
    return pairs


def write_allow_list(path: Path, public_key_files: Iterable[Path]) -> Path:
    path.write_text("".join(Path(pub).read_text() for pub in public_key_files))
    return path
