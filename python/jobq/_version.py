"""The package version: the project's, from the top CMakeLists.txt project(VERSION).

The build (setup.py, or python/CMakeLists.txt) writes it into _build_info.py;
a checkout used without building reads it from CMakeLists.txt itself.
"""

from __future__ import annotations

import re
from pathlib import Path


def version_from_cmakelists(path: Path) -> str:
    """The VERSION of ``project(...)`` in a CMakeLists.txt; ValueError when absent."""
    match = re.search(r"project\s*\([^)]*\bVERSION\s+([0-9][0-9A-Za-z.+-]*)", path.read_text())
    if match is None:
        raise ValueError(f"{path} has no project(... VERSION x.y.z)")
    return match.group(1)


try:
    from ._build_info import VERSION as __version__
except ImportError:
    __version__ = version_from_cmakelists(Path(__file__).resolve().parents[2] / "CMakeLists.txt")
