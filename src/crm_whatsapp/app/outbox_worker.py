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

Scheduling: after a pass that claimed a full batch there is probably more waiting, so the
next pass starts at once; otherwise the worker sleeps ``poll_interval`` (waking early on
stop). A pass that raises is logged and never kills the loop: ``StorageUnavailable`` (the
database is down or locked, an expected outage) is retried after ``poll_interval``; any
other exception is a bug or a surprise, logged with its traceback and retried after a
backoff that doubles up to ``max_error_backoff`` so a persistent fault does not spin.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.ports import MessagingGateway
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.outbox import OutboxReport, RetryPolicy, send_due_outbound

logger = logging.getLogger("crm_whatsapp.outbox")


@dataclass(frozen=True, slots=True)
class WorkerTotals:
    """What the worker did since it started (for logs, health checks and tests)."""

    passes: int = 0
    failed_passes: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown_outcomes: int = 0

    def plus(self, report: OutboxReport) -> WorkerTotals:
        return WorkerTotals(
            passes=self.passes + 1,
            failed_passes=self.failed_passes,
            sent=self.sent + report.sent,
            retrying=self.retrying + report.retrying,
            failed=self.failed + report.failed,
            unknown_outcomes=self.unknown_outcomes + report.unknown_outcomes,
        )

    def plus_failed_pass(self) -> WorkerTotals:
        return WorkerTotals(
            self.passes + 1,
            self.failed_passes + 1,
            self.sent,
            self.retrying,
            self.failed,
            self.unknown_outcomes,
        )


class OutboxWorker:
    """Runs outbox passes until ``stop`` is set; one instance per worker process or task.

    Several workers may run against the same database: claims lock and lease messages, so
    each message is handed to one worker at a time.
    """

    def __init__(
        self,
        deps: Dependencies,
        gateway: MessagingGateway,
        policy: RetryPolicy | None = None,
        *,
        poll_interval: float = 1.0,
        max_error_backoff: float = 60.0,
    ) -> None:
        if poll_interval <= 0 or max_error_backoff <= 0:
            raise ValueError("poll_interval and max_error_backoff must be positive")
        self._deps = deps
        self._gateway = gateway
        self._policy = policy or RetryPolicy()
        self._poll_interval = poll_interval
        self._max_error_backoff = max(max_error_backoff, poll_interval)
        self.totals = WorkerTotals()

    async def run_once(self) -> OutboxReport:
        """One pass: claim the due messages, send them, record the outcomes.

        Exceptions propagate (``run`` is the one that survives them).
        """
        report = await send_due_outbound(self._deps, self._gateway, self._policy)
        self.totals = self.totals.plus(report)
        if report.claimed:
            logger.info(
                "outbox pass: %d sent, %d to retry, %d failed, %d unknown outcomes",
                report.sent,
                report.retrying,
                report.failed,
                report.unknown_outcomes,
            )
        else:
            logger.debug("outbox pass: nothing due")
        return report

    async def run(self, stop: asyncio.Event, wake: asyncio.Event | None = None) -> None:
        """Pass after pass until ``stop`` is set; returns soon after it is.

        Setting ``wake`` (e.g. when a reply was just queued) ends an idle wait at once, so a
        reply leaves in milliseconds instead of at the next poll.
        """
        logger.info(
            "outbox worker started (batch %d, poll every %ss)",
            self._policy.batch_size,
            self._poll_interval,
        )
        consecutive_errors = 0
        while not stop.is_set():
            try:
                report = await self.run_once()
            except StorageUnavailable as exc:
                self.totals = self.totals.plus_failed_pass()
                logger.warning("outbox pass: storage unavailable, retrying soon: %s", exc)
                await _sleep_unless_stopped(stop, self._poll_interval, None)
                continue
            except Exception:
                self.totals = self.totals.plus_failed_pass()
                consecutive_errors += 1
                delay = self._error_backoff(consecutive_errors)
                logger.exception("outbox pass failed; next attempt in %.3gs", delay)
                await _sleep_unless_stopped(stop, delay, None)
                continue
            consecutive_errors = 0
            if report.claimed < self._policy.batch_size:
                await _sleep_unless_stopped(stop, self._poll_interval, wake)
        logger.info("outbox worker stopped")

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
