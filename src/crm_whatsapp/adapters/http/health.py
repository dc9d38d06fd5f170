"""Liveness (the process answers) and readiness (it can reach its database)."""

from __future__ import annotations

from starlette.responses import JSONResponse, Response

from crm_whatsapp.adapters.http import schemas
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.domain.errors import CrmWhatsAppError
from crm_whatsapp.domain.queries import ConversationFilter


async def health(context: ApiContext, call: Call) -> schemas.Status:
    """On the event loop: liveness must answer even when every worker thread is busy."""
    return schemas.Status(status="ok")


def ready(context: ApiContext, call: Call) -> schemas.Status | Response:
    """The database answers; for operators, how far behind ingest is and what waits in
    the quarantine (counts only)."""
    try:
        context.queries.conversations(ConversationFilter(), 1)
        ingest = None
        if context.ingest is not None:
            health = context.ingest.health(context.deps.clock.now())
            ingest = schemas.IngestStatus(
                pending_deliveries=health.pending_deliveries,
                quarantine_open=health.quarantine_open,
            )
    except CrmWhatsAppError as exc:
        return JSONResponse(
            {"status": "unavailable", "detail": f"database: {exc}"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return schemas.Status(status="ok", ingest=ingest)
