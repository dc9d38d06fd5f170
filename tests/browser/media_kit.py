"""The service with files, for the browser tests of media: the real app (``create_app``, the
demo's settings and CRM table, SQLite, files in a folder) under uvicorn on loopback, in this
process, so a test can hold customers' files where the service fetches them: an in-memory
Graph API (``InMemoryMessagingGateway.add_media``), scripted per media id.

Customers' files arrive as Meta sends them: a signed webhook names a media id, the service
stores the message, then fetches the file in its outbox thread and tells the page with a
``media_status_changed`` live event.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from browser_kit import API, ServiceClient, new_wa_id, prepared_demo_settings

from crm_whatsapp.adapters.memory.gateway import InMemoryMediaDownload, InMemoryMessagingGateway
from crm_whatsapp.adapters.whatsapp.fake_graph_api.runner import running_asgi_app
from crm_whatsapp.app.asgi import create_app
from crm_whatsapp.app.demo_data import message_webhook_body
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.ports import MessagingGateway
from polling import wait_until

MAX_FILE_BYTES = 2 * 1024 * 1024
"""The service's largest file here (``CRM_WHATSAPP_MEDIA_MAX_BYTES``): a 413 is cheap to get."""


class ScriptedGateway(InMemoryMessagingGateway):
    """The in-memory Graph API, plus media ids Meta does not answer for (a retryable
    failure, so their files stay pending while the service waits to try again)."""

    def __init__(self) -> None:
        super().__init__()
        self.unreachable: set[str] = set()

    def download_media(
        self, business_number_id: str, media_id: str
    ) -> AbstractAsyncContextManager[InMemoryMediaDownload]:
        if media_id in self.unreachable:
            return _not_answering(media_id)
        return super().download_media(business_number_id, media_id)


@asynccontextmanager
async def _not_answering(media_id: str) -> AsyncIterator[InMemoryMediaDownload]:
    raise GatewayError(f"Meta did not answer for {media_id} (a test)", retryable=True)
    yield  # pragma: no cover - never reached: an async generator needs a yield


@dataclass
class MediaService(ServiceClient):
    gateway: ScriptedGateway

    def post_webhook(
        self, part: dict[str, Any], wa_id: str, name: str | None = None, ago: int = 0
    ) -> str:
        """One customer message as Meta sends it, sent ``ago`` seconds ago; its wamid."""
        return self.customer_writes(
            wa_id, part, profile_name=name, timestamp=int(time.time()) - ago
        )

    def post_many(self, wa_id: str, texts: list[str]) -> None:
        """Several texts of one customer in one webhook (as Meta may send them), a second
        apart, the last one now."""
        parts = [{"type": "text", "text": {"body": text}} for text in texts]
        start = int(time.time()) - len(parts)
        body = message_webhook_body(
            wa_id=wa_id, profile_name=None, wamid=self.next_id("wamid.many"), timestamp=start,
            part=parts[0],
        )  # fmt: skip
        value = body["entry"][0]["changes"][0]["value"]
        for index, part in enumerate(parts[1:], start=1):
            value["messages"].append(
                {"from": wa_id, "id": self.next_id("wamid.many"),
                 "timestamp": str(start + index), **part}
            )  # fmt: skip
        self.post_signed(body)

    def customer_sends_file(
        self,
        wa_id: str,
        kind: str,
        content: bytes | None,
        mime_type: str,
        *,
        caption: str | None = None,
        filename: str | None = None,
        voice: bool | None = None,
        reachable: bool = True,
        ago: int = 0,
    ) -> tuple[str, str]:
        """A customer's file: Meta holds ``content`` (None: Meta knows no such file) under a
        new media id; ``reachable=False``: Meta does not answer for it. (wamid, media id)"""
        media_id = self.next_id("media")
        if content is not None:
            self.gateway.add_media(media_id, content, mime_type)
        if not reachable:
            self.gateway.unreachable.add(media_id)
        about: dict[str, Any] = {"id": media_id, "mime_type": mime_type}
        if caption is not None:
            about["caption"] = caption
        if filename is not None:
            about["filename"] = filename
        if voice is not None:
            about["voice"] = voice
        wamid = self.post_webhook({"type": kind, kind: about}, wa_id, name="Archivos", ago=ago)
        return wamid, media_id

    def new_customer(self, text: str = "Hola, les mando unos archivos") -> tuple[str, str]:
        """A customer who just wrote: (wa_id, conversation id)."""
        wa_id = new_wa_id()
        self.post_webhook({"type": "text", "text": {"body": text}}, wa_id, name="Archivos")
        return wa_id, self.conversation_of(wa_id)["id"]

    def pause_bot(self, conversation_id: str) -> None:
        """An agent takes over: the bot stops answering (a chat of the customer's own)."""
        answer = self.http.post(f"{API}/{conversation_id}/pausar-bot", json={"agent": "Ana"})
        answer.raise_for_status()

    def message(self, conversation_id: str, wamid: str) -> dict[str, Any] | None:
        return next((m for m in self.messages(conversation_id) if m["wamid"] == wamid), None)

    def media_settled(
        self, conversation_id: str, wamid: str, status: str = "stored"
    ) -> dict[str, Any]:
        """The message once its file reached ``status`` (waits for the fetch)."""

        def reached() -> dict[str, Any] | None:
            message = self.message(conversation_id, wamid)
            media = (message or {}).get("media") or {}
            return message if media.get("status") == status else None

        return wait_until(reached, timeout=20, what=f"the file of {wamid} {status}")


@contextmanager
def running_media_service(link_seconds: int = 900) -> Iterator[MediaService]:
    """The service, its files' signed links valid ``link_seconds`` (10 at least)."""
    with tempfile.TemporaryDirectory(prefix="crm-whatsapp-media-browser-") as folder:
        settings = prepared_demo_settings(
            Path(folder),
            "http://127.0.0.1:9",  # unused: the gateway below stands in for Meta
            media_max_bytes=MAX_FILE_BYTES,
            media_link_seconds=link_seconds,
        )
        gateway = ScriptedGateway()
        app = create_app(settings, overrides={MessagingGateway: gateway})
        with running_asgi_app(app) as base_url:
            service = MediaService(base_url, gateway)
            try:
                yield service
            finally:
                service.close()
