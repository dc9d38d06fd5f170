"""Fetching customers' files, on the in-memory adapters: the message is stored first, the
file follows, and whatever Meta does the message is never lost and its file's state only
ever says what is true (stored means our copy is there and matches Meta's digest)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crm_whatsapp.adapters.memory import InMemorySetup, build_in_memory
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import MediaStatus
from crm_whatsapp.domain.message import IncomingMessage, Message, MessageKind
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.use_cases import receive_inbound
from crm_whatsapp.domain.use_cases.media_fetch import (
    MediaExpiredAtMeta,
    MediaFetchPolicy,
    fetch_due_media,
    retry_media_fetch,
)

NUMBER = "106540352242922"
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
ANA = CustomerIdentity(wa_id="5215512345678", phone=PhoneNumber.parse("+525512345678"))


def _photo_message(setup: InMemorySetup, media_id: str = "m-1", **details: object) -> Message:
    incoming = IncomingMessage(
        business_number_id=NUMBER,
        customer=ANA,
        wamid=f"wamid.{media_id}",
        kind=MessageKind.IMAGE,
        timestamp=setup.clock.now(),
        text="el comprobante",
        media_id=media_id,
        details={"mime_type": "image/jpeg", **details},
    )
    outcome = receive_inbound(setup.deps, incoming)
    assert outcome.message is not None
    return outcome.message


def _fetch(setup: InMemorySetup, policy: MediaFetchPolicy | None = None) -> None:
    assert setup.deps.media is not None
    asyncio.run(fetch_due_media(setup.deps, setup.gateway, setup.deps.media, policy))


def _stored(setup: InMemorySetup, message: Message) -> Message:
    return setup.queries.message(message.id)


def test_the_message_is_stored_before_its_file_is_fetched() -> None:
    setup = build_in_memory()
    setup.gateway.add_media("m-1", PHOTO, "image/jpeg")
    message = _photo_message(setup)
    assert message.media is not None
    assert message.media.status is MediaStatus.PENDING
    assert setup.gateway.downloads == []
    assert setup.media.objects == {}
    _fetch(setup)
    media = _stored(setup, message).media
    assert media is not None
    assert media.status is MediaStatus.STORED
    assert media.sha256 == hashlib.sha256(PHOTO).hexdigest()
    assert media.size == len(PHOTO)
    assert setup.media.objects == {media.sha256: PHOTO}


def test_a_digest_in_base64_as_webhooks_carry_it_is_checked_too() -> None:
    import base64

    setup = build_in_memory()
    setup.gateway.add_media("m-1", PHOTO, "image/jpeg", sha256="0" * 64)  # Meta's lookup lies
    announced = base64.b64encode(hashlib.sha256(PHOTO).digest()).decode()
    message = _photo_message(setup, sha256=announced)
    _fetch(setup)
    media = _stored(setup, message).media
    assert media is not None
    assert media.status is MediaStatus.STORED  # the webhook's digest wins, and matches


def test_a_file_older_than_metas_seven_days_fails_without_asking_meta() -> None:
    setup = build_in_memory()
    setup.gateway.add_media("m-1", PHOTO, "image/jpeg")
    message = _photo_message(setup)
    setup.clock.advance(timedelta(days=7, minutes=1))
    _fetch(setup)
    media = _stored(setup, message).media
    assert media is not None
    assert media.status is MediaStatus.FAILED
    assert "7 days" in (media.error or "")
    assert setup.gateway.downloads == []
    with pytest.raises(MediaExpiredAtMeta):
        retry_media_fetch(setup.deps, message.id)


def test_a_person_retries_a_failed_file_with_fresh_attempts() -> None:
    setup = build_in_memory()
    message = _photo_message(setup)  # Meta does not have it (yet)
    _fetch(setup)
    failed = _stored(setup, message).media
    assert failed is not None
    assert failed.status is MediaStatus.FAILED
    setup.gateway.add_media("m-1", PHOTO, "image/jpeg")
    again = retry_media_fetch(setup.deps, message.id).media
    assert again is not None
    assert again.status is MediaStatus.PENDING
    assert again.attempts == 0
    _fetch(setup)
    media = _stored(setup, message).media
    assert media is not None
    assert media.status is MediaStatus.STORED


Attempt = st.sampled_from(["ok", "busy", "corrupt", "gone"])


@settings(max_examples=60, deadline=None)
@given(attempts=st.lists(Attempt, min_size=1, max_size=8), max_attempts=st.integers(1, 5))
def test_whatever_meta_does_the_message_stays_and_its_file_state_is_true(
    attempts: list[str], max_attempts: int
) -> None:
    setup = build_in_memory()
    policy = MediaFetchPolicy(max_attempts=max_attempts, first_delay=timedelta(seconds=1))
    message = _photo_message(setup)
    expected = "pending"
    for number, attempt in enumerate(attempts, start=1):
        if attempt == "ok":
            setup.gateway.add_media("m-1", PHOTO, "image/jpeg")
        elif attempt == "corrupt":
            setup.gateway.add_media("m-1", PHOTO, "image/jpeg", sha256="1" * 64)
        elif attempt == "gone":
            setup.gateway.add_media("m-1", PHOTO, "image/jpeg")
            setup.gateway.expire_media("m-1")
        else:
            setup.gateway.add_media("m-1", PHOTO, "image/jpeg")
            setup.gateway.fail_next(GatewayError("(#131000) busy", retryable=True))
        _fetch(setup, policy)
        setup.clock.advance(timedelta(hours=1))
        if attempt == "ok":
            expected = "stored"
        elif attempt == "gone" or number >= max_attempts:
            expected = "failed"
        if expected != "pending":
            break
    stored = _stored(setup, message)  # never lost, whatever happened
    media = stored.media
    assert media is not None
    assert media.status.value == expected
    assert media.attempts <= max_attempts
    if media.status is MediaStatus.STORED:
        assert media.sha256 == hashlib.sha256(PHOTO).hexdigest()
        assert setup.media.objects == {media.sha256: PHOTO}
    else:
        assert setup.media.objects == {}  # a wrong or partial file is never kept
    if media.status is MediaStatus.FAILED:
        assert media.error
