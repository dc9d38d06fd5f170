"""A gateway for the server's own event loop, opened and closed with the app's lifespan.

Only read receipts go through it (replies leave through the outbox); until the lifespan has
opened it, a call fails as retryable instead of blocking, and the caller logs it.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from crm_whatsapp.app.gateway_sessions import GatewayFactory
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.ports import MessagingGateway


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
        self, business_number_id: str, to: CustomerIdentity, template: TemplateMessage
    ) -> str:
        return await self._opened().send_template(business_number_id, to, template)

    async def mark_read(self, business_number_id: str, wamid: str) -> None:
        await self._opened().mark_read(business_number_id, wamid)
