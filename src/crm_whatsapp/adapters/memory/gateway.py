"""A MessagingGateway that records what it would have sent, and fails when told to."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import TemplateMessage


@dataclass(frozen=True, slots=True)
class SentMessage:
    business_number_id: str
    to: CustomerIdentity
    wamid: str
    text: str | None = None
    template: TemplateMessage | None = None
    reply_to_wamid: str | None = None


class InMemoryMessagingGateway:
    """Test double for the Graph API: ``sent`` lists every accepted message in order.

    ``fail_next(error, times)`` queues errors that the next sends raise, before any
    succeeds; ``read_receipts`` lists the wamids marked as read. ``before_send``, if
    given, is awaited with each message before it is accepted: it may take its time (Meta's
    latency, a hang) or raise a ``GatewayError`` (a throttle for one customer), which is
    how tests script the Graph API's behaviour per send without a subclass.
    """

    def __init__(
        self,
        wamid_prefix: str = "wamid.fake.",
        *,
        before_send: Callable[[SentMessage], Awaitable[None]] | None = None,
    ) -> None:
        self.sent: list[SentMessage] = []
        self._before_send = before_send
        self.read_receipts: list[str] = []
        self._failures: deque[GatewayError] = deque()
        self._numbers = itertools.count(1)
        self._prefix = wamid_prefix

    def fail_next(self, error: GatewayError, times: int = 1) -> None:
        self._failures.extend([error] * times)

    async def send_text(
        self,
        business_number_id: str,
        to: CustomerIdentity,
        text: str,
        *,
        reply_to_wamid: str | None = None,
        preview_url: bool = False,
    ) -> str:
        message = SentMessage(business_number_id, to, "", text=text, reply_to_wamid=reply_to_wamid)
        if self._before_send is not None:
            await self._before_send(message)
        return self._accept(message)

    async def send_template(
        self, business_number_id: str, to: CustomerIdentity, template: TemplateMessage
    ) -> str:
        message = SentMessage(business_number_id, to, "", template=template)
        if self._before_send is not None:
            await self._before_send(message)
        return self._accept(message)

    async def mark_read(self, business_number_id: str, wamid: str) -> None:
        self._raise_queued_failure()
        self.read_receipts.append(wamid)

    def _accept(self, message: SentMessage) -> str:
        self._raise_queued_failure()
        wamid = f"{self._prefix}{next(self._numbers)}"
        self.sent.append(
            SentMessage(
                message.business_number_id,
                message.to,
                wamid,
                message.text,
                message.template,
                message.reply_to_wamid,
            )
        )
        return wamid

    def _raise_queued_failure(self) -> None:
        if self._failures:
            raise self._failures.popleft()
