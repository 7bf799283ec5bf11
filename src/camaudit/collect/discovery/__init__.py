"""Camera-native discovery over UDP: the requests the makers' own tools send, and nothing more.

Each protocol module has ``request() -> bytes`` (the probe), ``accept(data) -> (protocol, text) | None``
(turn an answer into evidence text, or reject it) and its port and multicast group. :mod:`.transport`
sends them unicast to targets in scope, or multicast on one interface, and listens passively.
"""
