"""``python3 -m jobq --version``: which jobq this is, and where it is installed."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m jobq",
        description="jobq for Python: import jobq for the Executor and Client; "
        "python3 -m jobq.worker runs a Python worker.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    args = parser.parse_args(argv)
    from . import __version__

    if args.version:
        print(f"jobq {__version__}")
        return 0
    parser.print_help()
    print(f"\njobq {__version__} at {Path(__file__).resolve().parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
