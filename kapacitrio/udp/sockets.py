"""A bound UDP socket for line-protocol listeners (`[[udp]]` inputs and `udp` subscriptions)."""

from __future__ import annotations

import socket

import trio


async def bind_udp(host: str, port: int, read_buffer: int = 0) -> trio.socket.SocketType:
    """A UDP socket bound to `host:port` (empty host: every address; port 0: any free one).

    `read_buffer` > 0 sets the OS receive buffer. Raises `OSError` (the socket is closed then).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = trio.socket.socket(family, socket.SOCK_DGRAM)
    try:
        if read_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, read_buffer)
        await sock.bind((host or ("::" if family == socket.AF_INET6 else "0.0.0.0"), port))
    except OSError:
        sock.close()
        raise
    return sock
