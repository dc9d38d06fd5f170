"""``POST /webhook`` straight to the journal, in front of the router.

Meta's deliveries are most of the traffic (every outbound message comes back as three
status webhooks), and since the webhook only checks and stores the body, the framework
around it was much of its cost: measured with wrk (32 connections, 8 s, the processor in
another process, SQLite) on 2 cores, one after the other, the journal behind the full
middleware stack and router took 4,820 requests/s, behind this 8,057. So the deliveries
skip the body-limit middleware, the exception middleware and the router, and do what those
would: the same size limit (413), the same error bodies and statuses from the same table
(``errors.py``), 503 with ``Retry-After`` when storage fails. The operation table still
declares the endpoint (the OpenAPI document, the contract tests); its handler and this path
share ``store_delivery``.
"""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.adapters.http.errors import error_response, status_of
from crm_whatsapp.adapters.http.webhook import store_delivery
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, PayloadTooLarge
from crm_whatsapp.domain.errors import CrmWhatsAppError

logger = logging.getLogger("crm_whatsapp.http")

WEBHOOK_PATH = "/webhook"
_SIGNATURE = SIGNATURE_HEADER.lower().encode("latin-1")
_JSON_HEADERS = [(b"content-type", b"application/json")]


class WebhookFastPath:
    def __init__(self, app: ASGIApp, context: ApiContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _is_webhook(scope):
            await self.app(scope, receive, send)
            return
        limit = self.context.max_body_bytes
        signature: str | None = None
        declared: bytes | None = None
        for name, value in scope["headers"]:
            if name == _SIGNATURE:
                signature = value.decode("latin-1")
            elif name == b"content-length":
                declared = value
        try:
            if declared is not None and declared.isdigit() and int(declared) > limit:
                raise PayloadTooLarge(int(declared), limit)
            body = await _read_body(receive, limit)
            ack = await store_delivery(self.context, body, signature)
        except CrmWhatsAppError as exc:
            await _send_error(send, exc, scope)
            return
        payload = json.dumps(ack.model_dump(), separators=(",", ":")).encode()
        await _send(send, 200, payload)


def _is_webhook(scope: Scope) -> bool:
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path == WEBHOOK_PATH


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(size, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_error(send: Send, exc: CrmWhatsAppError, scope: Scope) -> None:
    status = status_of(exc)
    if status >= 500:
        logger.warning("POST %s: %s", scope["path"], exc)
    headers = {"Retry-After": "5"} if status == 503 else None
    if isinstance(exc, PayloadTooLarge):
        headers = {"Connection": "close"}
    response = error_response(status, getattr(exc, "code", "error"), str(exc), headers)
    await send({"type": "http.response.start", "status": status, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


async def _send(send: Send, status: int, payload: bytes) -> None:
    headers = [*_JSON_HEADERS, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
