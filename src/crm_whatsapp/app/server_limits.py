"""uvicorn with bounds: no client holds a connection, or the server, for as long as it likes.

uvicorn's HTTP protocol (httptools) times a connection out only while it idles between two
requests. A connection that sends half a request line and then nothing (slowloris), or
never sends anything, is kept forever, and so is a body sent a byte at a time; a few
hundred of them use up the server. ``GuardedHttpToolsProtocol`` adds what is missing:

- the request head (request line and headers) must be complete within
  ``header_timeout`` seconds of the connection's start, or of the end of the previous
  answer on a kept-alive connection: past it the connection is closed (with a 408 when
  part of a request had arrived); a head larger than ``MAX_HEAD_BYTES`` gets a 431;
- the body must be complete within ``body_timeout`` seconds of the head, plus one second
  per ``MIN_BODY_BYTES_PER_SECOND`` received: an upload on a slow line goes on, a trickle
  is cut. Time in which the server itself stopped reading (the application had not taken
  what came) is not counted against the client.

uvicorn's own ``limit_concurrency`` answers 503 once a process holds ``max_connections``
connections or requests in progress.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MIN_BODY_BYTES_PER_SECOND = 8 * 1024
"""64 kbit/s: slower than any line a person uploads a file from, faster than a trickle."""
MAX_HEAD_BYTES = 64 * 1024
"""A request line and headers past this are refused (431); browsers send a few KiB."""
KEEP_ALIVE_SECONDS = 5
"""How long an idle kept-alive connection waits for its next request (uvicorn's default)."""

logger = logging.getLogger("crm_whatsapp.server")


def _plain_answer(status: str, text: str) -> bytes:
    """A whole HTTP/1.1 answer that closes the connection, for refusals made before any
    application saw the request."""
    body = text.encode() + b"\n"
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    )
    return head.encode() + body


_REQUEST_TIMEOUT = _plain_answer("408 Request Timeout", "request headers did not arrive in time")
_HEAD_TOO_LARGE = _plain_answer(
    "431 Request Header Fields Too Large", "request line and headers too large"
)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a deadline for each request's head and body."""

    def __init__(
        self,
        *args: Any,
        header_timeout: float,
        body_timeout: float,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._header_timeout = header_timeout
        self._body_timeout = body_timeout
        self._head_timer: asyncio.TimerHandle | None = None
        self._in_head = False  # part of a request's head has arrived, not all of it
        self._head_bytes = 0
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_deadline = 0.0
        self._body_checked = 0.0
        self._body_received = 0

    # -- the head ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        continued = self._in_head
        super().data_received(data)
        if not self._in_head:  # no head, or it ended in this data
            return
        # a head still incomplete: what it took so far (at most one read more)
        self._head_bytes = self._head_bytes + len(data) if continued else len(data)
        if self._head_bytes > MAX_HEAD_BYTES and not self._closing():
            self._refuse(_HEAD_TOO_LARGE, "request head over %d bytes", MAX_HEAD_BYTES)

    def on_message_begin(self) -> None:
        self._in_head = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head()
        super().on_headers_complete()
        if self.parser is not None and not self.parser.should_upgrade():
            now = self.loop.time()
            self._body_received = 0
            self._body_checked = now
            self._body_deadline = now + self._body_timeout
            self._body_timer = self.loop.call_later(self._body_timeout, self._check_body)

    def on_response_complete(self) -> None:
        idle_next = not self.pipeline  # no request already waiting to be answered
        super().on_response_complete()
        if idle_next and not self._closing():
            self._await_head()

    def _await_head(self) -> None:
        self._cancel_head()
        self._head_timer = self.loop.call_later(self._header_timeout, self._head_too_slow)

    def _head_too_slow(self) -> None:
        self._head_timer = None
        if self._closing():
            return
        if self._in_head:
            self._refuse(
                _REQUEST_TIMEOUT, "request head incomplete after %g s", self._header_timeout
            )
        else:  # nothing was asked: nothing to answer
            self._close("no request within %g s", self._header_timeout)

    def _cancel_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    # -- the body ---------------------------------------------------------------------

    def on_body(self, body: bytes) -> None:
        self._body_received += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._cancel_body()
        super().on_message_complete()

    def _check_body(self) -> None:
        self._body_timer = None
        if self._closing():
            return
        now = self.loop.time()
        if self.flow is not None and self.flow.read_paused:
            # the server stopped reading (the application has not taken what came): the
            # client cannot send meanwhile, so this time is not counted against it
            self._body_deadline += now - self._body_checked
        self._body_checked = now
        allowed = self._body_deadline + self._body_received / MIN_BODY_BYTES_PER_SECOND
        if now < allowed:
            self._body_timer = self.loop.call_later(max(allowed - now, 0.05), self._check_body)
            return
        self._close("request body too slow (%d bytes received)", self._body_received)

    def _cancel_body(self) -> None:
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    # -- the connection ---------------------------------------------------------------

    def handle_websocket_upgrade(self) -> None:
        self._cancel_head()
        self._cancel_body()
        super().handle_websocket_upgrade()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head()
        self._cancel_body()
        super().connection_lost(exc)

    def _closing(self) -> bool:
        return self.transport is None or self.transport.is_closing()

    def _refuse(self, answer: bytes, why: str, *args: object) -> None:
        self.transport.write(answer)
        self._close(why, *args)

    def _close(self, why: str, *args: object) -> None:
        logger.info("closed the connection from %s: " + why, _peer(self.client), *args)
        self._cancel_head()
        self._cancel_body()
        self.transport.close()


def _peer(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "?"


def uvicorn_limits(
    *, header_timeout: float, body_timeout: float, max_connections: int
) -> dict[str, Any]:
    """``uvicorn.Config`` options that bound every connection (see the module's text).

    The protocol is a ``functools.partial`` of a module-level class, so a config for
    several worker processes still pickles."""
    protocol = functools.partial(
        GuardedHttpToolsProtocol, header_timeout=header_timeout, body_timeout=body_timeout
    )
    return {
        "http": cast(type[asyncio.Protocol], protocol),
        "timeout_keep_alive": max(1, min(KEEP_ALIVE_SECONDS, math.ceil(header_timeout))),
        "limit_concurrency": max_connections,
    }
