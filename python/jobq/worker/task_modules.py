"""Imports the modules named by --tasks, whose @jobq.task functions register.

A module is named as Python imports it (``myapp.tasks``) or by the path of
its .py file (its directory joins sys.path). Like ``python3 -m``, the
current directory is on the path, also for the ``jobq-py-worker`` script.
CPU children (and the forkserver they come from) inherit sys.path and
import the same names.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback


class TaskModuleError(Exception):
    """A --tasks module that cannot be imported; the message says why and what to do."""


def import_task_modules(specs: list[str]) -> list[str]:
    """Imports each module; returns their importable names (for the CPU children)."""
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    names = []
    for spec in specs:
        name = _module_name(spec)
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name is not None and (name == error.name or name.startswith(error.name + ".")):
                raise TaskModuleError(
                    f"cannot import task module {name!r}: {error}; give an importable module "
                    "(its directory on PYTHONPATH or the current directory) or the path of a .py file"
                ) from None
            raise TaskModuleError(_failed(name)) from None
        except BaseException:  # noqa: BLE001  any failure of user code at import is reported
            raise TaskModuleError(_failed(name)) from None
        names.append(name)
    return names


def _module_name(spec: str) -> str:
    if not spec.endswith(".py"):
        return spec
    path = os.path.abspath(spec)
    if not os.path.isfile(path):
        raise TaskModuleError(f"task module file {spec!r} does not exist")
    directory, file_name = os.path.split(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    return file_name[: -len(".py")]


def _failed(name: str) -> str:
    return f"task module {name!r} failed to import:\n{traceback.format_exc().rstrip()}"
