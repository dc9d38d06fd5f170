"""A media message on memory, SQLite and PostgreSQL: what a signed webhook may carry never
stops it from being stored, the fetch job's queue works on each, and retention never takes
a file a pending fetch is about to point at."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import MediaStatus
from crm_whatsapp.domain.message import IncomingMessage, MessageKind
from crm_whatsapp.domain.use_cases import receive_inbound
from crm_whatsapp.domain.use_cases.media_fetch import fetch_due_media

PHOTO = b"\xff\xd8\xff" + b"receipt" * 300


def _photo(mime_type: str, media_id: str = "m-1", sha256: str | None = None) -> IncomingMessage:
    details = {"mime_type": mime_type} | ({"sha256": sha256} if sha256 else {})
    return IncomingMessage(
        business_number_id="106540352242922",
        customer=CustomerIdentity(wa_id="5215512345678"),
        wamid=f"wamid.{media_id}",
        kind=MessageKind.IMAGE,
        timestamp=datetime(2026, 1, 15, 15, tzinfo=UTC),
        media_id=media_id,
        details=details,
    )


def test_a_media_type_no_column_could_hold_is_no_reason_to_refuse_the_message(
    backend: Callable[..., Any],
) -> None:
    crm = backend()
    crm.gateway.add_media("m-1", PHOTO, "image/jpeg")
    outcome = receive_inbound(crm.deps, _photo("image/" + "x" * 1000))
    assert outcome.message is not None
    stored = crm.queries.message(outcome.message.id)
    assert stored.media is not None
    assert stored.media.mime_type is None  # Meta's lookup says it again
    assert crm.deps.media is not None
    asyncio.run(fetch_due_media(crm.deps, crm.gateway, crm.deps.media))
    fetched = crm.queries.message(outcome.message.id).media
    assert fetched is not None
    assert fetched.status is MediaStatus.STORED
    assert fetched.mime_type == "image/jpeg"


def test_retention_keeps_a_file_a_pending_fetch_announced(backend: Callable[..., Any]) -> None:
    crm = backend()
    digest = hashlib.sha256(PHOTO).hexdigest()
    receive_inbound(crm.deps, _photo("image/jpeg", "m-2", sha256=digest))
    with crm.deps.unit_of_work() as uow:
        in_use = uow.conversations.media_in_use([digest, "0" * 64])
    assert in_use == {digest}
