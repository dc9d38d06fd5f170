"""Record Meta's status reports on our messages: forward only, none lost to a race."""

from __future__ import annotations

import enum
from dataclasses import replace
from datetime import datetime

from crm_whatsapp.domain.delivery import StatusUpdate
from crm_whatsapp.domain.events import DeliveryStatusChanged, Event
from crm_whatsapp.domain.ingest import bounded_time
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.ports import UnitOfWork
from crm_whatsapp.domain.use_cases.dependencies import Dependencies


class StatusOutcome(enum.Enum):
    APPLIED = "applied"
    STALE = "stale"
    """Older than what we know (a ``delivered`` after ``read``): nothing changed."""
    PARKED = "parked"
    """For a wamid we do not know yet: kept, and applied once our send is recorded."""


def record_status_update(deps: Dependencies, update: StatusUpdate) -> StatusOutcome:
    with deps.unit_of_work() as uow:
        outcome, events = store_status_update(uow, update, deps.clock.now())
        if outcome is StatusOutcome.STALE:
            return outcome
        uow.commit()
    deps.events.publish(events)
    return outcome


def store_status_update(
    uow: UnitOfWork, update: StatusUpdate, received_at: datetime
) -> tuple[StatusOutcome, list[Event]]:
    """The report applied in ``uow`` (not committed), and what to announce after commit.

    An implausible time (see ``bounded_time``) is replaced by the receipt time.
    """
    if bounded_time(update.timestamp, received_at) is None:
        update = replace(update, timestamp=received_at)
    repo = uow.conversations
    message = repo.message_by_wamid(update.wamid)
    if message is None:
        repo.park_status(update)
        return StatusOutcome.PARKED, []
    updated = apply_status(message, update)
    if updated == message:
        return StatusOutcome.STALE, []
    repo.update_message(updated)
    status = updated.delivery_status
    if status is None:
        return StatusOutcome.APPLIED, []
    return StatusOutcome.APPLIED, [
        DeliveryStatusChanged(updated.conversation_id, updated.id, status)
    ]


def apply_status(message: Message, update: StatusUpdate) -> Message:
    """The message after a status report; itself if the report is stale or not about a send."""
    if message.delivery is None:
        return message
    delivery = message.delivery.advance(update.status, update.timestamp, update.failure)
    return message if delivery == message.delivery else message.with_delivery(delivery)
