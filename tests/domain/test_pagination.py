"""Cursors are opaque, round-trip exactly, and only what this key made for this listing and
this conversation is accepted; anything else is refused by name."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.errors import InvalidCursor, InvalidQueryParameter
from crm_whatsapp.domain.pagination import (
    MAX_PAGE_SIZE,
    CursorCodec,
    CursorKind,
    Position,
    check_page_size,
)

CODEC = CursorCodec.derived_from("the deployment's app secret")
AT = datetime(2026, 1, 1, tzinfo=UTC)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


def _raw(cursor: str) -> list[str]:
    decoded: list[str] = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    return decoded


def _cursor(raw: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(raw).encode()).decode().rstrip("=")


@given(instants, st.text(max_size=40), st.sampled_from(CursorKind), st.text(max_size=40))
def test_a_cursor_decodes_to_the_position_it_encodes(
    at: datetime, item: str, kind: CursorKind, scope: str
) -> None:
    cursor = CODEC.encode(Position(at, item), kind, scope)
    assert CODEC.decode(cursor, kind, scope) == Position(at, item)


@given(st.text(max_size=200))
def test_arbitrary_text_is_refused_as_an_invalid_cursor_and_nothing_else(text: str) -> None:
    with pytest.raises(InvalidCursor) as refused:
        CODEC.decode(text, CursorKind.CONVERSATIONS, parameter="after")
    assert refused.value.parameter == "after"


def test_a_cursor_for_another_listing_is_refused() -> None:
    cursor = CODEC.encode(Position(AT, "x"), CursorKind.MESSAGES)
    with pytest.raises(InvalidCursor):
        CODEC.decode(cursor, CursorKind.CONVERSATIONS)


def test_a_cursor_of_one_conversation_is_refused_on_another() -> None:
    """Attack: paging conversation B's messages from a position taken in conversation A
    (a seek aimed by a cursor the client did not get for B)."""
    cursor = CODEC.encode(Position(AT, "m-1"), CursorKind.MESSAGES, "conversation-a")
    assert CODEC.decode(cursor, CursorKind.MESSAGES, "conversation-a").id == "m-1"
    with pytest.raises(InvalidCursor):
        CODEC.decode(cursor, CursorKind.MESSAGES, "conversation-b")
    with pytest.raises(InvalidCursor):
        CODEC.decode(cursor, CursorKind.MESSAGES)


def test_an_altered_cursor_is_refused() -> None:
    cursor = CODEC.encode(Position(AT, "id-1"), CursorKind.CONVERSATIONS)
    payload, tag = _raw(cursor)
    with pytest.raises(InvalidCursor):
        CODEC.decode(_cursor([payload.replace("id-1", "id-9"), tag]), CursorKind.CONVERSATIONS)


def test_a_cursor_forged_with_the_old_public_checksum_is_refused() -> None:
    """Attack: forging a cursor. The old format's checksum was a plain sha256 of the
    payload, which anyone can compute for any position they like."""
    payload = json.dumps(["c", AT.isoformat(), "id-of-my-choice"], separators=(",", ":"))
    forged = _cursor([payload, hashlib.sha256(payload.encode()).hexdigest()[:12]])
    with pytest.raises(InvalidCursor):
        CODEC.decode(forged, CursorKind.CONVERSATIONS)


def test_a_cursor_signed_with_another_key_is_refused() -> None:
    """Attack: a cursor made by anyone but this deployment (another installation, a key
    guessed or derived from nothing)."""
    other = CursorCodec.derived_from("another deployment's secret")
    cursor = other.encode(Position(AT, "id-1"), CursorKind.CONVERSATIONS)
    with pytest.raises(InvalidCursor):
        CODEC.decode(cursor, CursorKind.CONVERSATIONS)


def test_the_same_secret_gives_the_same_key_so_servers_and_restarts_agree() -> None:
    again = CursorCodec.derived_from("the deployment's app secret")
    cursor = CODEC.encode(Position(AT, "id-1"), CursorKind.QUARANTINE)
    assert again.decode(cursor, CursorKind.QUARANTINE) == Position(AT, "id-1")
    assert again.key != b"the deployment's app secret"  # derived, one-way


def test_a_key_is_long_enough_and_never_shown() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        CursorCodec(b"short")
    with pytest.raises(ValueError, match="no secret"):
        CursorCodec.derived_from("")
    assert CODEC.key.hex() not in repr(CODEC)


def test_positions_order_by_time_then_id() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert Position(t, "a") < Position(t, "b") < Position(t + timedelta(seconds=1), "a")


@pytest.mark.parametrize("size", [0, -1, MAX_PAGE_SIZE + 1])
def test_page_sizes_out_of_range_name_the_parameter(size: int) -> None:
    with pytest.raises(InvalidQueryParameter, match="limit"):
        check_page_size(size)


def test_page_sizes_in_range_are_accepted() -> None:
    assert check_page_size(1) == 1
    assert check_page_size(MAX_PAGE_SIZE) == MAX_PAGE_SIZE
