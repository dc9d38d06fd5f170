"""Liveness (the process answers) and readiness (it can reach its database).

Both answer anyone, so they say nothing but their status: why the service is not ready
(a database host, a driver's message) goes to the log, and how far behind ingest is goes
to operators with a token (``GET /api/v1/salud-canal``).
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse, Response

from crm_whatsapp.adapters.http import schemas
from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.domain.errors import CrmWhatsAppError
from crm_whatsapp.domain.queries import ConversationFilter

logger = logging.getLogger("crm_whatsapp.http")


async def health(context: ApiContext, call: Call) -> schemas.Status:
    """On the event loop: liveness must answer even when every worker thread is busy."""
    return schemas.Status(status="ok")


def ready(context: ApiContext, call: Call) -> schemas.Readiness | Response:
    """The database answers: ``{"status": "ready"}``, else 503 ``{"status": "unavailable"}``."""
    try:
        context.queries.conversations(ConversationFilter(), 1)
    except CrmWhatsAppError as exc:
        # the adapters' messages never hold a password; the log filter scrubs secrets too
        logger.warning("not ready: the database does not answer: %s", exc)
        return JSONResponse(
            schemas.Readiness(status="unavailable").model_dump(),
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return schemas.Readiness(status="ready")
