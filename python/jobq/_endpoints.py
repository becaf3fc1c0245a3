"""Broker endpoint lists: ``tcp://a:5555,tcp://b:5555`` wherever one endpoint is taken.

Brokers sharing one store elect a leader, and only the leader listens
(docs/protocol.md, "Several brokers: a leader and standbys"). The Python
client and worker talk to one endpoint of the list at a time and move on to
the next when it does not answer. The rules are the C++ programs'
(common/endpoint_list.h), so a list one takes the other takes too.
"""

from __future__ import annotations

# More brokers than this on one store is a mistake in the list, not a setup.
ENDPOINT_LIST_MAX = 16

# How long the Python package waits for a connection to one endpoint of a
# list before it tries the next (docs/protocol.md: "about a second").
NEXT_ENDPOINT_AFTER = 1.0


def split_endpoint_list(text: str) -> list[str]:
    """The endpoints of ``text`` in order, each without the spaces around it.

    ValueError, naming the item, for an empty item, one given twice, or more
    than ENDPOINT_LIST_MAX. The items themselves are not checked here.
    """
    endpoints: list[str] = []
    for position, item in enumerate(text.split(","), start=1):
        endpoint = item.strip()
        if not endpoint:
            if "," not in text:
                raise ValueError("the broker endpoint is empty")
            raise ValueError(
                f'endpoint {position} of "{text}" is empty (separate brokers\' endpoints with single commas)'
            )
        if endpoint in endpoints:
            raise ValueError(f'the endpoint {endpoint} is given twice in "{text}"')
        if len(endpoints) == ENDPOINT_LIST_MAX:
            raise ValueError(f'"{text}" names more than {ENDPOINT_LIST_MAX} brokers')
        endpoints.append(endpoint)
    return endpoints


def is_connectable(endpoint: str) -> bool:
    """Whether a peer can connect to ``endpoint``: tcp://HOST:PORT, ipc://PATH or inproc://NAME.

    Host names are resolved later, by ZeroMQ; this catches the typos that
    would otherwise only show as a peer that never connects.
    """
    if endpoint.startswith("tcp://"):
        address = endpoint[len("tcp://") :]
        host, colon, port = address.rpartition(":")
        return bool(colon and host and port.isascii() and port.isdigit())
    return any(endpoint.startswith(scheme) and len(endpoint) > len(scheme) for scheme in ("ipc://", "inproc://"))


def describe(endpoints: list[str]) -> str:
    """``the broker at X``, or ``any of the brokers at X, Y`` for a list."""
    if len(endpoints) == 1:
        return f"the broker at {endpoints[0]}"
    return f"any of the brokers at {', '.join(endpoints)}"
