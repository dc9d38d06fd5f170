"""The webhook's journal on SQL: concurrent appends share one transaction and one fsync.

Each webhook request puts its body on a queue and waits; one writer thread takes whatever
is queued (up to ``max_batch``), inserts it with one prepared multi-row statement, commits
once, and answers every waiter with its id. While a commit is in flight the next requests
queue up, so the batch grows with the load and no request waits for more than the commit
before its own (the bounded wait). The writer's engine keeps SQLite's ``synchronous=FULL``
(the default): a 200 means the body is on disk, through a power cut.

A failure to write answers every waiter of that batch with ``StorageUnavailable`` (the
webhook then answers 503 and Meta delivers again later); nothing is acknowledged that was
not committed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future

from sqlalchemy import insert

from crm_whatsapp.adapters.sql.database import Database, translate_errors
from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.ports import Clock

logger = logging.getLogger("crm_whatsapp.webhook")

DEFAULT_MAX_BATCH = 256


class GroupCommitJournal:
    def __init__(
        self, database: Database, clock: Clock, *, max_batch: int = DEFAULT_MAX_BATCH
    ) -> None:
        self._database = database
        self._clock = clock
        self._max_batch = max_batch
        table = database.tables.ingest.deliveries
        self._insert = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        self._queue: deque[tuple[bytes, Future[int]]] = deque()
        self._ready = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._listeners: list[Callable[[], object]] = []
        self.commits = 0
        """How many transactions served the appends so far (a figure for benchmarks)."""

    def on_append(self, listener: Callable[[], object]) -> None:
        """Called on the writer thread after each commit (the processor's wake-up)."""
        self._listeners.append(listener)

    async def append(self, body: bytes) -> int:
        return await asyncio.wrap_future(self.submit(body))

    def append_now(self, body: bytes, timeout: float | None = 30.0) -> int:
        """For synchronous callers (the CLI, tests)."""
        return self.submit(body).result(timeout)

    def submit(self, body: bytes) -> Future[int]:
        future: Future[int] = Future()
        with self._ready:
            if self._closed:
                raise StorageUnavailable("the delivery journal is closed")
            self._queue.append((body, future))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="crm-whatsapp-journal", daemon=True
                )
                self._thread.start()
            self._ready.notify()
        return future

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the writer."""
        with self._ready:
            self._closed = True
            self._ready.notify()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return
                count = min(len(self._queue), self._max_batch)
                batch = [self._queue.popleft() for _ in range(count)]
            self._write(batch)

    def _write(self, batch: list[tuple[bytes, Future[int]]]) -> None:
        received_at = self._clock.now()
        rows = [{"received_at": received_at, "body": body} for body, _ in batch]
        try:
            with (
                self._database.writing(),
                translate_errors(self._database),
                self._database.writer.begin() as connection,
            ):
                ids = [row[0] for row in connection.execute(self._insert, rows)]
        except Exception as exc:  # every waiter learns it, whatever it was
            failure = exc if isinstance(exc, StorageUnavailable) else _unavailable(exc)
            logger.warning("webhook journal: %d deliveries not stored: %s", len(batch), failure)
            for _, future in batch:
                future.set_exception(failure)
            return
        self.commits += 1
        # listeners first: whoever waits for the 200 then finds the processor already woken
        for listener in self._listeners:
            try:
                listener()
            except Exception:
                logger.exception("webhook journal: a listener failed")
        for (_, future), delivery_id in zip(batch, ids, strict=True):
            future.set_result(delivery_id)


def _unavailable(exc: Exception) -> StorageUnavailable:
    return StorageUnavailable(f"the delivery journal could not write: {type(exc).__name__}")
