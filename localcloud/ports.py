"""The emulator's listening socket: bound with SO_REUSEADDR, a busy port as one line.

Light on purpose (no moto): the command line checks the port with it before loading anything.
"""

from __future__ import annotations

import errno
import socket

from localcloud.errors import LocalCloudError


def bind_listener(host: str, port: int, backlog: int = 128) -> socket.socket:
    """A socket listening on host:port (port 0: any free port); ``LocalCloudError`` in one line
    when the port is busy or cannot be bound."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(backlog)
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise LocalCloudError(
                f"port {port} on {host} is busy (another emulator or LocalStack?); "
                "stop it or choose another with --port"
            ) from None
        raise LocalCloudError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return listener
