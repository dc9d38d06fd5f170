"""Liveness (the process answers) and readiness (it can reach its database)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.domain.errors import CrmWhatsAppError
from crm_whatsapp.domain.queries import ConversationFilter


class HealthEndpoints:
    def __init__(self, services: ApiContext) -> None:
        self._s = services

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok", "detail": None})

    async def ready(self, request: Request) -> Response:
        try:
            await run_in_threadpool(self._s.queries.conversations, ConversationFilter(), 1)
        except CrmWhatsAppError as exc:
            return JSONResponse(
                {"status": "unavailable", "detail": f"database: {exc}"},
                status_code=503,
                headers={"Retry-After": "5"},
            )
        return JSONResponse({"status": "ok", "detail": None})
