"""Sending the outbox at Meta's pace: many sends in flight, each conversation in order.

Meta takes about 250 ms to answer a send, so one send at a time is four replies a second.
The pipeline keeps up to ``RetryPolicy.concurrency`` sends in flight, and the repository
only ever hands out each conversation's first pending message: the next one becomes due
when the first's outcome is recorded, so a conversation's replies leave in order while no
other conversation waits for them. Each send first takes a turn from the number's rate
limiter (Meta allows 80/s per number by default).

The database is only touched between sends, never during one: claims and outcomes run on a
single thread of their own (the adapters are synchronous, and a locked SQLite file must not
stall the event loop the sends are on), outcomes in batches of whatever finished meanwhile.

An outcome is never dropped. When it cannot be stored (the database is down or locked) the
pipeline keeps it, claims nothing new, and stores it as soon as the database answers. The
claim it belongs to may have run out by then and been taken by another worker: that claim
has counted an unknown outcome (the message may go twice), and the late outcome is stored
only if nobody else recorded the message as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from crm_whatsapp.domain.errors import (
    GatewayError,
    MediaNotStored,
    MediaStoreUnavailable,
    StorageUnavailable,
)
from crm_whatsapp.domain.message import MessageKind
from crm_whatsapp.domain.ports import MediaStore, MessagingGateway, SendRateLimiter
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.outbox import (
    LEASE_IN_USE,
    NOT_STARTED,
    NUMBER_THROTTLES,
    OutboxJob,
    OutboxReport,
    PutBack,
    Result,
    RetryPolicy,
    blocked,
    claim_due,
    gateway_failure,
    record_outcomes,
)

T = TypeVar("T")
MAX_RECORD_DELAY = 2.0
"""Longest wait in seconds between two tries at recording outcomes in one pass."""


class OutboxPipeline:
    """One worker's sends in flight; ``fill`` claims, ``record`` stores what finished."""

    def __init__(
        self,
        deps: Dependencies,
        gateway: MessagingGateway,
        policy: RetryPolicy | None = None,
        limiter: SendRateLimiter | None = None,
    ) -> None:
        self._deps = deps
        self._gateway = gateway
        self._policy = policy or RetryPolicy()
        self._limiter = limiter
        self._in_flight: dict[str, asyncio.Task[None]] = {}
        self._done: list[tuple[OutboxJob, Result]] = []
        self._progress = asyncio.Event()
        self._places: asyncio.Semaphore | None = None
        self._uploads: asyncio.Semaphore | None = None
        self._sending = 0
        self._throttles_in_a_row: dict[str, int] = {}
        self._database = ThreadPoolExecutor(1, thread_name_prefix="crm-whatsapp-outbox-db")
        self._record_until = 0.0
        self._storage_failed = False
        self._unexpected: list[Exception] = []
        self.in_flight_max = 0
        """The most sends that were waiting for Meta's answer at once."""

    @property
    def in_flight(self) -> int:
        """Claimed messages not finished yet (sending, or waiting for a place or a turn)."""
        return len(self._in_flight)

    @property
    def unrecorded(self) -> int:
        return len(self._done)

    async def fill(self, limit: int | None = None) -> int:
        """Claim due messages (``limit``, else as many as there are free places, at most
        ``batch_size``) and start sending them; how many were claimed.

        Nothing is claimed while the last try at storing outcomes failed: the database is
        in trouble, and those outcomes go first. (Outcomes that merely finished since the
        last ``record`` do not hold claims up: under load some always have.)
        """
        if limit is None:
            limit = min(self._policy.concurrency - len(self._in_flight), self._policy.batch_size)
        if limit <= 0 or self._storage_failed:
            return 0
        loop = asyncio.get_running_loop()
        if self._places is None:
            self._places = asyncio.Semaphore(self._policy.concurrency)
        claimed_at = loop.time()  # no later than the claims' leases start: conservative
        jobs = await self._on_database(claim_due, self._deps, self._policy, limit)
        lease = self._policy.lease.total_seconds()
        for job in jobs:
            task = loop.create_task(self._send(job, claimed_at + lease * LEASE_IN_USE))
            self._in_flight[job.message.id] = task
        self._record_until = claimed_at + lease * LEASE_IN_USE
        return len(jobs)

    async def wait_for_all(self) -> None:
        """Until every claimed message is finished."""
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))

    def take_unexpected(self) -> list[Exception]:
        """Exceptions sends raised that are not gateway errors (bugs), for the log."""
        taken, self._unexpected = self._unexpected, []
        return taken

    async def record(self) -> OutboxReport:
        """Store the outcomes finished so far, in one transaction.

        On ``StorageUnavailable`` they are kept for the next call; nothing is lost.
        """
        if not self._done:
            return OutboxReport()
        batch = list(self._done)
        try:
            counts = await self._on_database(record_outcomes, self._deps, batch, self._policy)
        except StorageUnavailable:
            self._storage_failed = True
            raise
        self._storage_failed = False
        del self._done[: len(batch)]
        return OutboxReport.of(counts)

    async def record_patiently(self) -> OutboxReport:
        """``record``, retried ``record_attempts`` times at least and then for as long as
        the last claims' leases hold; raises ``StorageUnavailable`` past that."""
        loop = asyncio.get_running_loop()
        delay, attempt = 0.1, 0
        while True:
            attempt += 1
            try:
                return await self.record()
            except StorageUnavailable:
                out_of_time = loop.time() + delay >= self._record_until
                if attempt >= self._policy.record_attempts and out_of_time:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RECORD_DELAY)

    async def wait_for_progress(self, timeout: float, *also: asyncio.Event) -> None:
        """Until a send finishes, one of ``also`` is set, or ``timeout`` seconds pass."""
        if self._done:
            return
        self._progress.clear()
        waiters = [asyncio.ensure_future(e.wait()) for e in (self._progress, *also)]
        try:
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def finish(self) -> OutboxReport:
        """Let the sends in flight end, store their outcomes, release the thread."""
        try:
            await self.wait_for_all()
            return await self.record_patiently()
        finally:
            self.close()

    def close(self) -> None:
        for task in self._in_flight.values():
            task.cancel()
        self._database.shutdown(wait=False)

    async def _send(self, job: OutboxJob, start_by: float) -> None:
        """Send one claimed message, if it can start by ``start_by`` (loop time)."""
        assert self._places is not None
        try:
            async with self._places:
                result = await self._attempt(job, start_by)
        except Exception as exc:  # a bug: recorded on the message, which retries as usual
            self._unexpected.append(exc)
            result = GatewayError(f"error inesperado: {type(exc).__name__}", retryable=True)
        finally:
            self._in_flight.pop(job.message.id, None)
        self._done.append((job, result))
        self._progress.set()

    async def _attempt(self, job: OutboxJob, start_by: float) -> Result:
        """Take a turn, send, and on a throttle of the number rest it and send again."""
        loop = asyncio.get_running_loop()
        number = job.conversation.business_number_id
        while True:
            if not await self._turn(number, start_by - loop.time()):
                # As if the claim had simply run out: hidden until its lease ends.
                rest_of_lease = self._policy.lease * (1 - LEASE_IN_USE)
                return PutBack(rest_of_lease, NOT_STARTED)
            refusal = blocked(job.message, job.conversation, self._deps.clock.now())
            if refusal is not None:
                return refusal
            self._sending += 1
            self.in_flight_max = max(self.in_flight_max, self._sending)
            try:
                result = await self._call_gateway(job)
            finally:
                self._sending -= 1
            if not (isinstance(result, GatewayError) and result.error_code in NUMBER_THROTTLES):
                self._throttles_in_a_row.pop(number, None)
                return result
            throttles = self._throttles_in_a_row.get(number, 0) + 1
            self._throttles_in_a_row[number] = throttles
            pause = self._policy.throttle_pause_after(throttles)
            await self._slow_down(number, pause.total_seconds())
            if loop.time() + pause.total_seconds() >= start_by:
                return PutBack(pause, gateway_failure(result))

    async def _turn(self, number: str, seconds_left: float) -> bool:
        """Wait for the rate limiter; False if the claim's time runs out first."""
        if seconds_left <= 0:
            return False
        if self._limiter is None:
            return True
        try:
            await asyncio.wait_for(self._limiter.acquire(number), seconds_left)
        except (TimeoutError, StorageUnavailable):
            return False
        return True

    async def _slow_down(self, number: str, seconds: float) -> None:
        if self._limiter is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(StorageUnavailable):  # the pause is then ours alone
            await self._limiter.slow_down(number, seconds)

    async def _call_gateway(self, job: OutboxJob) -> str | GatewayError:
        message, conversation = job.message, job.conversation
        try:
            if message.media is not None and message.template is not None:
                return await self._send_template_with_file(job)
            if message.media is not None:
                return await self._send_file(job)
            if message.interactive is not None:
                return await self._gateway.send_interactive(
                    conversation.business_number_id,
                    conversation.customer,
                    message.interactive,
                    reply_to_wamid=message.reply_to_wamid,
                )
            if message.template is not None:
                return await self._gateway.send_template(
                    conversation.business_number_id, conversation.customer, message.template
                )
            return await self._gateway.send_text(
                conversation.business_number_id,
                conversation.customer,
                message.text or "",
                reply_to_wamid=message.reply_to_wamid,
            )
        except GatewayError as error:
            return error

    async def _send_file(self, job: OutboxJob) -> str:
        """Upload our copy to Meta, then send the message that names it.

        Each attempt uploads again: an upload is cheap next to a lost message, and keeping
        Meta's media id across attempts would mean storing state Meta may expire (30 days).
        """
        message, conversation = job.message, job.conversation
        media = message.media
        assert media is not None
        media_id = await self._upload(job)
        number = conversation.business_number_id
        return await self._gateway.send_media(
            number,
            conversation.customer,
            message.kind,
            media_id,
            caption=message.text,
            filename=media.filename if message.kind is MessageKind.DOCUMENT else None,
            voice=media.voice,
            reply_to_wamid=message.reply_to_wamid,
        )

    async def _send_template_with_file(self, job: OutboxJob) -> str:
        """A template whose header is a file: uploaded first like any file, for the same
        reason (Meta's ids expire, our copy does not)."""
        message, conversation = job.message, job.conversation
        assert message.template is not None
        assert message.media is not None
        media_id = await self._upload(job)
        return await self._gateway.send_template(
            conversation.business_number_id,
            conversation.customer,
            message.template,
            header_media_id=media_id,
            header_filename=message.media.filename,
        )

    async def _upload(self, job: OutboxJob) -> str:
        message, media = job.message, job.message.media
        assert media is not None
        store = self._deps.media
        if store is None or media.sha256 is None or media.mime_type is None:
            raise GatewayError("no media store holds this file", retryable=False)
        filename = media.filename or f"archivo-{message.id}"
        if self._uploads is None:  # made on the running loop, like ``_places``
            self._uploads = asyncio.Semaphore(self._policy.uploads)
        async with self._uploads:
            content = await read_all(store, media.sha256)
            media_id = await self._gateway.upload_media(
                job.conversation.business_number_id, content, media.mime_type, filename
            )
            del content
        return media_id

    async def _on_database(self, function: Callable[..., T], *args: object) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._database, function, *args)


async def send_due_outbound(
    deps: Dependencies,
    gateway: MessagingGateway,
    policy: RetryPolicy | None = None,
    limiter: SendRateLimiter | None = None,
) -> OutboxReport:
    """One pass: claim up to ``batch_size`` due messages, send them (up to ``concurrency``
    at once), record every outcome. Raises ``StorageUnavailable`` if the outcomes cannot
    be stored while the claims' leases hold."""
    policy = policy or RetryPolicy()
    pipeline = OutboxPipeline(deps, gateway, policy, limiter)
    report = OutboxReport()
    try:
        # A conversation's next reply is due once the one before it is recorded: claim
        # again after each round that settled something, up to ``batch_size`` in all.
        while report.claimed < policy.batch_size:
            claimed = await pipeline.fill(policy.batch_size - report.claimed)
            if not claimed:
                break
            await pipeline.wait_for_all()
            round_report = await pipeline.record_patiently()
            report = report.plus(round_report)
            if not (round_report.sent or round_report.failed):
                break
        return report
    finally:
        pipeline.close()


async def read_all(store: MediaStore, sha256: str) -> bytes:
    """A stored file's bytes, for an upload (the Graph API takes the file in one request)."""
    try:
        return b"".join([chunk async for chunk in store.open(sha256)])
    except MediaNotStored as error:
        raise GatewayError(str(error), retryable=False) from error
    except MediaStoreUnavailable as error:
        raise GatewayError(f"media store: {error}", retryable=True) from error
