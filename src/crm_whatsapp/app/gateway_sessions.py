"""How each event loop that sends gets its ``MessagingGateway``.

Several event loops send: the server's (read receipts), the in-process outbox thread's, a
separate worker's. An httpx client belongs to the loop it first ran on, so the default
gateway, ``GraphApiSessions``, opens a Graph API client per session; any other gateway (a
host's own, a test's fake) is shared by every session as it is and stays its owner's to
close.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiGateway, GraphApiSettings
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.message import MessageKind, TemplateMessage
from crm_whatsapp.domain.ports import MediaDownload, MessagingGateway
from crm_whatsapp.domain.template_ports import FetchedCatalogue

GatewayFactory = Callable[[], AbstractAsyncContextManager[MessagingGateway]]
"""Opens a gateway for the running event loop, closed when the ``async with`` ends."""


class GraphApiSessions:
    """The Graph API as a ``MessagingGateway`` for any event loop.

    ``session()`` is a ``GraphApiGateway`` with a connection pool of its own, for one loop;
    a call made on this object directly opens a client for that one call.
    """

    def __init__(self, settings: GraphApiSettings) -> None:
        self._settings = settings

    def __repr__(self) -> str:
        return (
            f"GraphApiSessions(base_url={self._settings.base_url!r}, "
            f"api_version={self._settings.api_version!r})"
        )

    def session(self) -> GraphApiGateway:
        return GraphApiGateway(self._settings)

    async def send_text(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        text: str,
        *,
        reply_to_wamid: str | None = None,
        preview_url: bool = False,
    ) -> str:
        async with self.session() as gateway:
            return await gateway.send_text(
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
        async with self.session() as gateway:
            return await gateway.send_template(
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
        async with self.session() as gateway:
            return await gateway.send_interactive(
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
        async with self.session() as gateway:
            return await gateway.send_media(
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
        async with self.session() as gateway:
            return await gateway.upload_media(business_number_id, content, mime_type, filename)

    @asynccontextmanager
    async def download_media(
        self, business_number_id: str, media_id: str
    ) -> AsyncIterator[MediaDownload]:
        async with (
            self.session() as gateway,
            gateway.download_media(business_number_id, media_id) as download,
        ):
            yield download

    async def mark_read(self, business_number_id: str, wamid: str) -> None:
        async with self.session() as gateway:
            await gateway.mark_read(business_number_id, wamid)

    async def fetch_templates(self, waba_id: str) -> FetchedCatalogue:
        """The ``TemplateSource`` port, on a client of the calling loop."""
        async with self.session() as gateway:
            return await gateway.fetch_templates(waba_id)


def gateway_sessions(gateway: MessagingGateway) -> GatewayFactory:
    """A session per loop of the Graph API default; the same object for any other gateway."""
    if isinstance(gateway, GraphApiSessions):
        return gateway.session

    @asynccontextmanager
    async def shared() -> AsyncIterator[MessagingGateway]:
        yield gateway

    return shared
