"""The Starlette application: Meta's webhook, the CRM API, live events, health, OpenAPI."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Lifespan

from crm_whatsapp.adapters.http import schemas
from crm_whatsapp.adapters.http.body_limit import BodyLimitMiddleware
from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.adapters.http.conversations import (
    CLIENT_ID,
    CLIENT_SEARCH_PARAMS,
    CONVERSATION_ID,
    LIST_PARAMS,
    NUMBER,
    PAGE_PARAMS,
    STATISTICS_PARAMS,
    ConversationEndpoints,
)
from crm_whatsapp.adapters.http.errors import EXCEPTION_HANDLERS
from crm_whatsapp.adapters.http.health import HealthEndpoints
from crm_whatsapp.adapters.http.inbox import inbox_routes
from crm_whatsapp.adapters.http.live import EVENT_PARAMS, LiveEndpoints
from crm_whatsapp.adapters.http.openapi import build_openapi
from crm_whatsapp.adapters.http.operations import Operation, Param
from crm_whatsapp.adapters.http.webhook import WebhookEndpoints

API = "/api/v1/conversaciones-whatsapp"
ONE = API + "/{conversation_id}"
VERIFICATION_PARAMS = (
    Param("hub.mode", "always 'subscribe'"),
    Param("hub.verify_token", "the verify token set in Meta's app dashboard"),
    Param("hub.challenge", "echoed back on success"),
)


def operations(services: ApiContext) -> list[Operation]:
    """Every endpoint; fixed paths come before ``{conversation_id}`` so they are not ids."""
    hook = WebhookEndpoints(services)
    api = ConversationEndpoints(services)
    live = LiveEndpoints(services)
    health = HealthEndpoints(services)
    page = schemas.ConversationPage
    one = schemas.ConversationOut
    return [
        Operation("GET", "/webhook", hook.verify, "Meta's subscription check", "webhook",
                  {200: "text/plain"}, authenticated=False, query=VERIFICATION_PARAMS,
                  extra_statuses=(403,)),
        Operation("POST", "/webhook", hook.receive, "Meta delivers messages and statuses",
                  "webhook", {200: schemas.WebhookAck}, authenticated=False,
                  extra_statuses=(401, 413, 503),
                  description="Signed with X-Hub-Signature-256; 200 only once everything "
                  "in the body is stored (503 otherwise, so Meta retries)."),
        Operation("GET", API, api.list, "Conversations, newest activity first", "conversations",
                  {200: page}, query=LIST_PARAMS, extra_statuses=(503,)),
        Operation("GET", API + "/estadisticas", api.statistics, "Statistics for a date range",
                  "statistics", {200: schemas.StatisticsOut}, query=STATISTICS_PARAMS,
                  extra_statuses=(503,)),
        Operation("GET", API + "/eventos", live.stream, "Live updates (server-sent events)",
                  "live", {200: "text/event-stream"}, query=EVENT_PARAMS,
                  extra_statuses=(503,)),
        Operation("GET", API + "/cliente/{cliente_id}", api.by_client,
                  "Conversations of a CRM client", "conversations", {200: page},
                  path_params=CLIENT_ID, query=PAGE_PARAMS, extra_statuses=(503,)),
        Operation("GET", API + "/numero/{numero}", api.by_number,
                  "Conversations with a phone number (any format)", "conversations",
                  {200: page}, path_params=NUMBER, query=PAGE_PARAMS, extra_statuses=(503,)),
        Operation("GET", ONE, api.one, "One conversation", "conversations", {200: one},
                  path_params=CONVERSATION_ID, extra_statuses=(404, 503)),
        Operation("GET", ONE + "/mensajes", api.messages, "Messages, newest first",
                  "messages", {200: schemas.MessagePage}, path_params=CONVERSATION_ID,
                  query=PAGE_PARAMS, extra_statuses=(404, 503)),
        Operation("POST", ONE + "/mensajes", api.reply, "An agent replies (queued for sending)",
                  "messages", {201: schemas.MessageOut}, path_params=CONVERSATION_ID,
                  body=schemas.AgentReplyIn, extra_statuses=(404, 409, 503),
                  description="Free text only within 24 hours of the customer's last "
                  "message (409 outside_service_window); a template at any time."),
        Operation("PUT", ONE + "/cliente", api.link, "Link the customer to a CRM client",
                  "conversations", {200: one}, path_params=CONVERSATION_ID,
                  body=schemas.LinkClientIn, extra_statuses=(404, 503)),
        Operation("DELETE", ONE + "/cliente", api.unlink, "Unlink the customer's CRM client",
                  "conversations", {200: one}, path_params=CONVERSATION_ID,
                  extra_statuses=(404, 503)),
        Operation("POST", ONE + "/pausar-bot", api.pause_bot, "A person takes over",
                  "conversations", {200: one}, path_params=CONVERSATION_ID,
                  body=schemas.TakeOverIn, extra_statuses=(404, 503)),
        Operation("POST", ONE + "/reanudar-bot", api.resume_bot, "Give the conversation back "
                  "to the bot", "conversations", {200: one}, path_params=CONVERSATION_ID,
                  extra_statuses=(404, 503)),
        Operation("POST", ONE + "/leida", api.read, "Mark read (and send blue ticks)",
                  "conversations", {200: one}, path_params=CONVERSATION_ID,
                  extra_statuses=(404, 503)),
        Operation("GET", "/api/v1/clientes-crm", api.search_clients,
                  "CRM clients by id or name (to link a conversation)", "clients",
                  {200: schemas.ClientList}, query=CLIENT_SEARCH_PARAMS,
                  extra_statuses=(503,)),
        Operation("GET", "/health", health.health, "The process answers", "health",
                  {200: schemas.Status}, authenticated=False),
        Operation("GET", "/ready", health.ready, "The database answers", "health",
                  {200: schemas.Status, 503: schemas.Status}, authenticated=False),
    ]  # fmt: skip


def build_http_app(
    services: ApiContext,
    *,
    lifespan: Lifespan[Any] | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    debug: bool = False,
) -> Starlette:
    ops = operations(services)
    document = build_openapi(ops)

    async def openapi(request: Request) -> Response:
        root_path = request.scope.get("root_path", "")
        if not root_path:
            return JSONResponse(document)
        return JSONResponse({**document, "servers": [{"url": root_path}]})  # mounted

    routes: list[BaseRoute] = [
        Route(op.path, op.endpoint, methods=[op.method], name=_route_name(op)) for op in ops
    ]
    routes.append(Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False))
    routes.extend(extra_routes)
    routes.extend(inbox_routes())
    middleware = [Middleware(BodyLimitMiddleware, max_bytes=services.max_body_bytes)]
    if services.cors_origins:
        middleware.insert(
            0,
            Middleware(
                CORSMiddleware,
                allow_origins=list(services.cors_origins),
                allow_methods=["GET", "POST", "PUT", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
            ),
        )
    return Starlette(
        debug=debug,
        routes=routes,
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )


def _route_name(operation: Operation) -> str:
    return f"{operation.endpoint.__name__}_{operation.method.lower()}"
