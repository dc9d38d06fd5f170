"""Fetch customers' files from Meta into our media store, before Meta forgets them.

A media message is stored first, its file later: the webhook never waits for a download,
and a download that fails never loses the message. The job claims due files (a lease, as
the outbox does, so a worker that dies loses nothing), downloads each from Meta straight
into the ``MediaStore`` (streamed, checked against the sha256 Meta announced), and records
the outcome: ``stored``, or a retry with backoff, or ``failed`` with the reason once the
attempts run out or Meta refuses for good (its media ids last 7 days).

Download URLs are never kept anywhere: the gateway asks Meta for a fresh one each attempt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from crm_whatsapp.domain.errors import (
    GatewayError,
    InvalidStateTransition,
    MediaChecksumMismatch,
    MediaTooLarge,
    MessageNotFound,
)
from crm_whatsapp.domain.events import Event, MediaStatusChanged
from crm_whatsapp.domain.media import (
    META_MEDIA_LIFETIME,
    MediaFile,
    MediaStatus,
    StoredObject,
    normalized_sha256,
)
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.ports import MediaStore, MessagingGateway
from crm_whatsapp.domain.use_cases.dependencies import Dependencies

MiB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class MediaFetchPolicy:
    """How hard to try. The defaults spread 6 attempts over about an hour: enough to ride
    out a Graph API incident, and well inside Meta's 7 days."""

    max_attempts: int = 6
    first_delay: timedelta = timedelta(seconds=10)
    max_delay: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(minutes=10)
    """A claimed file is hidden this long; if its worker dies it is due again after."""
    batch_size: int = 16
    concurrency: int = 4
    """Downloads at once per worker (each holds a connection and a file being written)."""
    max_bytes: int = 100 * MiB
    """``CRM_WHATSAPP_MEDIA_MAX_BYTES``: larger files are refused (Meta's largest is 100 MB)."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.batch_size < 1 or self.concurrency < 1:
            raise ValueError("max_attempts, batch_size and concurrency must be at least 1")
        if self.max_bytes < 1:
            raise ValueError("max_bytes must be positive")

    def delay_after(self, attempts: int) -> timedelta:
        return min(self.first_delay * (1 << min(max(attempts - 1, 0), 30)), self.max_delay)


@dataclass(frozen=True, slots=True)
class MediaFetchReport:
    claimed: int = 0
    stored: int = 0
    retrying: int = 0
    failed: int = 0

    def plus(self, other: MediaFetchReport) -> MediaFetchReport:
        return MediaFetchReport(
            self.claimed + other.claimed,
            self.stored + other.stored,
            self.retrying + other.retrying,
            self.failed + other.failed,
        )


@dataclass(frozen=True, slots=True)
class _Fetched:
    stored: StoredObject
    mime_type: str | None


@dataclass(frozen=True, slots=True)
class _Failed:
    reason: str
    retryable: bool


_Outcome = _Fetched | _Failed


class MediaExpiredAtMeta(InvalidStateTransition):
    """Meta no longer has the file (its media ids last 7 days), so fetching again is futile."""

    code = "media_expired_at_meta"

    def __init__(self, message_id: str, expired_at: datetime) -> None:
        super().__init__(
            f"Meta keeps a customer's file for 7 days; message {message_id}'s expired at "
            f"{expired_at.isoformat()}"
        )
        self.expired_at = expired_at


def meta_expiry(message: Message) -> datetime:
    """When Meta forgets the file. Counted from our receipt, which is bounded (a webhook's
    own timestamp is not), and never earlier than the real expiry."""
    return message.created_at + META_MEDIA_LIFETIME


async def fetch_due_media(
    deps: Dependencies,
    gateway: MessagingGateway,
    store: MediaStore,
    policy: MediaFetchPolicy | None = None,
) -> MediaFetchReport:
    """One pass: claim up to ``batch_size`` due files, fetch them (``concurrency`` at once),
    record every outcome. The database calls run on a worker thread, never on the loop."""
    policy = policy or MediaFetchPolicy()
    claims = await asyncio.to_thread(claim_due_media, deps, policy)
    if not claims:
        return MediaFetchReport()
    places = asyncio.Semaphore(policy.concurrency)

    async def fetch(claim: MediaClaim) -> _Outcome:
        async with places:
            return await fetch_one(claim, gateway, store, policy, deps.clock.now())

    outcomes = await asyncio.gather(*(fetch(claim) for claim in claims))
    claimed = [claim.message for claim in claims]
    return await asyncio.to_thread(record_media_outcomes, deps, policy, claimed, outcomes)


@dataclass(frozen=True, slots=True)
class MediaClaim:
    message: Message
    business_number_id: str


def claim_due_media(deps: Dependencies, policy: MediaFetchPolicy) -> list[MediaClaim]:
    now = deps.clock.now()
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        due = [m for m in repo.due_media(now, policy.batch_size) if m.media is not None]
        claimed = [m.with_media(m.media.claimed(now, policy.lease)) for m in due if m.media]
        conversations = repo.get_conversations(sorted({m.conversation_id for m in claimed}))
        repo.update_messages(claimed)
        uow.commit()
    return [
        MediaClaim(m, conversations[m.conversation_id].business_number_id)
        for m in claimed
        if m.conversation_id in conversations
    ]


async def fetch_one(
    claim: MediaClaim,
    gateway: MessagingGateway,
    store: MediaStore,
    policy: MediaFetchPolicy,
    now: datetime,
) -> _Outcome:
    message = claim.message
    media = message.media
    assert media is not None, "claimed messages have a file"
    if message.media_id is None:
        return _Failed("Meta's webhook gave no media id for this file", retryable=False)
    if now >= meta_expiry(message):
        return _Failed("Meta no longer keeps this file (media ids last 7 days)", False)
    try:
        async with gateway.download_media(claim.business_number_id, message.media_id) as download:
            expected = media.announced_sha256 or normalized_sha256(download.media.sha256)
            stored = await store.put(
                download.chunks(), max_bytes=policy.max_bytes, expected_sha256=expected
            )
            return _Fetched(stored, download.media.mime_type)
    except GatewayError as error:
        return _Failed(f"Meta: {error}", error.retryable)
    except MediaTooLarge as error:
        return _Failed(str(error), retryable=False)
    except MediaChecksumMismatch as error:
        # A transfer that went wrong on the way may come right; a wrong file stays wrong,
        # and the attempts run out.
        return _Failed(str(error), retryable=True)
    except Exception as error:  # the store is down, a bug: recorded, retried, logged above
        return _Failed(f"{type(error).__name__}: {error}", retryable=True)


def record_media_outcomes(
    deps: Dependencies,
    policy: MediaFetchPolicy,
    claimed: Sequence[Message],
    outcomes: Sequence[_Outcome],
) -> MediaFetchReport:
    now = deps.clock.now()
    report = MediaFetchReport(claimed=len(claimed))
    events: list[Event] = []
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        current = repo.get_messages([message.id for message in claimed])
        changed: list[Message] = []
        for before, outcome in zip(claimed, outcomes, strict=True):
            message = current.get(before.id)
            if message is None or message.media != before.media:
                continue  # deleted, retried by a person, or re-claimed after our lease ran out
            assert message.media is not None
            media = _next_state(message, message.media, outcome, policy, now)
            changed.append(message.with_media(media))
            if media.status is MediaStatus.STORED:
                report = replace(report, stored=report.stored + 1)
            elif media.status is MediaStatus.FAILED:
                report = replace(report, failed=report.failed + 1)
            else:
                report = replace(report, retrying=report.retrying + 1)
            if media.status is not MediaStatus.PENDING:
                events.append(MediaStatusChanged(message.conversation_id, message.id, media.status))
        repo.update_messages(changed)
        uow.commit()
    deps.events.publish(events)
    return report


def _next_state(
    message: Message,
    media: MediaFile,
    outcome: _Outcome,
    policy: MediaFetchPolicy,
    now: datetime,
) -> MediaFile:
    if isinstance(outcome, _Fetched):
        return media.stored(outcome.stored, outcome.mime_type, now)
    if not outcome.retryable or media.attempts >= policy.max_attempts:
        return media.gave_up(outcome.reason)
    when = now + policy.delay_after(media.attempts)
    if when >= meta_expiry(message):
        return media.gave_up(outcome.reason)
    return media.retry_at(when, outcome.reason)


def retry_media_fetch(deps: Dependencies, message_id: str) -> Message:
    """A person asks to fetch a failed file again: a fresh set of attempts, starting now.

    Raises ``MessageNotFound`` for a message without a file to fetch, and
    ``MediaExpiredAtMeta`` once Meta's 7 days are over."""
    now = deps.clock.now()
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        message = repo.get_message(message_id)
        media = message.media
        if media is None or not message.is_inbound:
            raise MessageNotFound(message_id)
        if media.status in (MediaStatus.STORED, MediaStatus.PENDING):
            return message
        if now >= meta_expiry(message):
            raise MediaExpiredAtMeta(message_id, meta_expiry(message))
        message = message.with_media(media.fetch_again(now))
        repo.update_message(message)
        uow.commit()
    deps.events.publish(
        [MediaStatusChanged(message.conversation_id, message.id, MediaStatus.PENDING)]
    )
    return message
