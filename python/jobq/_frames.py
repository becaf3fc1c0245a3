"""The envelope of every jobq ZeroMQ message (docs/protocol.md, "Message format").

A DEALER sends and receives ``["", "JQ\\x01", command, body]``. This module
only builds and checks those frames; it knows nothing of sockets, so the
client, the worker and their tests share one decoder.
"""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import Sequence

PROTOCOL_VERSION = 1
SIGNATURE = b"JQ" + bytes([PROTOCOL_VERSION])


class Command(enum.IntEnum):
    """The command byte (docs/protocol.md, "Commands")."""

    # client -> broker
    SUBMIT = 0x01
    SENTINEL = 0x02
    WAIT = 0x03
    CANCEL = 0x04
    WORKFLOW = 0x05
    # broker -> client
    SUBMITTED = 0x11
    CLIENT_RESULT = 0x12
    WORKFLOW_SUBMITTED = 0x13
    # broker -> client or worker
    ERROR = 0x1F
    # worker -> broker
    HELLO = 0x21
    CREDIT = 0x22
    WORKER_RESULT = 0x23
    PROGRESS = 0x24
    WORKER_HEARTBEAT = 0x25
    BYE = 0x26
    # broker -> worker
    WELCOME = 0x31
    DISPATCH = 0x32
    WORKER_CANCEL = 0x33
    WORKER_SENTINEL = 0x34
    BROKER_HEARTBEAT = 0x35
    RECONNECT = 0x36


class FrameError(ValueError):
    """A message that is not a jobq message: says what is wrong with it."""


@dataclass(frozen=True)
class Message:
    command: Command
    body: bytes


def encode(command: Command, body: bytes = b"") -> list[bytes]:
    """The frames a DEALER sends: delimiter, header, command, body.

    The body frame is always sent, even when empty (the spec says SHOULD).
    """
    return [b"", SIGNATURE, bytes([int(command)]), body]


def decode(frames: Sequence[bytes]) -> Message:
    """Checks the frames a DEALER received; raises FrameError when malformed."""
    if len(frames) < 3:
        raise FrameError(f"{len(frames)} frame(s): a jobq message has at least 3")
    if len(frames) > 4:
        raise FrameError(f"{len(frames)} frames: frames after the body")
    if frames[0] != b"":
        raise FrameError("the first frame is not the empty delimiter")
    if bytes(frames[1]) != SIGNATURE:
        raise FrameError(
            f"header {bytes(frames[1])!r} is not {SIGNATURE!r}: another protocol or version"
        )
    if len(frames[2]) != 1:
        raise FrameError(f"the command frame has {len(frames[2])} bytes, not 1")
    try:
        command = Command(frames[2][0])
    except ValueError:
        raise FrameError(f"unknown command 0x{frames[2][0]:02x}") from None
    body = bytes(frames[3]) if len(frames) == 4 else b""
    return Message(command, body)


def job_id_text(raw: bytes) -> str:
    """The canonical 36-character form of a 16-byte job id."""
    if len(raw) != 16:
        raise ValueError(f"a job id has 16 bytes, not {len(raw)}")
    return str(uuid.UUID(bytes=raw))


def job_id_bytes(text_or_raw: str | bytes) -> bytes:
    """16 bytes from a job id given as text (36 characters) or as bytes."""
    if isinstance(text_or_raw, bytes):
        if len(text_or_raw) != 16:
            raise ValueError(f"a job id has 16 bytes, not {len(text_or_raw)}")
        return text_or_raw
    return uuid.UUID(text_or_raw).bytes
