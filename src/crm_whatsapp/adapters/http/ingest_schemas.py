"""The JSON of ingest: the webhook's acknowledgement, the quarantine and channel health."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_whatsapp.domain.ingest import ChannelHealth, QuarantineEntry, StoredChannelEvent


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class WebhookAck(_Out):
    received: bool = Field(
        description="true: the body is stored durably; it is read and applied right after"
    )
    delivery_id: int = Field(description="the stored delivery, as the processor logs it")


class QuarantinedOut(_Out):
    id: str
    delivery_id: int | None = Field(description="the delivery it came from")
    location: str = Field(description="its place in the body (entry[0].changes[0]...)")
    reason: str
    raw: str = Field(description="the item's JSON as Meta sent it")
    field: str | None = Field(description="the webhook field of its change")
    business_number_id: str | None
    received_at: datetime
    state: Literal["open", "replayed"]
    attempts: int = Field(description="replays tried")
    replayed_at: datetime | None


class QuarantinePage(_Out):
    items: list[QuarantinedOut]
    next_cursor: str | None


class ChannelEventOut(_Out):
    id: str
    field: str
    kind: Literal["template", "account", "quality", "webhook_error", "unknown_status", "other"]
    summary: str
    account_id: str | None
    business_number_id: str | None
    received_at: datetime


class ChannelHealthOut(_Out):
    pending_deliveries: int = Field(description="stored bodies not read yet (the backlog)")
    oldest_pending_at: datetime | None
    oldest_pending_seconds: float | None = Field(
        description="how long the oldest unread body has waited, by the server's clock"
    )
    quarantine_open: int = Field(description="items waiting in GET /api/v1/entregas-fallidas")
    events_by_kind: dict[str, int] = Field(description="channel events in the last 24 hours")
    other_fields: dict[str, int] = Field(
        description="webhook fields we do not handle, in the last 24 hours, by name"
    )
    latest_alerts: list[ChannelEventOut]


def quarantined_out(entry: QuarantineEntry) -> QuarantinedOut:
    return QuarantinedOut(
        id=entry.id,
        delivery_id=entry.delivery_id,
        location=entry.location,
        reason=entry.reason,
        raw=entry.raw,
        field=entry.field,
        business_number_id=entry.business_number_id,
        received_at=entry.created_at,
        state=entry.state.value,
        attempts=entry.attempts,
        replayed_at=entry.replayed_at,
    )


def channel_event_out(stored: StoredChannelEvent) -> ChannelEventOut:
    event = stored.event
    return ChannelEventOut(
        id=stored.id,
        field=event.field,
        kind=event.kind.value,
        summary=event.summary,
        account_id=event.account_id,
        business_number_id=event.business_number_id,
        received_at=stored.received_at,
    )


def channel_health_out(health: ChannelHealth, now: datetime) -> ChannelHealthOut:
    oldest = health.oldest_pending_at
    return ChannelHealthOut(
        pending_deliveries=health.pending_deliveries,
        oldest_pending_at=oldest,
        oldest_pending_seconds=None if oldest is None else max(0.0, (now - oldest).total_seconds()),
        quarantine_open=health.quarantine_open,
        events_by_kind=dict(health.events_by_kind),
        other_fields=dict(health.other_fields),
        latest_alerts=[channel_event_out(event) for event in health.latest_alerts],
    )
