"""The package as users get it: the version, pip into a virtualenv offline, what the build generates."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jobq

SOURCE = Path(__file__).resolve().parents[2]


def project_version() -> str:
    text = (SOURCE / "CMakeLists.txt").read_text()
    return re.search(r"project\(jobq VERSION ([0-9.]+)", text).group(1)


def test_python_m_jobq_version() -> None:
    done = subprocess.run([sys.executable, "-m", "jobq", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"jobq {project_version()}\n"
    assert jobq.__version__ == project_version()


def test_the_generated_modules_are_not_in_the_source_tree_index() -> None:
    # protoc's output is made by the build; python/.gitignore keeps it out of commits.
    listed = subprocess.run(
        ["git", "-C", str(SOURCE), "ls-files", "--", "python"], capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        return  # not a git checkout (an unpacked source archive): nothing to check
    assert not [line for line in listed.stdout.splitlines() if line.endswith("_pb2.py")]
    ignored = subprocess.run(
        ["git", "-C", str(SOURCE), "check-ignore", "-q", "python/jobq/wire_pb2.py"], check=False
    )
    assert ignored.returncode == 0


def test_pip_installs_it_into_a_virtualenv_offline(tmp_path: Path) -> None:
    if shutil.which("protoc") is None:
        raise AssertionError("protoc (protobuf-compiler) is needed to build the package")
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    # A copy, so the build leaves nothing in the checkout; proto/ and the
    # top CMakeLists.txt sit beside it as in the source tree.
    tree = tmp_path / "tree"
    shutil.copytree(SOURCE / "python", tree / "python", ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", "*_pb2.py", "_build_info.py"))
    shutil.copytree(SOURCE / "proto", tree / "proto")
    shutil.copy(SOURCE / "CMakeLists.txt", tree / "CMakeLists.txt")
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PIP_INDEX_URL")}
    env["PIP_NO_INDEX"] = "1"  # offline: only what Debian installed
    install = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--no-build-isolation", "--quiet", str(tree / "python")],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    check = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         "import jobq, jobq.wire_pb2, jobq.admin_pb2, jobq.worker; print(jobq.__version__, jobq.__file__)"],
        capture_output=True, text=True, env=env, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    version, location = check.stdout.split()
    assert version == project_version()
    assert location.startswith(str(venv))
    assert (venv / "bin" / "jobq-py-worker").exists()
