"""Builds the jobq package: the .py sources plus what the build generates.

``jobq/wire_pb2.py`` and ``jobq/admin_pb2.py`` are made by protoc from
../proto/jobq/*.proto (``-I ../proto``, hence ``from jobq import
wire_pb2``), and ``jobq/_build_info.py`` holds the version of the top
CMakeLists.txt's project(). Neither is committed (python/.gitignore).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PROTO_DIR = HERE.parent / "proto"
PROTOS = ("jobq/wire.proto", "jobq/schedule.proto", "jobq/workflow.proto", "jobq/admin.proto")

sys.path.insert(0, str(HERE / "jobq"))
from _version import version_from_cmakelists  # noqa: E402  (the one parser of the version)

sys.path.pop(0)


def project_version() -> str:
    cmakelists = HERE.parent / "CMakeLists.txt"
    if cmakelists.exists():
        return version_from_cmakelists(cmakelists)
    # An sdist carries the version it was made with.
    info = HERE / "jobq" / "_build_info.py"
    namespace: dict[str, str] = {}
    exec(info.read_text(), namespace)  # noqa: S102 - our own generated file
    return namespace["VERSION"]


def generate(out_dir: Path, version: str) -> None:
    """Writes the generated modules into ``out_dir``/jobq."""
    package = out_dir / "jobq"
    package.mkdir(parents=True, exist_ok=True)
    (package / "_build_info.py").write_text(f'"""Written by the build."""\n\nVERSION = "{version}"\n')
    if not PROTO_DIR.is_dir():
        if all((HERE / "jobq" / f"{Path(p).stem}_pb2.py").exists() for p in PROTOS):
            return  # an sdist: generated when it was made
        raise SystemExit(f"jobq: {PROTO_DIR} not found; build from the jobq source tree")
    protoc = os.environ.get("PROTOC") or shutil.which("protoc")
    if protoc is None:
        raise SystemExit("jobq: protoc not found; install protobuf-compiler (Debian) or set PROTOC")
    command = [protoc, f"-I{PROTO_DIR}", f"--python_out={out_dir}", *(str(PROTO_DIR / p) for p in PROTOS)]
    subprocess.run(command, check=True)


class BuildPy(build_py):
    """build_py that also writes the generated modules into the build."""

    def run(self) -> None:
        super().run()
        generate(Path(self.build_lib), self.distribution.get_version())


setup(version=project_version(), cmdclass={"build_py": BuildPy})
