"""Operators' view of ingest: the quarantine and the channel's health."""

from __future__ import annotations

from datetime import timedelta

from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.ingest_schemas import (
    ChannelHealthOut,
    QuarantinePage,
    channel_health_out,
    quarantined_out,
)
from crm_whatsapp.domain.errors import InvalidQueryParameter, StorageUnavailable
from crm_whatsapp.domain.ingest import QuarantineState
from crm_whatsapp.domain.ports import IngestQueries

HEALTH_WINDOW = timedelta(hours=24)
_STATES = {
    "abiertas": QuarantineState.OPEN,
    "reprocesadas": QuarantineState.REPLAYED,
    "todas": None,
}


def quarantine(context: ApiContext, call: Call) -> QuarantinePage:
    wanted = call.text("estado") or "abiertas"
    if wanted not in _STATES:
        raise InvalidQueryParameter("estado", "must be abiertas, reprocesadas or todas")
    page = _ingest(context).quarantine(_STATES[wanted], call.integer("limit"), call.text("cursor"))
    return QuarantinePage(
        items=[quarantined_out(entry) for entry in page.items], next_cursor=page.next_cursor
    )


def channel_health(context: ApiContext, call: Call) -> ChannelHealthOut:
    now = context.deps.clock.now()
    return channel_health_out(_ingest(context).health(now - HEALTH_WINDOW), now)


def _ingest(context: ApiContext) -> IngestQueries:
    if context.ingest is None:
        raise StorageUnavailable("ingest queries are not configured")
    return context.ingest
