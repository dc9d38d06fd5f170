"""Plain builders for examples and tests: a customer's text message in one line."""

from __future__ import annotations

import itertools
from datetime import datetime

from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import IncomingMessage, MessageKind

DEFAULT_BUSINESS_NUMBER_ID = "106540352242922"
_serial = itertools.count(1)


def text_from(
    wa_id: str,
    text: str,
    at: datetime,
    *,
    wamid: str | None = None,
    business_number_id: str = DEFAULT_BUSINESS_NUMBER_ID,
    profile_name: str | None = None,
) -> IncomingMessage:
    """A text message from the customer with this wa_id, sent at ``at``.

    Each call gets a fresh wamid unless one is given (give the same one to simulate Meta
    delivering the same message twice).
    """
    return IncomingMessage(
        business_number_id=business_number_id,
        customer=CustomerIdentity.from_wa_id(wa_id),
        wamid=wamid or f"wamid.test.{next(_serial)}",
        kind=MessageKind.TEXT,
        timestamp=at,
        text=text,
        profile_name=profile_name,
    )
