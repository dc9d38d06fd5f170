"""What the service brings up when it starts and takes down when it stops.

In order: the database tables (migrations, unless turned off), the PostgreSQL event
listener (several processes share live events), the gateway for read receipts, the
in-process outbox worker and the processor of stored webhook deliveries; down in reverse,
then whatever the container opened (the delivery journal writes what is queued first).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from crm_whatsapp.adapters.events import LocalEventHub, PostgresEventListener
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.app.factories import OwnedResources
from crm_whatsapp.app.gateway_sessions import GatewayFactory
from crm_whatsapp.app.ingest_processor import IngestProcessor
from crm_whatsapp.app.media_fetch_worker import may_have_queued_a_file
from crm_whatsapp.app.outbox_thread import OutboxThread
from crm_whatsapp.app.outbox_worker import may_have_queued_a_reply
from crm_whatsapp.app.read_receipts import LifespanGateway
from crm_whatsapp.app.settings import Settings
from crm_whatsapp.app.template_sync import TemplateSync
from crm_whatsapp.domain.events import Event
from crm_whatsapp.domain.ports import SendRateLimiter
from crm_whatsapp.domain.use_cases import Dependencies, RetryPolicy
from crm_whatsapp.domain.use_cases.media_fetch import MediaFetchPolicy

logger = logging.getLogger("crm_whatsapp")

LISTENER_READY_SECONDS = 10


class ServiceLifespan:
    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        hub: LocalEventHub,
        deps: Dependencies,
        gateways: GatewayFactory,
        policy: RetryPolicy,
        limiter: SendRateLimiter,
        read_receipts: LifespanGateway,
        resources: OwnedResources,
        media_policy: MediaFetchPolicy,
        ingest: IngestProcessor,
        template_sync: TemplateSync,
    ) -> None:
        self._template_sync = template_sync
        self._ingest = ingest
        self._media_policy = media_policy
        self._settings = settings
        self._database = database
        self._hub = hub
        self._deps = deps
        self._gateways = gateways
        self._policy = policy
        self._limiter = limiter
        self._read_receipts = read_receipts
        self._resources = resources

    @asynccontextmanager
    async def __call__(self, app: Starlette) -> AsyncIterator[None]:
        settings, database, hub = self._settings, self._database, self._hub
        if settings.migrate_on_start:
            await run_in_threadpool(database.migrate)
        listener = await self._listen_to_other_processes()
        await self._read_receipts.open()
        outbox = None
        remove_listener = None
        if settings.outbox_in_process:
            outbox = OutboxThread(
                self._deps,
                self._gateways,
                self._policy,
                limiter=self._limiter,
                poll_interval=settings.outbox_poll_seconds,
                media_policy=self._media_policy,
            )
            outbox.start()
            remove_listener = hub.add_listener(_waker(outbox))
        app.state.outbox = outbox
        ingest = None
        if settings.ingest_in_process:
            ingest = self._ingest
            ingest.start()
        app.state.ingest = ingest
        self._template_sync.start()
        logger.info("crm_whatsapp ready on %s", database.describe())
        try:
            yield
        finally:
            await self._template_sync.stop()
            if ingest is not None:
                await asyncio.to_thread(ingest.stop)
            if remove_listener is not None:
                remove_listener()
            if outbox is not None:
                await asyncio.to_thread(outbox.stop)
            await self._read_receipts.close()
            if listener is not None:
                await asyncio.to_thread(listener.stop)
            self._resources.close()

    async def _listen_to_other_processes(self) -> PostgresEventListener | None:
        if not self._database.is_postgresql:
            return None
        listener = PostgresEventListener(self._database, self._hub)
        listener.start()
        if not await asyncio.to_thread(listener.ready.wait, LISTENER_READY_SECONDS):
            logger.warning(
                "live events: not listening on PostgreSQL yet (it keeps trying); "
                "inboxes connected here miss other processes' changes until it does"
            )
        return listener


def _waker(outbox: OutboxThread) -> Callable[[Sequence[Event]], None]:
    def wake_on_new_messages(events: Sequence[Event]) -> None:
        if may_have_queued_a_reply(events) or may_have_queued_a_file(events):
            outbox.wake()

    return wake_on_new_messages
