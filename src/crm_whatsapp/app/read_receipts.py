"""A gateway for the server's own event loop, opened and closed with the app's lifespan.

Read receipts go through it (replies leave through the outbox), and whatever else the
server does with Meta on its own loop; until the lifespan has opened it, a call fails as
retryable instead of blocking, and the caller logs it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from crm_whatsapp.app.gateway_sessions import GatewayFactory
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.message import MessageKind, TemplateMessage
from crm_whatsapp.domain.ports import MediaDownload, MessagingGateway


class LifespanGateway:
    def __init__(self, gateways: GatewayFactory) -> None:
        self._gateways = gateways
        self._stack: AsyncExitStack | None = None
        self._gateway: MessagingGateway | None = None

    async def open(self) -> None:
        self._stack = AsyncExitStack()
        self._gateway = await self._stack.enter_async_context(self._gateways())

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self._gateway = None, None

    def _opened(self) -> MessagingGateway:
        if self._gateway is None:
            raise GatewayError(
                "the gateway is not open (server starting or stopping)", retryable=True
            )
        return self._gateway

    async def send_text(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        text: str,
        *,
        reply_to_wamid: str | None = None,
        preview_url: bool = False,
    ) -> str:
        return await self._opened().send_text(
            business_number_id, to, text, reply_to_wamid=reply_to_wamid, preview_url=preview_url
        )

    async def send_template(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        template: TemplateMessage,
        *,
        header_media_id: str | None = None,
        header_filename: str | None = None,
    ) -> str:
        return await self._opened().send_template(
            business_number_id,
            to,
            template,
            header_media_id=header_media_id,
            header_filename=header_filename,
        )

    async def send_interactive(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        content: InteractiveContent,
        *,
        reply_to_wamid: str | None = None,
    ) -> str:
        return await self._opened().send_interactive(
            business_number_id, to, content, reply_to_wamid=reply_to_wamid
        )

    async def send_media(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        kind: MessageKind,
        media_id: str,
        *,
        caption: str | None = None,
        filename: str | None = None,
        voice: bool = False,
        reply_to_wamid: str | None = None,
    ) -> str:
        return await self._opened().send_media(
            business_number_id,
            to,
            kind,
            media_id,
            caption=caption,
            filename=filename,
            voice=voice,
            reply_to_wamid=reply_to_wamid,
        )

    async def upload_media(
        self, business_number_id: str, content: bytes, mime_type: str, filename: str
    ) -> str:
        return await self._opened().upload_media(business_number_id, content, mime_type, filename)

    @asynccontextmanager
    async def download_media(
        self, business_number_id: str, media_id: str
    ) -> AsyncIterator[MediaDownload]:
        async with self._opened().download_media(business_number_id, media_id) as download:
            yield download

    async def mark_read(self, business_number_id: str, wamid: str) -> None:
        await self._opened().mark_read(business_number_id, wamid)
