"""The ingest invariants as properties, on memory, SQLite and PostgreSQL:

- a correctly signed delivery is never rejected for its content: every message item of a
  body ends in exactly one place, stored if it reads, quarantined (raw kept) if not;
- a timestamp from outside is bounded before any date is computed from it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_whatsapp.adapters.whatsapp.webhook import WebhookBodyReader
from crm_whatsapp.domain.ingest import (
    FURTHEST_ACCEPTED_LEAD,
    OLDEST_ACCEPTED_AGE,
    QuarantineState,
)
from crm_whatsapp.domain.message import Direction
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.use_cases.ingest import drain_deliveries
from webhook_bodies import body, change, encoded, messages_value, text_message

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
LATEST_META_SECONDS = 253402300799  # 9999-12-31T23:59:59Z, the latest a body may claim
ON_EVERY_BACKEND = settings(
    max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
READER = WebhookBodyReader()


def _broken(message: dict[str, Any], how: str) -> Any:
    """One of the irregular shapes seen in real captures and peers' corpora."""
    if how == "no id":
        return {k: v for k, v in message.items() if k != "id"}
    if how == "no sender":
        return {k: v for k, v in message.items() if k != "from"}
    if how == "type without its object":
        return {**{k: v for k, v in message.items() if k != "text"}, "type": "interactive"}
    if how == "text of the wrong type":
        return {**message, "text": {"body": 7}}
    if how == "timestamp as a date":
        return {**message, "timestamp": "2026-03-10"}
    if how == "not an object":
        return ["a", "list"]
    raise AssertionError(how)


BREAKS = (
    "no id",
    "no sender",
    "type without its object",
    "text of the wrong type",
    "timestamp as a date",
    "not an object",
)


@st.composite
def bodies_with_irregular_items(draw: st.DrawFn) -> tuple[bytes, set[str], int]:
    """A body of 1-3 changes of 0-5 messages each; returns it, the wamids that must be
    stored, and how many items must be quarantined."""
    good: set[str] = set()
    broken = 0
    changes = []
    for c in range(draw(st.integers(1, 3))):
        items = []
        for i in range(draw(st.integers(0, 5))):
            wamid = f"wamid.{c}.{i}"
            sender = f"52155{draw(st.integers(10_000_000, 10_000_009))}"
            message = text_message(sender, "hola", wamid, str(int(T0.timestamp())))
            how = draw(st.none() | st.sampled_from(BREAKS))
            if how is None:
                good.add(wamid)
                items.append(message)
            else:
                broken += 1
                items.append(_broken(message, how))
        changes.append(change("messages", messages_value(items)))
    return encoded(body(*changes)), good, broken


@ON_EVERY_BACKEND
@given(bodies_with_irregular_items())
def test_every_message_item_of_a_signed_body_is_stored_or_quarantined_exactly_once(
    backend, case: tuple[bytes, set[str], int]
) -> None:
    raw, good, broken = case
    setup = backend(now=T0)
    setup.journal.append_now(raw)
    setup.journal.append_now(raw)  # Meta delivers again: nothing is stored twice
    drain_deliveries(setup.deps, READER)

    inbound = [m for m in setup.snapshot().messages.values() if m.direction is Direction.INBOUND]
    assert sorted(m.wamid for m in inbound) == sorted(good)
    kept = setup.ingest.quarantine(QuarantineState.OPEN, 200).items
    assert len(kept) == 2 * broken  # once per delivery: each stored raw, with its place
    for entry in kept:
        assert entry.reason
        assert ".messages[" in entry.location
        assert json.loads(entry.replay_body)["entry"][0]["changes"][0]["value"]["messages"]
    assert setup.ingest.health(T0).pending_deliveries == 0


@ON_EVERY_BACKEND
@given(st.integers(0, LATEST_META_SECONDS))
def test_a_claimed_time_is_bounded_before_any_date_is_computed_from_it(
    backend, claimed: int
) -> None:
    setup = backend(now=T0)
    message = text_message("5215512345678", "hola", "wamid.t", str(claimed))
    setup.journal.append_now(encoded(body(change("messages", messages_value([message])))))
    drain_deliveries(setup.deps, READER)

    (stored,) = [m for m in setup.snapshot().messages.values() if m.direction is Direction.INBOUND]
    assert stored.whatsapp_timestamp is not None
    assert T0 - OLDEST_ACCEPTED_AGE <= stored.whatsapp_timestamp <= T0 + FURTHEST_ACCEPTED_LEAD
    (conversation,) = setup.queries.conversations(ConversationFilter(), 5).items
    closes = conversation.service_window_closes_at
    assert closes is not None
    assert closes - timedelta(hours=24) <= T0 + FURTHEST_ACCEPTED_LEAD
