"""Events on the wire: JSON objects that decode back to the same event, batched into
NOTIFY payloads under PostgreSQL's size limit."""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.adapters.events import event_from_json, event_to_json
from crm_whatsapp.adapters.events.postgres import decode_payload, encode_payloads
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.events import (
    ConversationChanged,
    DeliveryStatusChanged,
    Event,
    MessageStored,
)

ids = st.text(max_size=20)
events: st.SearchStrategy[Event] = st.one_of(
    st.builds(MessageStored, ids, ids),
    st.builds(DeliveryStatusChanged, ids, ids, st.sampled_from(DeliveryStatus)),
    st.builds(ConversationChanged, ids),
)


@given(events)
def test_every_event_survives_the_round_trip_through_json_text(event: Event) -> None:
    data = event_to_json(event)
    assert all(isinstance(value, str) for value in data.values())
    assert event_from_json(json.loads(json.dumps(data))) == event


def test_the_wire_format_is_flat_and_tagged_by_type() -> None:
    assert event_to_json(MessageStored("c1", "m1")) == {
        "type": "message_stored",
        "conversation_id": "c1",
        "message_id": "m1",
    }
    assert event_to_json(DeliveryStatusChanged("c1", "m1", DeliveryStatus.READ)) == {
        "type": "delivery_status_changed",
        "conversation_id": "c1",
        "message_id": "m1",
        "status": "read",
    }
    assert event_to_json(ConversationChanged("c1")) == {
        "type": "conversation_changed",
        "conversation_id": "c1",
    }


def test_keys_a_newer_version_adds_are_ignored() -> None:
    data = {"type": "conversation_changed", "conversation_id": "c1", "agent": "ana"}
    assert event_from_json(data) == ConversationChanged("c1")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"conversation_id": "c1"}, "needs a 'type'"),
        ({"type": "message_deleted", "conversation_id": "c1"}, "unknown event type"),
        ({"type": 3}, "unknown event type"),
        ({"type": "message_stored", "conversation_id": "c1"}, "needs 'message_id'"),
        ({"type": "conversation_changed", "conversation_id": 7}, "must be a string, not int"),
        (
            {"type": "delivery_status_changed", "conversation_id": "c1", "message_id": "m1"},
            "needs 'status'",
        ),
        (
            {
                "type": "delivery_status_changed",
                "conversation_id": "c1",
                "message_id": "m1",
                "status": "seen",
            },
            "unknown delivery status 'seen'",
        ),
        (["message_stored"], "must be a JSON object, not list"),
    ],
)
def test_anything_else_is_refused_with_the_reason(data: object, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        event_from_json(data)  # type: ignore[arg-type]


@given(st.lists(events, max_size=60), st.integers(min_value=400, max_value=3000))
def test_payloads_keep_every_event_in_order_and_each_fits_the_limit(
    batch: list[Event], max_bytes: int
) -> None:
    payloads = encode_payloads(batch, max_bytes)
    assert all(len(payload.encode()) <= max_bytes for payload in payloads)
    assert [event for payload in payloads for event in decode_payload(payload)] == batch


def test_a_large_batch_is_split_into_payloads_under_8000_bytes() -> None:
    batch = [MessageStored(f"conversation-{n:05}", f"message-{n:05}") for n in range(2000)]
    payloads = encode_payloads(batch)
    assert len(payloads) > 10
    assert all(len(payload.encode()) < 8000 for payload in payloads)
    assert [event for payload in payloads for event in decode_payload(payload)] == batch


def test_an_event_too_large_for_any_payload_is_logged_and_left_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    huge = ConversationChanged("x" * 9000)
    with caplog.at_level(logging.WARNING, logger="crm_whatsapp.events"):
        payloads = encode_payloads([ConversationChanged("a"), huge, ConversationChanged("b")])
    assert [event for payload in payloads for event in decode_payload(payload)] == [
        ConversationChanged("a"),
        ConversationChanged("b"),
    ]
    assert "does not fit" in caplog.text


def test_a_bad_event_costs_only_itself_and_a_bad_payload_nothing_else(
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = json.dumps(
        [
            {"type": "conversation_changed", "conversation_id": "c1"},
            {"type": "from_the_future", "conversation_id": "c1"},
            "not an object",
            {"type": "conversation_changed", "conversation_id": "c2"},
        ]
    )
    with caplog.at_level(logging.WARNING, logger="crm_whatsapp.events"):
        assert decode_payload(payload) == [ConversationChanged("c1"), ConversationChanged("c2")]
        assert decode_payload("{not json") == []
        assert decode_payload('{"type": "conversation_changed"}') == []
    assert "from_the_future" in caplog.text
    assert "not JSON" in caplog.text
    assert "not a JSON array" in caplog.text
