"""The outbox sender: a loop that keeps ``send_due_outbound`` running until told to stop.

Use cases only *queue* replies (stored as pending in the same transaction as the decision
that produced them); this worker sends them. The rules about each message live in the
domain (``crm_whatsapp.domain.use_cases.outbox``); this loop only decides *when* to run a
pass and survives whatever one pass throws:

* A pass claims up to ``RetryPolicy.batch_size`` due messages, sends each through the
  gateway and records the outcome. A claim hides the message for ``RetryPolicy.lease``,
  so a worker that dies mid-send loses nothing: the message is due again when the lease
  ends.
* Retryable failures (throttles, Meta's 5xx, timeouts, refused connections) are retried
  with exponential backoff: ``first_delay``, doubled each attempt, capped at
  ``max_delay``. After ``max_attempts`` attempts, or at once for a final error (outside
  the 24-hour window, not a WhatsApp user, expired token), the message is marked failed
  with the reason, which the inbox shows.
* **Unknown outcomes, at least once.** When the request may have reached Meta but no
  answer came (a read timeout, a dropped connection), we cannot know whether WhatsApp
  sent the message. Retrying may deliver it twice; not retrying may lose it. We retry
  (a duplicate "Hola" is better than a lost answer) and count the event in
  ``Delivery.unknown_outcomes``, so a rare double is visible, never a silent loss.

Scheduling: the worker keeps the pipeline full (``OutboxPipeline``: up to
``RetryPolicy.concurrency`` sends in flight, each conversation in order, each number at
its rate). Whenever a send finishes it stores the outcomes finished so far and claims for
the free places; with nothing due and nothing in flight it sleeps ``poll_interval``, or
until woken (a reply was queued) or stopped. A round that raises is logged and never kills
the loop: ``StorageUnavailable`` (the database is down or locked, an expected outage) is
retried after ``poll_interval`` and the outcomes waiting to be stored are kept, never
dropped; any other exception is a bug or a surprise, logged with its traceback and retried
after a backoff that doubles up to ``max_error_backoff`` so a persistent fault does not
spin. On stop, the sends in flight finish and their outcomes are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.events import Event, MessageStored
from crm_whatsapp.domain.ports import MessagingGateway, SendRateLimiter
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.outbox import OutboxReport, RetryPolicy
from crm_whatsapp.domain.use_cases.outbox_pipeline import OutboxPipeline, send_due_outbound

logger = logging.getLogger("crm_whatsapp.outbox")


def may_have_queued_a_reply(events: Sequence[Event]) -> bool:
    """Whether these live events should wake the outbox: only a stored message can be a
    newly queued reply. Status changes never are, and the outbox's own outcomes publish
    them: waking on those made every worker claim again after every batch it recorded."""
    return any(isinstance(event, MessageStored) for event in events)


@dataclass(frozen=True, slots=True)
class WorkerTotals:
    """What the worker did since it started (for logs, health checks and tests)."""

    passes: int = 0
    failed_passes: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown_outcomes: int = 0
    throttled: int = 0

    def plus(self, report: OutboxReport) -> WorkerTotals:
        return WorkerTotals(
            passes=self.passes + 1,
            failed_passes=self.failed_passes,
            sent=self.sent + report.sent,
            retrying=self.retrying + report.retrying,
            failed=self.failed + report.failed,
            unknown_outcomes=self.unknown_outcomes + report.unknown_outcomes,
            throttled=self.throttled + report.throttled,
        )

    def plus_failed_pass(self) -> WorkerTotals:
        return replace(self, passes=self.passes + 1, failed_passes=self.failed_passes + 1)


class OutboxWorker:
    """Keeps sending until ``stop`` is set; one instance per worker process or task.

    Several workers may run against the same database: claims lock and lease messages, so
    each message is handed to one worker at a time, and the rate limiter (on the database)
    keeps each number's pace across all of them.
    """

    def __init__(
        self,
        deps: Dependencies,
        gateway: MessagingGateway,
        policy: RetryPolicy | None = None,
        *,
        limiter: SendRateLimiter | None = None,
        poll_interval: float = 1.0,
        max_error_backoff: float = 60.0,
    ) -> None:
        if poll_interval <= 0 or max_error_backoff <= 0:
            raise ValueError("poll_interval and max_error_backoff must be positive")
        self._deps = deps
        self._gateway = gateway
        self._policy = policy or RetryPolicy()
        self._limiter = limiter
        self._poll_interval = poll_interval
        self._max_error_backoff = max(max_error_backoff, poll_interval)
        self.totals = WorkerTotals()
        self.pipeline: OutboxPipeline | None = None

    async def run_once(self) -> OutboxReport:
        """One pass: claim the due messages, send them, record the outcomes.

        Exceptions propagate (``run`` is the one that survives them).
        """
        report = await send_due_outbound(self._deps, self._gateway, self._policy, self._limiter)
        self._count(report)
        return report

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Send until ``stop`` is set; returns once the sends in flight have finished.

        Setting ``wake`` (e.g. when a reply was just queued) ends an idle wait at once, so a
        reply leaves in milliseconds instead of at the next poll.
        """
        logger.info(
            "outbox worker started (%d sends in flight at most, poll every %ss)",
            self._policy.concurrency,
            self._poll_interval,
        )
        pipeline = self.pipeline = OutboxPipeline(
            self._deps, self._gateway, self._policy, self._limiter
        )
        errors_in_a_row = 0
        try:
            while not stop.is_set():
                try:
                    self._count(await pipeline.record())
                    claimed = await pipeline.fill()
                    self._log_unexpected(pipeline)
                except StorageUnavailable as exc:
                    self.totals = self.totals.plus_failed_pass()
                    logger.warning(
                        "outbox: storage unavailable, retrying soon (%d outcomes kept): %s",
                        pipeline.unrecorded,
                        exc,
                    )
                    await _sleep_unless_stopped(stop, self._poll_interval, None)
                    continue
                except Exception:
                    self.totals = self.totals.plus_failed_pass()
                    errors_in_a_row += 1
                    delay = self._error_backoff(errors_in_a_row)
                    logger.exception("outbox round failed; next attempt in %.3gs", delay)
                    await _sleep_unless_stopped(stop, delay, None)
                    continue
                errors_in_a_row = 0
                if claimed or pipeline.in_flight or pipeline.unrecorded:
                    events = (stop,) if wake is None else (stop, wake)
                    await pipeline.wait_for_progress(self._poll_interval, *events)
                    if wake is not None:
                        wake.clear()
                else:
                    await _sleep_unless_stopped(stop, self._poll_interval, wake)
        finally:
            await self._finish(pipeline)
        logger.info("outbox worker stopped")

    async def _finish(self, pipeline: OutboxPipeline) -> None:
        in_flight = pipeline.in_flight
        try:
            self._count(await pipeline.finish())
        except StorageUnavailable as exc:
            logger.warning(
                "outbox: stopping with %d outcomes not stored (%s); those messages are "
                "claimed again when their lease ends, counted as unknown outcomes",
                pipeline.unrecorded,
                exc,
            )
        if in_flight:
            logger.info("outbox: %d sends in flight finished before stopping", in_flight)
        self._log_unexpected(pipeline)

    def _count(self, report: OutboxReport) -> None:
        self.totals = self.totals.plus(report)
        if report.claimed:
            logger.info(
                "outbox: %d sent, %d to retry, %d failed, %d throttled, %d unknown outcomes",
                report.sent,
                report.retrying,
                report.failed,
                report.throttled,
                report.unknown_outcomes,
            )

    def _log_unexpected(self, pipeline: OutboxPipeline) -> None:
        for exc in pipeline.take_unexpected():
            self.totals = self.totals.plus_failed_pass()
            logger.error("outbox: a send failed unexpectedly", exc_info=exc)

    def _error_backoff(self, consecutive_errors: int) -> float:
        delay = self._poll_interval * (1 << min(consecutive_errors - 1, 30))
        return float(min(delay, self._max_error_backoff))


async def _sleep_unless_stopped(
    stop: asyncio.Event, seconds: float, wake: asyncio.Event | None
) -> None:
    if wake is None or wake.is_set():
        if wake is not None:
            wake.clear()
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        return
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    wake.clear()
