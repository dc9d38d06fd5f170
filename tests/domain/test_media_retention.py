"""Retention on the in-memory adapters: old messages lose their files and keep everything
else, a file a newer message shares stays, a second run has nothing to do, and a crash
between marking and deleting leaves an orphan file, never a message claiming a lost one."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_whatsapp.adapters.media import InMemoryMediaStore
from crm_whatsapp.adapters.memory import InMemorySetup, build_in_memory
from crm_whatsapp.domain.errors import MediaStoreUnavailable
from crm_whatsapp.domain.events import MediaStatusChanged
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import MediaStatus
from crm_whatsapp.domain.message import IncomingMessage, Message, MessageKind
from crm_whatsapp.domain.ports import MediaStore
from crm_whatsapp.domain.use_cases import receive_inbound
from crm_whatsapp.domain.use_cases.media_fetch import fetch_due_media
from crm_whatsapp.domain.use_cases.media_retention import (
    PruneReport,
    count_prunable,
    prune_media,
)

NUMBER = "106540352242922"
NOW = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
ANA = CustomerIdentity.from_wa_id("5215512345678")


def content(label: int) -> bytes:
    return b"\xff\xd8\xff\xe0 photo %d " % label + bytes(range(256))


def digest(label: int) -> str:
    return hashlib.sha256(content(label)).hexdigest()


class Messages:
    """Customers' photos received and fetched at chosen ages, as the service would."""

    def __init__(self) -> None:
        self.setup: InMemorySetup = build_in_memory(now=NOW)
        self._count = 0

    def photo(self, label: int, days_old: float) -> Message:
        setup = self.setup
        self._count += 1
        media_id = f"m-{self._count}"
        setup.clock.set(NOW - timedelta(days=days_old))
        setup.gateway.add_media(media_id, content(label), "image/jpeg")
        incoming = IncomingMessage(
            business_number_id=NUMBER,
            customer=ANA,
            wamid=f"wamid.{media_id}",
            kind=MessageKind.IMAGE,
            timestamp=setup.clock.now(),
            media_id=media_id,
            details={"mime_type": "image/jpeg"},
        )
        outcome = receive_inbound(setup.deps, incoming)
        assert outcome.message is not None
        asyncio.run(fetch_due_media(setup.deps, setup.gateway, setup.media))
        setup.clock.set(NOW)
        stored = self.now(outcome.message)
        assert stored.media is not None
        assert stored.media.status is MediaStatus.STORED
        return stored

    def now(self, message: Message) -> Message:
        return self.setup.queries.message(message.id)

    def status(self, message: Message) -> MediaStatus:
        media = self.now(message).media
        assert media is not None
        return media.status

    def prune(
        self, days: float, store: MediaStore | None = None, batch_size: int = 200
    ) -> PruneReport:
        return asyncio.run(
            prune_media(
                self.setup.deps,
                store or self.setup.media,
                NOW - timedelta(days=days),
                batch_size=batch_size,
            )
        )


def test_old_files_are_deleted_and_new_ones_kept() -> None:
    messages = Messages()
    old = messages.photo(1, days_old=40)
    new = messages.photo(2, days_old=5)
    messages.setup.events.events.clear()

    report = messages.prune(days=30)

    assert report == PruneReport(pruned_messages=1, deleted_files=1, kept_shared=0)
    assert messages.status(old) is MediaStatus.PRUNED
    assert messages.status(new) is MediaStatus.STORED
    assert set(messages.setup.media.objects) == {digest(2)}
    pruned = messages.now(old)
    assert pruned.media is not None
    assert pruned.media.sha256 == digest(1)  # what the file was is still known
    assert pruned.media.size == len(content(1))
    assert messages.setup.events.events == [
        MediaStatusChanged(old.conversation_id, old.id, MediaStatus.PRUNED)
    ]


def test_a_file_an_old_and_a_new_message_share_stays_with_the_new_one() -> None:
    messages = Messages()
    old = messages.photo(1, days_old=40)
    new = messages.photo(1, days_old=2)  # the same photo, sent again

    report = messages.prune(days=30)

    assert report == PruneReport(pruned_messages=1, deleted_files=0, kept_shared=1)
    assert messages.status(old) is MediaStatus.PRUNED
    assert messages.status(new) is MediaStatus.STORED
    assert set(messages.setup.media.objects) == {digest(1)}


def test_a_file_two_old_messages_share_goes_even_across_batches() -> None:
    messages = Messages()
    first = messages.photo(1, days_old=50)
    second = messages.photo(1, days_old=40)

    report = messages.prune(days=30, batch_size=1)

    assert report == PruneReport(pruned_messages=2, deleted_files=1, kept_shared=0)
    assert {messages.status(first), messages.status(second)} == {MediaStatus.PRUNED}
    assert messages.setup.media.objects == {}


def test_a_second_run_has_nothing_to_do() -> None:
    messages = Messages()
    messages.photo(1, days_old=40)
    messages.photo(2, days_old=35)
    messages.photo(2, days_old=1)
    assert messages.prune(days=30) == PruneReport(2, 1, 1)
    events = len(messages.setup.events.events)

    assert messages.prune(days=30) == PruneReport(0, 0, 0)

    assert len(messages.setup.events.events) == events
    assert set(messages.setup.media.objects) == {digest(2)}


def test_a_dry_run_counts_what_a_run_does_and_changes_nothing() -> None:
    messages = Messages()
    old = messages.photo(1, days_old=40)
    messages.photo(1, days_old=45)
    messages.photo(2, days_old=31)
    messages.photo(2, days_old=3)
    messages.photo(3, days_old=3)
    before = NOW - timedelta(days=30)

    expected = count_prunable(messages.setup.deps, before, batch_size=1)

    assert expected == PruneReport(pruned_messages=3, deleted_files=1, kept_shared=1)
    assert messages.status(old) is MediaStatus.STORED
    assert len(messages.setup.media.objects) == 3
    assert messages.prune(days=30) == expected


class DeleteFails(InMemoryMediaStore):
    """A store that cannot delete (the process dies, the disk goes away, at that moment)."""

    async def delete(self, sha256: str) -> None:
        raise MediaStoreUnavailable("the disk went away")


def test_a_crash_between_marking_and_deleting_leaves_an_orphan_never_a_lost_file() -> None:
    messages = Messages()
    old = messages.photo(1, days_old=40)

    with pytest.raises(MediaStoreUnavailable):
        messages.prune(days=30, store=DeleteFails())

    assert messages.status(old) is MediaStatus.PRUNED  # it no longer claims the file
    assert set(messages.setup.media.objects) == {digest(1)}  # the orphan: wasted bytes
    assert messages.prune(days=30) == PruneReport(0, 0, 0)


def test_messages_without_a_stored_file_are_left_alone() -> None:
    messages = Messages()
    setup = messages.setup
    setup.clock.set(NOW - timedelta(days=40))
    incoming = IncomingMessage(
        business_number_id=NUMBER,
        customer=ANA,
        wamid="wamid.never-fetched",
        kind=MessageKind.IMAGE,
        timestamp=setup.clock.now(),
        media_id="m-unknown",
        details={"mime_type": "image/jpeg"},
    )
    outcome = receive_inbound(setup.deps, incoming)
    assert outcome.message is not None
    asyncio.run(fetch_due_media(setup.deps, setup.gateway, setup.media))  # Meta: no such id
    setup.clock.set(NOW)
    status = messages.status(outcome.message)
    assert status in (MediaStatus.PENDING, MediaStatus.FAILED)

    assert messages.prune(days=30) == PruneReport(0, 0, 0)

    assert messages.status(outcome.message) is status


def test_a_batch_size_below_one_is_refused() -> None:
    messages = Messages()
    with pytest.raises(ValueError, match="batch_size"):
        messages.prune(days=30, batch_size=0)
    with pytest.raises(ValueError, match="batch_size"):
        count_prunable(messages.setup.deps, NOW, batch_size=0)


def test_progress_is_told_the_messages_pruned_so_far() -> None:
    messages = Messages()
    for label in range(5):
        messages.photo(label, days_old=40 + label)
    seen: list[int] = []

    asyncio.run(
        prune_media(
            messages.setup.deps,
            messages.setup.media,
            NOW - timedelta(days=30),
            batch_size=2,
            progress=seen.append,
        )
    )

    assert seen == [2, 4, 5]


@settings(max_examples=40, deadline=None)
@given(
    files=st.lists(
        st.tuples(st.integers(0, 4), st.floats(0, 60, allow_nan=False)), min_size=1, max_size=12
    ),
    days=st.integers(1, 60),
    batch_size=st.integers(1, 5),
)
def test_after_a_prune_the_store_holds_exactly_the_files_of_unpruned_messages(
    files: list[tuple[int, float]], days: int, batch_size: int
) -> None:
    messages = Messages()
    sent = [messages.photo(label, days_old=age) for label, age in files]
    cutoff = NOW - timedelta(days=days)
    expected = count_prunable(messages.setup.deps, cutoff, batch_size)

    report = messages.prune(days=days, batch_size=batch_size)

    assert report == expected
    after = [messages.now(message) for message in sent]
    for message in after:
        assert message.media is not None
        old = message.created_at < cutoff
        assert message.media.status is (MediaStatus.PRUNED if old else MediaStatus.STORED)
    kept = {m.media.sha256 for m in after if m.media and m.media.status is MediaStatus.STORED}
    assert set(messages.setup.media.objects) == kept
    old_digests = {m.media.sha256 for m in after if m.media and m.created_at < cutoff}
    assert report.pruned_messages == sum(1 for m in after if m.created_at < cutoff)
    assert report.deleted_files == len(old_digests - kept)
    assert report.kept_shared == len(old_digests & kept)
    assert messages.prune(days=days, batch_size=batch_size) == PruneReport(0, 0, 0)
