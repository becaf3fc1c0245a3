"""HandshakeMonitor: tells a refused CURVE key from a broker that is down.

A broker refuses a key during the ZeroMQ handshake, before any message, so
the worker would only see silence. A socket monitor reports the failed
handshake; the connection logs what to change and backs off (the
allow-list may be fixed meanwhile), as the C++ worker does.
"""

from __future__ import annotations

import itertools

import zmq
from zmq.utils.monitor import recv_monitor_message

_EVENTS = (
    zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)
_MECHANISM_MISMATCH = 0x11000002  # ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
_names = itertools.count(1)


class HandshakeMonitor:
    def __init__(self) -> None:
        self._socket: zmq.Socket | None = None
        self._pair: zmq.Socket | None = None

    def attach(self, socket: zmq.Socket) -> None:
        self.detach()
        # A fresh endpoint per socket: a closed one's may not be released yet.
        endpoint = f"inproc://jobq-py-worker-monitor-{next(_names)}"
        try:
            self._pair = socket.get_monitor_socket(_EVENTS, endpoint)
            self._socket = socket
        except zmq.ZMQError:
            self._pair = None

    def detach(self) -> None:
        if self._socket is not None and not self._socket.closed:
            try:
                self._socket.disable_monitor()
            except zmq.ZMQError:
                pass
        if self._pair is not None:
            self._pair.close(linger=0)
        self._socket = self._pair = None

    @property
    def pollable(self) -> zmq.Socket | None:
        return self._pair

    def take(self) -> list[tuple[int, int]]:
        """(event, value) of every event waiting."""
        events: list[tuple[int, int]] = []
        while self._pair is not None:
            try:
                message = recv_monitor_message(self._pair, zmq.NOBLOCK)
            except zmq.Again:
                break
            except zmq.ZMQError:
                break
            events.append((int(message["event"]), int(message["value"])))
        return events


def describe_failure(event: int, value: int, broker: str, public_key: str) -> str | None:
    """What a failed handshake means and what to change; None when not worth a line."""
    curve = bool(public_key)
    if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return (
            f"the broker at {broker} refused this worker's key {public_key or '(none)'}: add it "
            f"to the broker's --worker-keys (status {value})"
        )
    if event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
        if value == _MECHANISM_MISMATCH and not curve:
            return (
                f"the broker at {broker} requires CURVE authentication: give --broker-key FILE "
                "(the broker's .pub) and --curve-key FILE (this worker's .key, from `jobq keygen "
                "NAME`), or set JOBQ_BROKER_KEY and JOBQ_CURVE_KEY"
            )
        if value == _MECHANISM_MISMATCH:
            return (
                f"the broker at {broker} does not use CURVE, but this worker was given keys: drop "
                "--broker-key and --curve-key, or start the broker with --curve-secret-key"
            )
        return (
            f"the {'CURVE ' if curve else ''}handshake with the broker at {broker} failed (ZeroMQ "
            f"protocol error 0x{value:x}): is --broker-key the broker's public key, and is it a "
            "jobq broker?"
        )
    if event == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL and curve:
        return (
            f"the broker at {broker} closed the connection during the CURVE handshake: either "
            "--broker-key is not its public key (compare it with the broker's .pub; the broker "
            "logs its public_key at start) or the broker does not use CURVE (start it with "
            "--curve-secret-key, or drop --broker-key and --curve-key)"
        )
    return None
