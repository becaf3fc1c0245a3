"""CURVE key files as ``jobq keygen`` writes them (docs/protocol.md, "Security").

NAME.key holds ``public-key = "<Z85>"`` and ``secret-key = "<Z85>"`` lines;
NAME.pub one ``public-key`` line (a bare Z85 key is accepted too). ``#``
starts a comment; blank lines are ignored. Errors name the file and line,
as the C++ programs' do, and say what to do.
"""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path

import zmq
from zmq.utils import z85

Z85_CHARS = 40
_LINE = re.compile(r'^\s*(?:([a-z-]+)\s*=\s*)?"?([^"\s]*)"?\s*$')
_KEYGEN_HINT = "make keys with `jobq keygen NAME`"


class KeyFileError(ValueError):
    """A key file that cannot be read or is not what ``jobq keygen`` writes."""


@dataclass(frozen=True)
class ClientKeys:
    """What a CURVE client needs, each key as 40 Z85 characters."""

    server_public: str
    public: str
    secret: str


def _entries(path: Path) -> list[tuple[int, str, str]]:
    try:
        text = path.read_text()
    except OSError as error:
        raise KeyFileError(f"cannot read {path}: {error.strerror} ({_KEYGEN_HINT})") from None
    except UnicodeDecodeError as error:
        raise KeyFileError(
            f"{path}: not a key file: byte {error.start} is not UTF-8 text ({_KEYGEN_HINT})"
        ) from None
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            raise KeyFileError(f'{path}:{number}: expected public-key = "..." or secret-key = "..."')
        name, value = match.group(1) or "", match.group(2)
        if len(value) != Z85_CHARS:
            raise KeyFileError(
                f"{path}:{number}: a CURVE key is {Z85_CHARS} Z85 characters, this one has {len(value)}"
            )
        try:
            z85.decode(value)
        except (KeyError, ValueError):  # pyzmq's decoder: KeyError for a character outside Z85
            raise KeyFileError(f"{path}:{number}: not a Z85 key (it has characters Z85 does not use)") from None
        except struct.error:  # five characters worth more than 2^32 - 1 ("#####"): in no key
            raise KeyFileError(f"{path}:{number}: not a Z85 key (it decodes to no 32-byte key)") from None
        entries.append((number, name, value))
    return entries


def load_public_key(path: str | os.PathLike[str]) -> str:
    """The Z85 public key of a NAME.pub file (the broker's broker.pub, say)."""
    path = Path(path)
    keys = []
    for number, name, value in _entries(path):
        if name == "secret-key":
            raise KeyFileError(
                f"{path}:{number}: a secret key; give the broker's public key file (broker.pub), "
                "the secret stays on the broker's host"
            )
        if name not in ("", "public-key"):
            raise KeyFileError(f'{path}:{number}: expected public-key = "..."')
        keys.append(value)
    if len(keys) != 1:
        raise KeyFileError(f"{path}: expected one public key, found {len(keys)} ({_KEYGEN_HINT})")
    return keys[0]


def load_key_pair(path: str | os.PathLike[str]) -> tuple[str, str]:
    """(public, secret) Z85 keys of a NAME.key file; the public half must match the secret."""
    path = Path(path)
    found: dict[str, tuple[int, str]] = {}
    for number, name, value in _entries(path):
        if name not in ("public-key", "secret-key"):
            raise KeyFileError(
                f'{path}:{number}: expected public-key = "..." or secret-key = "..." '
                "(a key pair file as `jobq keygen` writes it)"
            )
        if name in found:
            raise KeyFileError(f"{path}:{number}: a second {name} line")
        found[name] = (number, value)
    if "secret-key" not in found:
        raise KeyFileError(
            f"{path}: no secret-key line; this must be a key pair file (NAME.key, not NAME.pub): {_KEYGEN_HINT}"
        )
    secret = found["secret-key"][1]
    derived = zmq.curve_public(secret.encode()).decode()
    if "public-key" in found and found["public-key"][1] != derived:
        raise KeyFileError(
            f"{path}:{found['public-key'][0]}: public-key is not the public half of secret-key "
            "(the file was edited or mixed from two pairs): make a new pair with `jobq keygen`"
        )
    return derived, secret


def client_keys(
    broker_key: str | os.PathLike[str] | None, curve_key: str | os.PathLike[str] | None
) -> ClientKeys | None:
    """The keys from the two files, None when neither is given (plaintext).

    Unset arguments default to the environment variables the C++ programs
    read: JOBQ_BROKER_KEY (the broker's .pub) and JOBQ_CURVE_KEY (own .key).
    """
    broker_key = broker_key if broker_key is not None else os.environ.get("JOBQ_BROKER_KEY") or None
    curve_key = curve_key if curve_key is not None else os.environ.get("JOBQ_CURVE_KEY") or None
    if broker_key is None and curve_key is None:
        return None
    if broker_key is None or curve_key is None:
        missing = "broker_key (the broker's .pub)" if broker_key is None else "curve_key (this producer's .key)"
        raise KeyFileError(
            f"CURVE needs both broker_key and curve_key; {missing} is missing "
            "(or set JOBQ_BROKER_KEY and JOBQ_CURVE_KEY)"
        )
    public, secret = load_key_pair(curve_key)
    return ClientKeys(load_public_key(broker_key), public, secret)
