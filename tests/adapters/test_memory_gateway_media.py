"""The in-memory gateway's files: what tests script in place of Meta's media endpoints."""

from __future__ import annotations

import asyncio
import hashlib
from contextlib import AbstractAsyncContextManager

import pytest

from crm_whatsapp.adapters.memory import SentMessage as ExportedSentMessage
from crm_whatsapp.adapters.memory.gateway import (
    InMemoryMessagingGateway,
    SentMessage,
    UploadedMedia,
)
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import RemoteMedia
from crm_whatsapp.domain.message import MessageKind
from crm_whatsapp.domain.ports import MediaDownload

BUSINESS = "106540352242922"
CUSTOMER = CustomerIdentity.from_wa_id("5215512345678")
JPEG = b"\xff\xd8\xff" + bytes(range(256)) * 10


def read(download: AbstractAsyncContextManager[MediaDownload]) -> tuple[RemoteMedia, list[bytes]]:
    async def scenario() -> tuple[RemoteMedia, list[bytes]]:
        async with download as file:
            return file.media, [chunk async for chunk in file.chunks()]

    return asyncio.run(scenario())


def test_an_added_file_downloads_in_chunks_with_its_real_digest() -> None:
    gateway = InMemoryMessagingGateway(media_chunk_size=1000)
    announced = gateway.add_media("m1", JPEG, "image/jpeg")

    media, chunks = read(gateway.download_media(BUSINESS, "m1"))

    assert (
        media == announced == RemoteMedia("image/jpeg", hashlib.sha256(JPEG).hexdigest(), len(JPEG))
    )
    assert b"".join(chunks) == JPEG
    assert [len(chunk) for chunk in chunks] == [1000, 1000, 563]
    assert gateway.downloads == ["m1"]


def test_a_wrong_digest_is_announced_as_given_to_simulate_a_corrupt_transfer() -> None:
    gateway = InMemoryMessagingGateway()
    wrong = "AB" * 32
    gateway.add_media("m1", JPEG, "image/jpeg", sha256=wrong)

    media, chunks = read(gateway.download_media(BUSINESS, "m1"))

    assert media.sha256 == wrong.lower()
    assert hashlib.sha256(b"".join(chunks)).hexdigest() != media.sha256


@pytest.mark.parametrize("gone", ["expired", "unknown"])
def test_an_expired_or_unknown_media_id_is_final(gone: str) -> None:
    gateway = InMemoryMessagingGateway()
    gateway.add_media("m1", JPEG, "image/jpeg")
    if gone == "expired":
        gateway.expire_media("m1")

    with pytest.raises(GatewayError) as failed:
        read(gateway.download_media(BUSINESS, "m1" if gone == "expired" else "m2"))

    assert (failed.value.retryable, failed.value.error_code) == (False, "100")
    assert gateway.downloads == []


def test_fail_next_scripts_a_retryable_download_failure_then_it_works() -> None:
    gateway = InMemoryMessagingGateway()
    gateway.add_media("m1", JPEG, "image/jpeg")
    gateway.fail_next(GatewayError("Meta is down", retryable=True, error_code="2"))

    with pytest.raises(GatewayError) as failed:
        read(gateway.download_media(BUSINESS, "m1"))
    _, chunks = read(gateway.download_media(BUSINESS, "m1"))

    assert failed.value.retryable is True
    assert b"".join(chunks) == JPEG


def test_an_upload_is_recorded_and_downloadable_under_a_new_id() -> None:
    gateway = InMemoryMessagingGateway()

    async def upload_twice() -> list[str]:
        return [
            await gateway.upload_media(BUSINESS, b"%PDF-1", "application/pdf", "a.pdf"),
            await gateway.upload_media(BUSINESS, b"%PDF-2", "application/pdf", "b.pdf"),
        ]

    first, second = asyncio.run(upload_twice())

    assert first != second
    assert gateway.uploads == [
        UploadedMedia(BUSINESS, first, b"%PDF-1", "application/pdf", "a.pdf"),
        UploadedMedia(BUSINESS, second, b"%PDF-2", "application/pdf", "b.pdf"),
    ]
    assert b"".join(read(gateway.download_media(BUSINESS, second))[1]) == b"%PDF-2"


def test_fail_next_upload_fails_uploads_alone() -> None:
    gateway = InMemoryMessagingGateway()
    gateway.fail_next_upload(GatewayError("too big", retryable=False, error_code="131053"))

    async def scenario() -> str:
        with pytest.raises(GatewayError):
            await gateway.upload_media(BUSINESS, b"x", "image/gif", "a.gif")
        await gateway.send_text(BUSINESS, CUSTOMER, "hola")
        return await gateway.upload_media(BUSINESS, b"x", "image/jpeg", "a.jpg")

    asyncio.run(scenario())

    assert len(gateway.uploads) == 1
    assert len(gateway.sent) == 1


def test_send_media_records_the_file_and_its_fields() -> None:
    gateway = InMemoryMessagingGateway()

    async def scenario() -> list[str]:
        return [
            await gateway.send_media(
                BUSINESS,
                CUSTOMER,
                MessageKind.DOCUMENT,
                "m1",
                caption="tu factura",
                filename="f.pdf",
                reply_to_wamid="wamid.in",
            ),
            await gateway.send_media(BUSINESS, CUSTOMER, MessageKind.AUDIO, "m2", voice=True),
        ]

    document, audio = asyncio.run(scenario())

    assert gateway.sent == [
        SentMessage(
            BUSINESS,
            CUSTOMER,
            document,
            reply_to_wamid="wamid.in",
            kind=MessageKind.DOCUMENT,
            media_id="m1",
            caption="tu factura",
            filename="f.pdf",
        ),
        SentMessage(BUSINESS, CUSTOMER, audio, kind=MessageKind.AUDIO, media_id="m2", voice=True),
    ]
    assert ExportedSentMessage is SentMessage


def test_before_send_and_fail_next_apply_to_media_sends_as_to_text() -> None:
    seen: list[SentMessage] = []

    async def before_send(message: SentMessage) -> None:
        seen.append(message)
        if message.media_id == "throttled":
            raise GatewayError("pair rate limit", retryable=True, error_code="131056")

    gateway = InMemoryMessagingGateway(before_send=before_send)
    gateway.fail_next(GatewayError("down", retryable=True))

    async def scenario() -> None:
        with pytest.raises(GatewayError, match="down"):
            await gateway.send_media(BUSINESS, CUSTOMER, MessageKind.IMAGE, "m1")
        with pytest.raises(GatewayError, match="pair rate limit"):
            await gateway.send_media(BUSINESS, CUSTOMER, MessageKind.IMAGE, "throttled")
        await gateway.send_media(BUSINESS, CUSTOMER, MessageKind.IMAGE, "m1", caption="c")

    asyncio.run(scenario())

    assert [message.media_id for message in seen] == ["m1", "throttled", "m1"]
    assert [(message.media_id, message.caption) for message in gateway.sent] == [("m1", "c")]


def test_a_kind_that_is_not_a_file_is_refused() -> None:
    gateway = InMemoryMessagingGateway()

    with pytest.raises(GatewayError) as failed:
        asyncio.run(gateway.send_media(BUSINESS, CUSTOMER, MessageKind.TEXT, "m1"))

    assert failed.value.error_code == "invalid_media_kind"
    assert gateway.sent == []


def test_text_sends_still_record_the_old_fields_only() -> None:
    gateway = InMemoryMessagingGateway()

    wamid = asyncio.run(gateway.send_text(BUSINESS, CUSTOMER, "hola", reply_to_wamid="w"))

    assert gateway.sent == [SentMessage(BUSINESS, CUSTOMER, wamid, "hola", None, "w")]
    assert gateway.sent[0].kind is None
