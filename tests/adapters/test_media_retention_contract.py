"""Retention's queries (``stored_media_older_than``, ``media_in_use``,
``media_usage_older_than``): the in-memory reference, SQLite and PostgreSQL answer alike,
so ``crm-whatsapp media prune`` deletes the same files on each."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_whatsapp.adapters.media import InMemoryMediaStore
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import MediaStatus, MediaUsage
from crm_whatsapp.domain.message import IncomingMessage, Message, MessageKind
from crm_whatsapp.domain.use_cases import receive_inbound
from crm_whatsapp.domain.use_cases.media_fetch import fetch_due_media
from crm_whatsapp.domain.use_cases.media_retention import (
    PruneReport,
    count_prunable,
    prune_media,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NUMBER = "106540352242922"
Backend = Any  # tests/conftest.py's Backend, as the ``backend`` fixture builds it
BackendFactory = Callable[..., Any]


def content(label: int) -> bytes:
    return b"%%PDF-1.4 file %d " % label + bytes(range(64))


def digest(label: int) -> str:
    return hashlib.sha256(content(label)).hexdigest()


def received(backend: Backend, label: int, days_old: float, n: int) -> Message:
    """A customer's document ``days_old`` days ago, fetched into the store at the time."""
    backend.clock.set(NOW - timedelta(days=days_old))
    backend.gateway.add_media(f"m-{n}", content(label), "application/pdf")
    outcome = receive_inbound(
        backend.deps,
        IncomingMessage(
            business_number_id=NUMBER,
            customer=CustomerIdentity.from_wa_id(f"52155{n:08d}"),
            wamid=f"wamid.retention.{n}",
            kind=MessageKind.DOCUMENT,
            timestamp=backend.clock.now(),
            media_id=f"m-{n}",
            details={"mime_type": "application/pdf", "filename": f"file-{n}.pdf"},
        ),
    )
    assert outcome.message is not None
    assert backend.deps.media is not None
    asyncio.run(fetch_due_media(backend.deps, backend.gateway, backend.deps.media))
    backend.clock.set(NOW)
    return outcome.message


def store_of(backend: Backend) -> InMemoryMediaStore:
    assert isinstance(backend.deps.media, InMemoryMediaStore)
    return backend.deps.media


def test_the_queries_answer_alike(backend: BackendFactory) -> None:
    b = backend(now=NOW)
    for n, (label, days) in enumerate([(1, 50), (1, 40), (2, 35), (2, 1), (3, 2)]):
        received(b, label, days, n)
    cutoff = NOW - timedelta(days=30)

    with b.deps.unit_of_work() as uow:
        repo = uow.conversations
        old = repo.stored_media_older_than(cutoff, 10)
        first_two = repo.stored_media_older_than(cutoff, 2)
        in_use = repo.media_in_use([digest(1), digest(2), digest(3), "0" * 64])
        usage = repo.media_usage_older_than(cutoff, None, 10)
        after = repo.media_usage_older_than(cutoff, usage[0].sha256, 10)

    assert [m.created_at for m in old] == sorted(m.created_at for m in old)
    assert [m.media.sha256 for m in old if m.media] == [digest(1), digest(1), digest(2)]
    assert [m.id for m in first_two] == [m.id for m in old[:2]]
    assert in_use == {digest(1), digest(2), digest(3)}
    assert sorted(usage, key=lambda u: u.sha256) == sorted(
        [MediaUsage(digest(1), 2, False), MediaUsage(digest(2), 1, True)],
        key=lambda u: u.sha256,
    )
    assert after == usage[1:]


def test_prune_deletes_what_no_newer_message_keeps(backend: BackendFactory) -> None:
    b = backend(now=NOW)
    for n, (label, days) in enumerate([(1, 50), (1, 40), (2, 35), (2, 1), (3, 2)]):
        received(b, label, days, n)
    cutoff = NOW - timedelta(days=30)
    assert count_prunable(b.deps, cutoff, batch_size=1) == PruneReport(3, 1, 1)

    report = asyncio.run(prune_media(b.deps, store_of(b), cutoff, batch_size=2))

    assert report == PruneReport(pruned_messages=3, deleted_files=1, kept_shared=1)
    assert set(store_of(b).objects) == {digest(2), digest(3)}
    statuses = sorted(
        (m.created_at, m.media.status) for m in b.snapshot().messages.values() if m.media
    )
    assert [status for _, status in statuses] == [MediaStatus.PRUNED] * 3 + [MediaStatus.STORED] * 2
    with b.deps.unit_of_work() as uow:
        assert uow.conversations.media_in_use([digest(1), digest(2)]) == {digest(2)}
        assert uow.conversations.stored_media_older_than(cutoff, 10) == []
        assert uow.conversations.media_usage_older_than(cutoff, None, 10) == []
    assert asyncio.run(prune_media(b.deps, store_of(b), cutoff)) == PruneReport()


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    files=st.lists(
        st.tuples(st.integers(0, 3), st.floats(0, 60, allow_nan=False)), min_size=1, max_size=8
    ),
    days=st.integers(1, 60),
    batch_size=st.integers(1, 4),
)
def test_after_a_prune_exactly_the_files_of_unpruned_messages_remain(
    backend: BackendFactory, files: list[tuple[int, float]], days: int, batch_size: int
) -> None:
    b = backend(now=NOW)
    for n, (label, age) in enumerate(files):
        received(b, label, age, n)
    cutoff = NOW - timedelta(days=days)
    expected = count_prunable(b.deps, cutoff, batch_size)

    report = asyncio.run(prune_media(b.deps, store_of(b), cutoff, batch_size=batch_size))

    assert report == expected
    messages = [m for m in b.snapshot().messages.values() if m.media is not None]
    kept = {m.media.sha256 for m in messages if m.media and m.media.is_stored}
    assert set(store_of(b).objects) == kept
    for message in messages:
        assert message.media is not None
        old = message.created_at < cutoff
        assert message.media.status is (MediaStatus.PRUNED if old else MediaStatus.STORED)
