"""Running the fake: in a background thread for tests, or in the foreground for the CLI.

Both bind the listening socket *before* uvicorn starts, so the real port is known even
when the OS picks it (port 0) and no other process can take it in between; connections
made before uvicorn is ready wait in the socket's backlog instead of being refused.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from crm_whatsapp.adapters.whatsapp.fake_graph_api.app import create_fake_graph_api
from crm_whatsapp.adapters.whatsapp.fake_graph_api.state import (
    FakeGraphApiOptions,
    FakeGraphApiState,
)

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True, slots=True)
class RunningFakeGraphApi:
    """A fake Graph API serving at ``base_url``; ``state`` is what it recorded."""

    base_url: str
    port: int
    state: FakeGraphApiState


def listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (0: any free port) and listening."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    # protocol says TCP, and without it every answer waits ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        # uvicorn's own backlog: a thousand senders connecting at once must all wait in
        # the queue, not have their connection attempts dropped and retried a second later.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def base_url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextmanager
def running_asgi_app(
    app: ASGIApp,
    *,
    host: str = LOOPBACK,
    port: int = 0,
    before_stop: Callable[[], None] | None = None,
    timeout: float = 10.0,
) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a background thread; yields its base URL.

    On exit the server stops (``before_stop`` runs first, e.g. to wake requests that are
    deliberately slow) and the thread is joined: nothing outlives the ``with`` block.
    """
    sock = listening_socket(host, port)
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=max(1, int(timeout))
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="uvicorn-loopback", daemon=True
    )
    thread.start()
    try:
        _wait_started(server, thread, timeout)
        yield base_url_of(sock)
    finally:
        if before_stop is not None:
            before_stop()
        server.should_exit = True
        thread.join(timeout)
        sock.close()
    if thread.is_alive():
        raise RuntimeError("the loopback server did not stop in time")


def _wait_started(server: uvicorn.Server, thread: threading.Thread, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the loopback server failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the loopback server did not start in time")
        time.sleep(0.005)


@contextmanager
def running_fake_graph_api(
    port: int = 0, *, host: str = LOOPBACK, **options: Any
) -> Iterator[RunningFakeGraphApi]:
    """A fake Graph API on loopback for one ``with`` block (options: ``FakeGraphApiOptions``)::

    with running_fake_graph_api(fail_rate=0.3, seed=7) as fake:
        settings = GraphApiSettings("token", base_url=fake.base_url)
        ...
        fake.state.requests()
    """
    state = FakeGraphApiState(FakeGraphApiOptions(**options))
    app = create_fake_graph_api(state=state)
    with running_asgi_app(app, host=host, port=port, before_stop=state.begin_shutdown) as url:
        yield RunningFakeGraphApi(url, int(url.rsplit(":", 1)[1]), state)


def serve_fake_graph_api(
    options: FakeGraphApiOptions,
    *,
    host: str = LOOPBACK,
    port: int = 0,
    log_level: str = "warning",
    announce: Callable[[str], None] = print,
) -> None:
    """Serve in the foreground until SIGINT/SIGTERM (the ``fake-graph-api`` command)."""
    state = FakeGraphApiState(options)
    app = create_fake_graph_api(state=state)
    sock = listening_socket(host, port)
    try:
        announce(base_url_of(sock))
        config = uvicorn.Config(
            app, log_level=log_level, lifespan="on", timeout_graceful_shutdown=2
        )
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
