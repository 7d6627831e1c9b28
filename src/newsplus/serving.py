"""Running the server: one uvicorn process, or several workers that each listen on the address themselves.

uvicorn's workers share the one socket their parent bound, and whichever worker wakes first accepts every
connection waiting then: a burst of new connections (a proxy opening its pool, a crowd arriving at once) all
lands on one worker while the others sit idle, and keep-alive holds it there. On Linux each worker here
binds a socket of its own on the same address (``SO_REUSEPORT``), and the kernel spreads new connections over
them by the connection's addresses.
"""

from __future__ import annotations

import logging
import socket
import sys
from typing import Any

__all__ = ["SpreadListener", "run_server"]

log = logging.getLogger("uvicorn.error")


def _can_spread() -> bool:
    return sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def _bound(sock: socket.socket, address: tuple[Any, ...]) -> socket.socket:
    """``sock`` bound to ``address`` among others bound there too (``SO_REUSEPORT``)."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def _own_listener(family: int, address: tuple[Any, ...]) -> socket.socket:
    """A worker's socket on the shared address (uvicorn makes it listen)."""
    return _bound(socket.socket(family, socket.SOCK_STREAM), address)


class SpreadListener(socket.socket):
    """The parent's hold on the address: bound, never listening. Handed to a worker, it arrives as a socket of
    the worker's own on the same address (``__reduce__``), so every worker has its own queue of connections."""

    @classmethod
    def bind_to(cls, host: str, port: int) -> SpreadListener:
        """Bind the address (port 0 picks a free one), failing here if another program holds it."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return _bound(cls(family, socket.SOCK_STREAM), (host, port))

    def __reduce__(self) -> tuple[Any, ...]:
        return _own_listener, (self.family, self.getsockname())


def run_server(app: Any, *, workers: int, reload: bool, **options: Any) -> None:
    """Serve ``app`` (an import string when there are several workers or reloading) with uvicorn's options."""
    import uvicorn

    if workers == 1 or reload or not _can_spread():
        uvicorn.run(app, workers=workers, reload=reload, **options)
        return
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app, workers=workers, **options)
    listener = SpreadListener.bind_to(config.host, config.port)
    host, port = listener.getsockname()[:2]
    log.info("Uvicorn running on http://%s:%d with %d workers, each listening itself", host, port, workers)
    try:
        Multiprocess(config, sockets=[listener]).run()
    except KeyboardInterrupt:
        pass
    finally:
        listener.close()
