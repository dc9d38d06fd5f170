"""``create_app``: the whole service as one ASGI app, built from settings and overrides."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette

from crm_whatsapp.adapters.events import LocalEventHub
from crm_whatsapp.adapters.http import ApiContext, build_http_app
from crm_whatsapp.app.container import build_container
from crm_whatsapp.app.graceful import end_streams_on_shutdown
from crm_whatsapp.app.log_redaction import redact_secrets_in_logs
from crm_whatsapp.app.service_lifespan import ServiceLifespan
from crm_whatsapp.app.settings import Settings


def create_app(
    settings: Settings | None = None, overrides: Mapping[Any, object] | None = None
) -> Starlette:
    """The service's ASGI app. ``overrides`` maps a port (``ClientLookup``, ``Database``,
    ``MessagingGateway``, ``Clock``, ``BotRules``...) to the object to use instead of the
    default built from settings; raises ``MissingSetting`` naming an unset secret.

    Mounted inside another app, its lifespan (tables, outbox, PostgreSQL listener) runs
    only if the host's lifespan enters ``app.router.lifespan_context(app)``: Starlette
    runs the outermost app's lifespan alone.
    """
    settings = settings if settings is not None else Settings()
    settings.require_secrets()
    redact_secrets_in_logs(settings.secret_values())
    container = build_container(settings, overrides)
    context: ApiContext = container.resolve(ApiContext)
    lifespan: ServiceLifespan = container.resolve(ServiceLifespan)
    end_streams_on_shutdown(container.resolve(LocalEventHub))
    app = build_http_app(context, lifespan=lifespan)
    app.state.container = container
    app.state.context = context
    return app


class ServiceFactory:
    """``create_app`` for given settings, picklable: ``serve --workers N`` hands it to each
    worker process, which builds its app from the same settings (not from the environment)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self) -> Starlette:
        return create_app(self.settings)
