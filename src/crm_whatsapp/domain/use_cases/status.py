"""Record Meta's status reports on our messages: forward only, none lost to a race."""

from __future__ import annotations

import enum

from crm_whatsapp.domain.delivery import StatusUpdate
from crm_whatsapp.domain.events import DeliveryStatusChanged
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.use_cases.dependencies import Dependencies


class StatusOutcome(enum.Enum):
    APPLIED = "applied"
    STALE = "stale"
    """Older than what we know (a ``delivered`` after ``read``): nothing changed."""
    PARKED = "parked"
    """For a wamid we do not know yet: kept, and applied once our send is recorded."""


def record_status_update(deps: Dependencies, update: StatusUpdate) -> StatusOutcome:
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        message = repo.message_by_wamid(update.wamid)
        if message is None:
            repo.park_status(update)
            uow.commit()
            return StatusOutcome.PARKED
        updated = apply_status(message, update)
        if updated == message:
            return StatusOutcome.STALE
        repo.update_message(updated)
        uow.commit()
    status = updated.delivery_status
    if status is not None:
        deps.events.publish([DeliveryStatusChanged(updated.conversation_id, updated.id, status)])
    return StatusOutcome.APPLIED


def apply_status(message: Message, update: StatusUpdate) -> Message:
    """The message after a status report; itself if the report is stale or not about a send."""
    if message.delivery is None:
        return message
    delivery = message.delivery.advance(update.status, update.timestamp, update.failure)
    return message if delivery == message.delivery else message.with_delivery(delivery)
