"""``create_app``: the whole service as one ASGI app, built from settings and overrides.

The lifespan brings up, in order: the database tables (migrations, unless turned off),
the PostgreSQL event listener (several processes share live events), the gateway for read
receipts, and the in-process outbox worker; it takes them down in reverse.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from crm_whatsapp.adapters.events import LocalEventHub, PostgresEventListener
from crm_whatsapp.adapters.http import ApiContext, BearerTokens, build_http_app
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.app.container import GatewayFactory, build_container
from crm_whatsapp.app.graceful import end_streams_on_shutdown
from crm_whatsapp.app.log_redaction import redact_secrets_in_logs
from crm_whatsapp.app.outbox_thread import OutboxThread
from crm_whatsapp.app.read_receipts import LifespanGateway
from crm_whatsapp.app.settings import Settings
from crm_whatsapp.domain.events import Event, MessageStored
from crm_whatsapp.domain.ports import ConversationQueries
from crm_whatsapp.domain.use_cases import Dependencies, RetryPolicy

logger = logging.getLogger("crm_whatsapp")


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
    deps: Dependencies = container.resolve(Dependencies)
    database: Database = container.resolve(Database)
    owns_database = Database not in (overrides or {})  # an override is its owner's to close
    hub: LocalEventHub = container.resolve(LocalEventHub)
    end_streams_on_shutdown(hub)
    gateways: GatewayFactory = container.resolve(GatewayFactory)
    read_receipts = LifespanGateway(gateways)
    context = ApiContext(
        deps=deps,
        queries=container.resolve(ConversationQueries),
        tokens=BearerTokens(t.get_secret_value() for t in settings.api_tokens),
        app_secret=settings.secret("app_secret"),
        verify_token=settings.secret("verify_token"),
        live_events=hub,
        read_receipts=read_receipts,
        default_timezone=settings.timezone,
        default_region=settings.default_region,
        max_body_bytes=settings.max_body_bytes,
        cors_origins=settings.cors_origins,
    )
    if not context.tokens.configured:
        logger.warning(
            "CRM_WHATSAPP_API_TOKENS is empty: the webhook and the bot work, the CRM API "
            "answers 401 to everyone"
        )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.migrate_on_start:
            await run_in_threadpool(database.migrate)
        listener = None
        if database.is_postgresql:
            listener = PostgresEventListener(database, hub)
            listener.start()
            if not await asyncio.to_thread(listener.ready.wait, 10):
                logger.warning(
                    "live events: not listening on PostgreSQL yet (it keeps trying); "
                    "inboxes connected here miss other processes' changes until it does"
                )
        await read_receipts.open()
        outbox = None
        remove_listener = None
        if settings.outbox_in_process:
            outbox = OutboxThread(
                deps,
                gateways,
                container.resolve(RetryPolicy),
                poll_interval=settings.outbox_poll_seconds,
            )
            outbox.start()
            remove_listener = hub.add_listener(_waker(outbox))
        app.state.outbox = outbox
        logger.info("crm_whatsapp ready on %s", database.describe())
        try:
            yield
        finally:
            if remove_listener is not None:
                remove_listener()
            if outbox is not None:
                await asyncio.to_thread(outbox.stop)
            await read_receipts.close()
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            if owns_database:
                database.dispose()

    app = build_http_app(context, lifespan=lifespan)
    app.state.container = container
    app.state.context = context
    return app


def _waker(outbox: OutboxThread) -> Callable[[Sequence[Event]], None]:
    def wake_on_new_messages(events: Sequence[Event]) -> None:
        if any(isinstance(e, MessageStored) for e in events):
            outbox.wake()

    return wake_on_new_messages
