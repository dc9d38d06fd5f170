"""The gateways the app wraps around the real one pass files through untouched:
``GraphApiSessions`` (a Graph API client per call) and ``LifespanGateway`` (the server's
loop), over a loopback fake Graph API and the in-memory double."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator

import pytest

from crm_whatsapp.adapters.memory.gateway import InMemoryMessagingGateway
from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiSettings
from crm_whatsapp.app.gateway_sessions import GraphApiSessions, gateway_sessions
from crm_whatsapp.app.read_receipts import LifespanGateway
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import MessageKind
from crm_whatsapp.domain.ports import MessagingGateway

TOKEN = "EAAG-wrappers-token"
BUSINESS = "106540352242922"
CUSTOMER = CustomerIdentity.from_wa_id("5215512345678")
PDF = b"%PDF-1.4 " + bytes(range(256)) * 300


@pytest.fixture(scope="module")
def fake() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api(access_token=TOKEN) as running:
        yield running


async def round_trip(gateway: MessagingGateway) -> tuple[bytes, str | None, str]:
    """Upload, download what was uploaded, send it: the bytes, their digest, the wamid."""
    media_id = await gateway.upload_media(BUSINESS, PDF, "application/pdf", "factura.pdf")
    async with gateway.download_media(BUSINESS, media_id) as file:
        content = b"".join([chunk async for chunk in file.chunks()])
        digest = file.media.sha256
    wamid = await gateway.send_media(
        BUSINESS, CUSTOMER, MessageKind.DOCUMENT, media_id, caption="c", filename="factura.pdf"
    )
    return content, digest, wamid


def test_graph_api_sessions_upload_download_and_send_files(fake) -> None:
    sessions = GraphApiSessions(GraphApiSettings(TOKEN, base_url=fake.base_url))

    content, digest, wamid = asyncio.run(round_trip(sessions))

    assert content == PDF
    assert digest == hashlib.sha256(PDF).hexdigest()
    [accepted] = [message for message in fake.state.accepted() if message.wamid == wamid]
    assert (accepted.type, accepted.filename, accepted.caption) == ("document", "factura.pdf", "c")


def test_the_lifespan_gateway_passes_files_through_once_open() -> None:
    double = InMemoryMessagingGateway()
    lifespan = LifespanGateway(gateway_sessions(double))

    async def scenario() -> tuple[bytes, str | None, str]:
        with pytest.raises(GatewayError) as closed:
            async with lifespan.download_media(BUSINESS, "1"):
                pass
        assert closed.value.retryable is True
        await lifespan.open()
        try:
            return await round_trip(lifespan)
        finally:
            await lifespan.close()

    content, digest, wamid = asyncio.run(scenario())

    assert content == PDF
    assert digest == hashlib.sha256(PDF).hexdigest()
    [sent] = double.sent
    assert (sent.wamid, sent.kind, sent.filename) == (wamid, MessageKind.DOCUMENT, "factura.pdf")
