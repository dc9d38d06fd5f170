"""Refuse oversize request bodies before reading them into memory (413, JSON error body).

``Content-Length`` is checked first; a chunked body is counted as it streams, so a client
that lies about (or omits) its length is stopped at the limit too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_whatsapp.adapters.http.errors import ApiError, render_api_error


class BodyTooLarge(ApiError):
    """Raised while the endpoint reads the body; the error table answers the 413, here or
    (when the endpoint is already reading) in the app's handler."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            413,
            "payload_too_large",
            f"the request body is larger than {max_bytes} bytes",
            {"Connection": "close"},
        )


MULTIPART_OVERHEAD = 64 * 1024
"""Room for a multipart body's boundaries and form fields beside the file itself."""


class BodyLimitMiddleware:
    """``upload_max_bytes`` is the limit of multipart bodies (an agent's file); every other
    body gets ``max_bytes``, which stays small (webhooks and JSON)."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.upload_max_bytes = (
            max_bytes if upload_max_bytes is None else upload_max_bytes + MULTIPART_OVERHEAD
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        content_type = headers.get(b"content-type", b"").lower()
        limit = (
            self.upload_max_bytes
            if content_type.startswith(b"multipart/form-data")
            else self.max_bytes
        )
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > limit
            except ValueError:
                too_big = False
            if too_big:
                await self._refuse(send, limit)
                return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        response = render_api_error(BodyTooLarge(limit))
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": response.raw_headers,
            }
        )
        await send({"type": "http.response.body", "body": response.body})
