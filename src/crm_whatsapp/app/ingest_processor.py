"""The processor of stored webhook deliveries, on a thread of its own.

The webhook only appends bodies to the journal; this thread reads them in batches
(``process_deliveries``). It is woken by every commit of the journal in this process and
polls otherwise, so deliveries stored by another process (several web servers on one
PostgreSQL database) are read too. Several processors may run on PostgreSQL: their batches
never overlap (``SKIP LOCKED``). Once an hour it prunes processed deliveries past their
retention.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.ingest import IngestReport
from crm_whatsapp.domain.ports import WebhookReader
from crm_whatsapp.domain.use_cases import Dependencies
from crm_whatsapp.domain.use_cases.ingest import (
    DEFAULT_BATCH,
    process_deliveries,
    prune_deliveries,
)

logger = logging.getLogger("crm_whatsapp.ingest")

PRUNE_EVERY_SECONDS = 3600.0
MAX_BACKOFF_SECONDS = 5.0


class IngestProcessor:
    def __init__(
        self,
        deps: Dependencies,
        reader: WebhookReader,
        *,
        batch: int = DEFAULT_BATCH,
        poll_interval: float = 1.0,
        retention: timedelta | None = None,
    ) -> None:
        self._deps = deps
        self._reader = reader
        self._batch = batch
        self._poll_interval = poll_interval
        self._retention = retention
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._passes = threading.Condition()
        self._requested = 0  # wake-ups asked for so far
        self._caught_up = 0  # the last wake-up a completed pass covered
        self._thread: threading.Thread | None = None
        self._next_prune = 0.0
        self.processed = IngestReport()
        """Everything this processor did since it started (a figure for tests and logs)."""

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="crm-whatsapp-ingest", daemon=True)
        self._thread.start()

    def wake(self) -> int:
        """Thread-safe and cheap: the journal calls it after every commit. Returns the
        wake-up's number, for ``wait_idle``."""
        with self._passes:
            self._requested += 1
            number = self._requested
        self._wake.set()
        return number

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until a pass that started after this call found nothing more to read: every
        delivery stored before the call is then processed (tests, the CLI)."""
        number = self.wake()
        with self._passes:
            return self._passes.wait_for(lambda: self._caught_up >= number, timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("the ingest processor did not stop within %ss", timeout)

    def run_once(self) -> IngestReport:
        """Batches until none wait; the thread's loop body, callable on its own."""
        total = IngestReport()
        while not self._stop.is_set():
            report = process_deliveries(self._deps, self._reader, self._batch)
            if not report.deliveries:
                break
            total += report
            if report.quarantined:
                logger.warning(
                    "ingest: %d webhook items quarantined (GET /api/v1/entregas-fallidas)",
                    report.quarantined,
                )
        self.processed += total
        return total

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._wake.clear()
            with self._passes:
                covered = self._requested
            try:
                self.run_once()
                with self._passes:
                    self._caught_up = max(self._caught_up, covered)
                    self._passes.notify_all()
                self._prune_when_due()
                failures = 0
                delay = self._poll_interval
            except StorageUnavailable as exc:
                failures += 1
                delay = min(self._poll_interval * 2**failures, MAX_BACKOFF_SECONDS)
                logger.warning("ingest: database unavailable, retrying in %.1fs: %s", delay, exc)
            except Exception:
                failures += 1
                delay = min(self._poll_interval * 2**failures, MAX_BACKOFF_SECONDS)
                logger.exception("ingest: a pass failed, retrying in %.1fs", delay)
            self._wake.wait(delay)

    def _prune_when_due(self) -> None:
        if self._retention is None or time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
        removed = prune_deliveries(self._deps, self._retention)
        if removed:
            logger.info("ingest: pruned %d processed deliveries", removed)
