"""The Starlette application: every ``Operation`` of the table as a route, plus the inbox's
files and ``/openapi.json``, with the body limit and (optionally) CORS in front."""

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

from crm_whatsapp.adapters.http.body_limit import BodyLimitMiddleware
from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.adapters.http.endpoint import endpoint_for
from crm_whatsapp.adapters.http.errors import EXCEPTION_HANDLERS
from crm_whatsapp.adapters.http.inbox import inbox_routes
from crm_whatsapp.adapters.http.openapi import build_openapi
from crm_whatsapp.adapters.http.routes import OPERATIONS
from crm_whatsapp.adapters.http.webhook_fast_path import WebhookFastPath


def build_http_app(
    context: ApiContext,
    *,
    lifespan: Lifespan[Any] | None = None,
    extra_routes: Sequence[BaseRoute] = (),
    debug: bool = False,
) -> Starlette:
    document = build_openapi(OPERATIONS)

    async def openapi(request: Request) -> Response:
        root_path = request.scope.get("root_path", "")
        if not root_path:
            return JSONResponse(document)
        return JSONResponse({**document, "servers": [{"url": root_path}]})  # mounted

    routes: list[BaseRoute] = [
        Route(op.path, endpoint_for(op, context), methods=[op.method], name=op.name)
        for op in OPERATIONS
    ]
    routes.append(Route("/openapi.json", openapi, methods=["GET"], include_in_schema=False))
    routes.extend(extra_routes)
    routes.extend(inbox_routes())
    middleware = [
        Middleware(WebhookFastPath, context=context),
        Middleware(
            BodyLimitMiddleware,
            max_bytes=context.max_body_bytes,
            upload_max_bytes=context.upload_max_bytes,
        ),
    ]
    if context.cors_origins:
        middleware.insert(
            1,
            Middleware(
                CORSMiddleware,
                allow_origins=list(context.cors_origins),
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
