"""An agent's file: queued only inside the 24-hour window, with Meta's caption rules, and
sent by the outbox as an upload of our copy followed by a message naming it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway, InMemorySetup, build_in_memory
from crm_whatsapp.domain.errors import InvalidOutboundMessage, OutsideServiceWindow
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import MediaFile, StoredObject
from crm_whatsapp.domain.message import IncomingMessage, MessageKind
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.use_cases import (
    RetryPolicy,
    agent_reply,
    receive_inbound,
    send_due_outbound,
)
from crm_whatsapp.domain.use_cases.agent import Attachment

NUMBER = "106540352242922"
ANA = CustomerIdentity(wa_id="5215512345678", phone=PhoneNumber.parse("+525512345678"))
PDF = b"%PDF-1.4\n" + b"x" * 500


def _conversation(setup: InMemorySetup) -> str:
    incoming = IncomingMessage(
        business_number_id=NUMBER,
        customer=ANA,
        wamid="wamid.hola",
        kind=MessageKind.TEXT,
        timestamp=setup.clock.now(),
        text="Hola",
    )
    outcome = receive_inbound(setup.deps, incoming)
    assert outcome.conversation_id is not None
    asyncio.run(send_due_outbound(setup.deps, setup.gateway))  # the greeting
    return outcome.conversation_id


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


async def _kept(setup: InMemorySetup, content: bytes) -> StoredObject:
    return await setup.media.put(_once(content), max_bytes=10**6)


def _document(setup: InMemorySetup) -> Attachment:
    stored = asyncio.run(_kept(setup, PDF))
    media = MediaFile.uploaded(stored, "application/pdf", setup.clock.now(), filename="cot.pdf")
    return Attachment(MessageKind.DOCUMENT, media)


def test_the_outbox_uploads_our_copy_and_sends_it_by_media_id() -> None:
    setup = build_in_memory()
    conversation_id = _conversation(setup)
    message = agent_reply(
        setup.deps, conversation_id, "Laura", text="Tu cotización", attachment=_document(setup)
    )
    assert message.kind is MessageKind.DOCUMENT
    asyncio.run(send_due_outbound(setup.deps, setup.gateway))
    upload = setup.gateway.uploads[-1]
    assert upload.content == PDF
    assert upload.mime_type == "application/pdf"
    sent = setup.gateway.sent[-1]
    assert sent.kind is MessageKind.DOCUMENT
    assert sent.media_id == upload.media_id
    assert sent.caption == "Tu cotización"
    assert sent.filename == "cot.pdf"
    assert setup.queries.message(message.id).delivery_status is not None
    assert setup.queries.message(message.id).wamid == sent.wamid


def test_a_file_outside_the_24_hour_window_is_refused() -> None:
    setup = build_in_memory()
    conversation_id = _conversation(setup)
    setup.clock.advance(timedelta(hours=24, minutes=1))
    with pytest.raises(OutsideServiceWindow):
        agent_reply(setup.deps, conversation_id, "Laura", attachment=_document(setup))


def test_whatsapp_takes_no_caption_with_a_voice_note() -> None:
    setup = build_in_memory()
    conversation_id = _conversation(setup)
    stored = asyncio.run(_kept(setup, b"OggS voice"))
    voice = MediaFile.uploaded(stored, "audio/ogg", setup.clock.now(), voice=True)
    with pytest.raises(InvalidOutboundMessage, match="caption"):
        agent_reply(
            setup.deps,
            conversation_id,
            "Laura",
            text="escucha",
            attachment=Attachment(MessageKind.AUDIO, voice),
        )


def test_a_file_not_in_the_store_cannot_be_attached() -> None:
    with pytest.raises(InvalidOutboundMessage, match="media store"):
        Attachment(MessageKind.IMAGE, MediaFile())


class _SlowUploads(InMemoryMessagingGateway):
    """Meta taking its time over each upload; counts how many were going at once."""

    def __init__(self) -> None:
        super().__init__()
        self.uploading = 0
        self.most_at_once = 0

    async def upload_media(
        self, business_number_id: str, content: bytes, mime_type: str, filename: str
    ) -> str:
        self.uploading += 1
        self.most_at_once = max(self.most_at_once, self.uploading)
        try:
            await asyncio.sleep(0.02)
            return await super().upload_media(business_number_id, content, mime_type, filename)
        finally:
            self.uploading -= 1


def test_files_go_up_a_few_at_a_time_each_conversation_in_order() -> None:
    setup = build_in_memory()
    gateway = _SlowUploads()
    conversations = []
    for number in range(6):
        customer = CustomerIdentity(wa_id=f"52155123456{number:02d}")
        outcome = receive_inbound(
            setup.deps,
            IncomingMessage(
                business_number_id=NUMBER,
                customer=customer,
                wamid=f"wamid.{number}",
                kind=MessageKind.TEXT,
                timestamp=setup.clock.now(),
                text="Hola",
            ),
        )
        assert outcome.conversation_id is not None
        conversations.append(outcome.conversation_id)
    asyncio.run(send_due_outbound(setup.deps, gateway))  # the greetings
    for conversation_id in conversations:
        agent_reply(setup.deps, conversation_id, "Laura", attachment=_document(setup))
    report = asyncio.run(send_due_outbound(setup.deps, gateway, RetryPolicy(uploads=2)))
    assert report.sent == 6
    assert len(gateway.uploads) == 6
    assert gateway.most_at_once == 2
