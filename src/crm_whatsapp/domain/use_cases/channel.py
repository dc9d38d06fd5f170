"""Webhook items other than customers' messages and statuses: marketing preferences and
messages the business sent from the WhatsApp Business app.

Each function works inside the caller's unit of work (the batch processor's savepoint) and
returns the events to publish once it is committed.
"""

from __future__ import annotations

from datetime import datetime

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import Delivery, DeliveryStatus
from crm_whatsapp.domain.events import ConversationChanged, Event, MessageStored
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.ingest import MarketingChoice, MessageEcho, PreferenceUpdate, bounded_time
from crm_whatsapp.domain.message import Author, Direction, Message
from crm_whatsapp.domain.ports import UnitOfWork
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.inbound import OUT_OF_RANGE_DETAIL


def store_preference(
    uow: UnitOfWork, deps: Dependencies, update: PreferenceUpdate, received_at: datetime
) -> list[Event]:
    """Keep the customer's marketing choice, with its time, on their conversation.

    A customer we never talked to gets a conversation: the choice must hold when the CRM
    first writes to them.
    """
    conversation = _conversation_of(
        uow, deps, update.business_number_id, update.customer, received_at
    )
    at = bounded_time(update.at, received_at) or received_at
    opt_out = update.choice is MarketingChoice.STOP
    after = conversation.with_marketing_preference(opt_out, at)
    if after == conversation:
        return []
    uow.conversations.save(after)
    return [ConversationChanged(after.id)]


def store_echo(
    uow: UnitOfWork, deps: Dependencies, echo: MessageEcho, received_at: datetime
) -> list[Event]:
    """The business's own message, as outbound by the phone app; the bot steps aside.

    Meta has already sent it, so it is stored as sent and never queued; a second delivery
    of the same echo (same wamid) stores nothing.
    """
    repo = uow.conversations
    conversation = _conversation_of(uow, deps, echo.business_number_id, echo.customer, received_at)
    sent_at = bounded_time(echo.timestamp, received_at)
    details = dict(echo.details)
    if sent_at is None:
        sent_at = received_at
        details[OUT_OF_RANGE_DETAIL] = echo.timestamp.isoformat()
    message = Message(
        id=deps.ids.new_id(),
        conversation_id=conversation.id,
        direction=Direction.OUTBOUND,
        kind=echo.kind,
        created_at=received_at,
        author=Author.phone_app(),
        text=echo.text,
        wamid=echo.wamid,
        whatsapp_timestamp=sent_at,
        media_id=echo.media_id,
        details=details,
        raw=echo.raw,
        delivery=Delivery().advance(DeliveryStatus.SENT, sent_at),
    )
    if not repo.add_inbound(message):  # the wamid is known: a redelivery
        return []
    after = conversation.with_outbound(message)
    if not after.bot_paused:
        after = after.handed_off()
    repo.save(after)
    return [MessageStored(after.id, message.id), ConversationChanged(after.id)]


def _conversation_of(
    uow: UnitOfWork,
    deps: Dependencies,
    business_number_id: str,
    customer: CustomerIdentity,
    now: datetime,
) -> Conversation:
    started = Conversation.start(deps.ids.new_id(), business_number_id, customer, now)
    return uow.conversations.get_or_start(started)
