"""Keeps the template catalogue in step with Meta: at start-up, on a schedule, on demand.

The server's event loop runs it (a sync is one paged GET and a transaction), so it needs
no thread of its own; several servers each sync, which is harmless: the listing is the
same and each sync replaces the stored catalogue in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.concurrency import run_in_threadpool

from crm_whatsapp.domain.template_errors import TemplatesNotConfigured, TemplateSyncFailed
from crm_whatsapp.domain.template_ports import TemplateSource
from crm_whatsapp.domain.templates import SyncReport
from crm_whatsapp.domain.use_cases import Dependencies
from crm_whatsapp.domain.use_cases.templates import store_catalogue

logger = logging.getLogger("crm_whatsapp.templates")

RETRY_SECONDS = 60.0
"""After a failed sync, the next attempt (Meta down is usually brief)."""


class TemplateSync:
    def __init__(
        self,
        deps: Dependencies,
        source: TemplateSource | None,
        waba_id: str | None,
        every_minutes: int = 60,
    ) -> None:
        self._deps = deps
        self._source = source
        self._waba_id = waba_id
        self._every = every_minutes * 60.0
        self._task: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def configured(self) -> bool:
        return self._source is not None and self._waba_id is not None

    async def sync(self) -> SyncReport:
        """One complete sync; raises ``TemplateSyncFailed`` and keeps the stored catalogue
        when any page cannot be had. Two at once on one server run one after the other."""
        if self._source is None or self._waba_id is None:
            raise TemplatesNotConfigured()
        if self._lock is None:  # made on the running loop
            self._lock = asyncio.Lock()
        async with self._lock:
            fetched = await self._source.fetch_templates(self._waba_id)
            report = await run_in_threadpool(store_catalogue, self._deps, fetched)
        logger.info(
            "templates synced: %d (%d created, %d updated, %d removed) in %d page(s)%s",
            report.templates,
            report.created,
            report.updated,
            report.removed,
            report.pages,
            f"; {len(fetched.unreadable)} unreadable left out" if fetched.unreadable else "",
        )
        for problem in report.rule_problems:
            logger.warning("a bot rule's template would be refused by Meta: %s", problem)
        return report

    def start(self) -> None:
        """Sync now in the background, then on schedule; nothing when not configured."""
        if self.configured and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await self.sync()
                wait = self._every
            except TemplateSyncFailed as error:
                logger.warning("%s; trying again in %.0f s", error, RETRY_SECONDS)
                wait = RETRY_SECONDS
            except Exception:
                logger.exception("template sync failed; trying again in %.0f s", RETRY_SECONDS)
                wait = RETRY_SECONDS
            if wait <= 0:
                return
            await asyncio.sleep(wait)
