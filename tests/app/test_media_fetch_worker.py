"""The media job's loop: woken by a stored message, it fetches at once; a pass that fails
is logged and the loop goes on; stop ends it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterable

import pytest

from crm_whatsapp.adapters.media import InMemoryMediaStore
from crm_whatsapp.adapters.memory import InMemorySetup, build_in_memory
from crm_whatsapp.app.media_fetch_worker import MediaFetchWorker, may_have_queued_a_file
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.errors import MediaStoreUnavailable
from crm_whatsapp.domain.events import (
    ConversationChanged,
    DeliveryStatusChanged,
    MediaStatusChanged,
    MessageStored,
)
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import MediaStatus, StoredObject
from crm_whatsapp.domain.message import IncomingMessage, MessageKind
from crm_whatsapp.domain.use_cases import receive_inbound

PHOTO = b"\xff\xd8\xff" + b"photo" * 100


def _photo(setup: InMemorySetup) -> str:
    setup.gateway.add_media("m-1", PHOTO, "image/jpeg")
    outcome = receive_inbound(
        setup.deps,
        IncomingMessage(
            business_number_id="106540352242922",
            customer=CustomerIdentity(wa_id="5215512345678"),
            wamid="wamid.photo",
            kind=MessageKind.IMAGE,
            timestamp=setup.clock.now(),
            media_id="m-1",
        ),
    )
    assert outcome.message is not None
    return outcome.message.id


def test_only_stored_messages_and_retries_wake_the_job() -> None:
    assert may_have_queued_a_file([MessageStored("c", "m")])
    assert may_have_queued_a_file([MediaStatusChanged("c", "m", MediaStatus.PENDING)])
    assert not may_have_queued_a_file([MediaStatusChanged("c", "m", MediaStatus.STORED)])
    assert not may_have_queued_a_file(
        [ConversationChanged("c"), DeliveryStatusChanged("c", "m", DeliveryStatus.READ)]
    )


def test_a_woken_job_fetches_at_once_and_stops_when_told() -> None:
    setup = build_in_memory()

    async def scenario() -> MediaStatus | None:
        stop, wake = asyncio.Event(), asyncio.Event()
        worker = MediaFetchWorker(
            setup.deps, setup.gateway, setup.media, poll_interval=60, settle_seconds=0.01
        )
        running = asyncio.create_task(worker.run(stop, wake))
        await asyncio.sleep(0.05)  # idle: nothing due
        message_id = await asyncio.to_thread(_photo, setup)
        wake.set()
        for _ in range(200):
            media = setup.queries.message(message_id).media
            if media is not None and media.status is MediaStatus.STORED:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(running, 2)
        final = setup.queries.message(message_id).media
        return final.status if final else None

    assert asyncio.run(scenario()) is MediaStatus.STORED


class _BrokenStore(InMemoryMediaStore):
    def __init__(self) -> None:
        super().__init__()
        self.broken = True

    async def put(
        self,
        chunks: AsyncIterable[bytes],
        *,
        max_bytes: int,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        if self.broken:
            raise MediaStoreUnavailable("the disk is full")
        return await super().put(chunks, max_bytes=max_bytes, expected_sha256=expected_sha256)


def test_a_store_that_fails_is_retried_later_and_the_file_is_never_lost(
    caplog: pytest.LogCaptureFixture,
) -> None:
    setup = build_in_memory()
    store = _BrokenStore()
    message_id = _photo(setup)
    worker = MediaFetchWorker(setup.deps, setup.gateway, store)
    with caplog.at_level(logging.INFO, "crm_whatsapp.media"):
        report = asyncio.run(worker.run_once())
    assert report.retrying == 1
    media = setup.queries.message(message_id).media
    assert media is not None
    assert media.status is MediaStatus.PENDING
    assert "disk is full" in (media.error or "")
    store.broken = False
    setup.clock.advance(media.next_attempt_at - setup.clock.now())  # type: ignore[operator]
    assert asyncio.run(worker.run_once()).stored == 1
