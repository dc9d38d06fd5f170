"""The media fetch job: a loop that keeps ``fetch_due_media`` running until told to stop.

It runs beside the outbox worker (on the same event loop and Graph API client, in the
service's outbox thread or in ``crm-whatsapp worker``), because both talk to Meta and
neither should wait for the other. A pass claims the due files, fetches them and records
the outcomes (``domain/use_cases/media_fetch.py``); with nothing due the loop sleeps
``poll_interval`` or until woken, which happens whenever a message is stored (it may carry
a file) or a person asks for a failed file again; wakes within ``settle_seconds`` of each
other cost one pass. A pass that raises is logged and never kills the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.events import Event, MediaStatusChanged, MessageStored
from crm_whatsapp.domain.media import MediaStatus
from crm_whatsapp.domain.ports import MediaStore, MessagingGateway
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.media_fetch import (
    MediaFetchPolicy,
    MediaFetchReport,
    fetch_due_media,
)

logger = logging.getLogger("crm_whatsapp.media")


def may_have_queued_a_file(events: Sequence[Event]) -> bool:
    """A stored message may carry a file to fetch; a person's retry queues one again."""
    return any(
        isinstance(event, MessageStored)
        or (isinstance(event, MediaStatusChanged) and event.status is MediaStatus.PENDING)
        for event in events
    )


class MediaFetchWorker:
    def __init__(
        self,
        deps: Dependencies,
        gateway: MessagingGateway,
        store: MediaStore,
        policy: MediaFetchPolicy | None = None,
        *,
        poll_interval: float = 5.0,
        max_error_backoff: float = 60.0,
        settle_seconds: float = 0.25,
    ) -> None:
        if poll_interval <= 0 or max_error_backoff <= 0:
            raise ValueError("poll_interval and max_error_backoff must be positive")
        self._deps = deps
        self._gateway = gateway
        self._store = store
        self._policy = policy or MediaFetchPolicy()
        self._poll_interval = poll_interval
        self._max_error_backoff = max(max_error_backoff, poll_interval)
        self._settle_seconds = settle_seconds
        self.totals = MediaFetchReport()

    async def run_once(self) -> MediaFetchReport:
        report = await fetch_due_media(self._deps, self._gateway, self._store, self._policy)
        self.totals = self.totals.plus(report)
        if report.claimed:
            logger.info(
                "media: %d stored, %d to retry, %d failed",
                report.stored,
                report.retrying,
                report.failed,
            )
        return report

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        errors_in_a_row = 0
        while not stop.is_set():
            try:
                report = await self.run_once()
            except StorageUnavailable as exc:
                logger.warning("media: storage unavailable, retrying soon: %s", exc)
                await _wait(stop, None, self._poll_interval)
                continue
            except Exception:
                errors_in_a_row += 1
                delay = min(
                    self._poll_interval * (1 << min(errors_in_a_row - 1, 30)),
                    self._max_error_backoff,
                )
                logger.exception("media fetch pass failed; next attempt in %.3gs", delay)
                await _wait(stop, None, delay)
                continue
            errors_in_a_row = 0
            if not report.claimed:
                await _wait(stop, wake, self._poll_interval)
                # Every stored message wakes this job, most of them text: let a burst of
                # webhooks settle into one claim instead of one write transaction each.
                await _wait(stop, None, self._settle_seconds)


async def _wait(stop: asyncio.Event, wake: asyncio.Event | None, seconds: float) -> None:
    """Until ``seconds`` pass, ``stop`` is set, or ``wake`` is (which is then cleared)."""
    events = [stop] if wake is None else [stop, wake]
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
    if wake is not None:
        wake.clear()
