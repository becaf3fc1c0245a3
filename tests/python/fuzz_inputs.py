"""What the Python fuzz tests share: the seed, a case's context, random bytes.

Both fuzz files (the client's, tests/python/test_fuzz_client_decoders.py,
and the worker's, tests/python/worker/test_fuzz_worker_decoders.py) import
these, so a failure names its seed and case the same way in both.
"""

from __future__ import annotations

import contextlib
import os
import random
from typing import Any, Iterator

SEED = int(os.environ.get("JOBQ_FUZZ_SEED", "0x5eed"), 0)


@contextlib.contextmanager
def fuzz_case(target: str, seed: int, index: int, data: Any) -> Iterator[None]:
    """Names the seed, the case and its input when the check inside fails."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - re-raised with what reproduces it
        text = repr(data)
        if len(text) > 600:
            text = text[:600] + f"... ({len(text)} characters)"
        raise AssertionError(
            f"{target}: seed {seed:#x} (JOBQ_FUZZ_SEED), case {index}: {type(error).__name__}: {error}\n"
            f"input: {text}"
        ) from error


def varint(value: int) -> bytes:
    """A protobuf varint; a negative value as protobuf writes it (64-bit two's
    complement), which jobq._jobspec.varint, for real jobs only, refuses."""
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def random_bytes(rng: random.Random, most: int = 48) -> bytes:
    return rng.randbytes(rng.randint(0, most))


TEXT_ALPHABET = "abcXYZ019 -_.:/\"\\'[]{}é€\u2028\U0001f600\x00\t\n"
ENCODINGS = ("utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32-be", "utf-32", "utf-8-sig")
