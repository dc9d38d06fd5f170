"""Stored deliveries read by the processor: good items stored, irregular ones quarantined,
each field with its effect, and replay exactly once, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from crm_whatsapp.adapters.whatsapp.webhook import WebhookBodyReader
from crm_whatsapp.adapters.whatsapp.webhook.reading import MAX_ITEMS, MAX_QUARANTINED
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.identity import ClientMatch, ClientRef
from crm_whatsapp.domain.ingest import QuarantineState
from crm_whatsapp.domain.message import AuthorKind, Direction, MessageKind
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.use_cases.ingest import (
    ITEM_BUDGET,
    drain_deliveries,
    process_deliveries,
    replay_quarantine,
)
from webhook_bodies import (
    ACCOUNT_ID,
    NUMBER_ID,
    body,
    change,
    contact,
    echo,
    encoded,
    messages_value,
    preference,
    status,
    text_message,
)

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
SECONDS = str(int(T0.timestamp()))
ANA, BRUNO, CARLA = "5215512345678", "5215587654321", "5215511112222"
READER = WebhookBodyReader()


def deliver(setup, document, reader=READER):
    setup.journal.append_now(encoded(document) if not isinstance(document, bytes) else document)
    return drain_deliveries(setup.deps, reader)


def inbound(setup):
    return {
        m.wamid: m for m in setup.snapshot().messages.values() if m.direction is Direction.INBOUND
    }


def quarantined(setup, state=QuarantineState.OPEN):
    return list(setup.ingest.quarantine(state, 200).items)


def test_a_body_with_good_messages_and_each_kind_of_irregular_item_stores_the_good_ones_and_quarantines_the_rest(  # noqa: E501
    backend,
) -> None:
    setup = backend(now=T0)
    no_id = {"from": ANA, "timestamp": SECONDS, "type": "text", "text": {"body": "sin id"}}
    location_without_type = {
        "from": ANA,
        "id": "wamid.loc",
        "timestamp": SECONDS,
        "location": {"latitude": 19.43, "longitude": -99.13, "name": "Zócalo"},
    }
    interactive_without_object = {
        "from": BRUNO,
        "id": "wamid.int",
        "timestamp": SECONDS,
        "type": "interactive",
    }
    document = body(
        change(
            "messages",
            messages_value(
                messages=[
                    text_message(ANA, "Hola", "wamid.good.1", SECONDS),
                    no_id,
                    location_without_type,
                    interactive_without_object,
                    42,
                    text_message(BRUNO, "¿Precio?", "wamid.good.2", SECONDS),
                ],
                statuses=[{"status": "read", "timestamp": SECONDS}],
                contacts=[contact(ANA, "Ana"), "not a contact"],
            ),
        ),
        {"value": {"no": "field"}},
        change("some_future_field", {"anything": [1, 2, 3]}),
    )

    report = deliver(setup, document)

    stored = inbound(setup)
    assert set(stored) == {"wamid.good.1", "wamid.loc", "wamid.good.2"}
    assert stored["wamid.loc"].kind is MessageKind.LOCATION  # inferred from its one object
    assert stored["wamid.good.1"].text == "Hola"
    kept = {entry.location: entry for entry in quarantined(setup)}
    prefix = "entry[0].changes[0].value"
    assert set(kept) == {
        f"{prefix}.messages[1]",
        f"{prefix}.messages[3]",
        f"{prefix}.messages[4]",
        f"{prefix}.statuses[0]",
        "entry[0].changes[1]",
    }
    assert "id" in kept[f"{prefix}.messages[1]"].reason
    assert "interactive" in kept[f"{prefix}.messages[3]"].reason
    assert json.loads(kept[f"{prefix}.messages[1]"].raw) == no_id
    assert all(entry.delivery_id is not None for entry in kept.values())
    assert (report.messages, report.quarantined, report.deliveries) == (3, 5, 1)
    health = setup.ingest.health(T0 - timedelta(days=1))
    assert health.other_fields == {"some_future_field": 1}
    assert (health.quarantine_open, health.pending_deliveries) == (5, 0)


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe not utf-8", b"{not json", b"[1, 2]", b'{"object": "page", "entry": []}']
)
def test_an_unreadable_signed_body_is_quarantined_whole_and_the_next_one_still_goes_through(
    backend, raw: bytes
) -> None:
    setup = backend(now=T0)
    deliver(setup, raw)
    deliver(setup, body(change("messages", messages_value([text_message(ANA, "Hola", "w.1")]))))
    (entry,) = quarantined(setup)
    assert entry.location == "body"
    assert entry.replay_body == raw
    assert set(inbound(setup)) == {"w.1"}


class _BrokenForOneNumber:
    """A CRM lookup that fails in an unexpected way for one number (a bug on the host's
    side, not an outage): only that customer's message may be affected."""

    def __init__(self, broken: str) -> None:
        self._broken = PhoneNumber.from_wa_id(broken)

    def by_phone(self, phone: PhoneNumber) -> ClientMatch:
        if phone == self._broken:
            raise RuntimeError("the CRM's lookup crashed")
        return ClientMatch()

    def by_id(self, client_id: str) -> ClientRef | None:
        return None

    def search(self, text: str, limit: int = 20) -> Sequence[ClientRef]:
        return []


def test_an_item_that_fails_to_apply_is_taken_back_alone_and_quarantined(backend) -> None:
    setup = backend(now=T0)
    setup = replace(setup, deps=replace(setup.deps, clients=_BrokenForOneNumber(BRUNO)))
    document = body(
        change(
            "messages",
            messages_value(
                [
                    text_message(ANA, "Hola", "w.ana", SECONDS),
                    text_message(BRUNO, "Hola", "w.bruno", SECONDS),
                    text_message(CARLA, "Hola", "w.carla", SECONDS),
                ]
            ),
        )
    )
    deliver(setup, document)

    assert set(inbound(setup)) == {"w.ana", "w.carla"}
    customers = {c.customer.wa_id for c in setup.snapshot().conversations.values()}
    assert customers == {ANA, CARLA}  # nothing half-stored for Bruno
    (entry,) = quarantined(setup)
    assert entry.location.endswith("messages[1]")
    assert entry.reason.startswith("RuntimeError")
    assert len(setup.gateway.sent) == 0  # replies are queued, not sent by the processor


def test_replay_after_quarantine_stores_exactly_once(backend) -> None:
    setup = backend(now=T0)
    only_another_number = WebhookBodyReader(phone_number_ids=["999"])
    document = body(change("messages", messages_value([text_message(ANA, "Hola", "w.1")])))
    deliver(setup, document, only_another_number)
    deliver(setup, document, only_another_number)  # Meta delivered it twice
    assert inbound(setup) == {}
    assert all("CRM_WHATSAPP_PHONE_NUMBER_IDS" in e.reason for e in quarantined(setup))

    report, still_open = replay_quarantine(setup.deps, only_another_number)
    assert (report.messages, still_open) == (0, 2)  # nothing changed: still refused
    report, still_open = replay_quarantine(setup.deps, READER)
    assert (report.messages, report.duplicates, still_open) == (1, 1, 0)
    again, still_open = replay_quarantine(setup.deps, READER)
    assert (again.messages, still_open) == (0, 0)

    assert list(inbound(setup)) == ["w.1"]
    replies = [m for m in setup.snapshot().messages.values() if m.author.kind is AuthorKind.BOT]
    assert len(replies) == 1
    replayed = quarantined(setup, QuarantineState.REPLAYED)
    assert len(replayed) == 2
    assert all(e.replayed_at is not None for e in replayed)


@pytest.mark.parametrize("claimed", ["253402300799", "0", "1"])
def test_a_far_future_or_epoch_timestamp_breaks_no_listing(backend, claimed: str) -> None:
    setup = backend(now=T0)
    deliver(setup, body(change("messages", messages_value([text_message(ANA, "x", "w", claimed)]))))

    (message,) = inbound(setup).values()
    assert message.whatsapp_timestamp == T0
    assert message.details["whatsapp_timestamp_out_of_range"].startswith(("9999", "1970"))
    page = setup.queries.conversations(ConversationFilter(), 10)
    (conversation,) = page.items
    assert conversation.service_window_closes_at == T0 + timedelta(hours=24)
    stats = setup.queries.statistics(T0 - timedelta(days=1), T0 + timedelta(days=1), "UTC")
    assert stats.inbound_messages == 1


def test_a_marketing_stop_is_kept_on_the_customer_and_an_older_resume_changes_nothing(
    backend,
) -> None:
    setup = backend(now=T0)
    stop_at = int(T0.timestamp()) - 60
    document = body(
        change(
            "user_preferences",
            messages_value(
                contacts=[contact(ANA)],
                user_preferences=[preference(ANA, "stop", stop_at)],
            ),
        )
    )
    deliver(setup, document)
    deliver(
        setup,
        body(
            change(
                "user_preferences",
                messages_value(user_preferences=[preference(ANA, "resume", stop_at - 3600)]),
            )
        ),
    )
    (conversation,) = setup.snapshot().conversations.values()
    assert conversation.marketing_opt_out is True
    assert conversation.marketing_preference_at == datetime.fromtimestamp(stop_at, UTC)
    assert quarantined(setup) == []


def test_a_message_from_the_business_app_is_stored_as_sent_by_the_phone_and_pauses_the_bot(
    backend,
) -> None:
    setup = backend(now=T0)
    deliver(setup, body(change("messages", messages_value([text_message(ANA, "Hola", "w.in")]))))
    echoed = body(
        change("smb_message_echoes", messages_value(message_echoes=[echo(ANA, "Te llamo", "w.e")]))
    )
    deliver(setup, echoed)
    deliver(setup, echoed)  # delivered twice

    (conversation,) = setup.snapshot().conversations.values()
    assert conversation.bot_paused
    echoes = [m for m in setup.snapshot().messages.values() if m.wamid == "w.e"]
    assert len(echoes) == 1
    assert echoes[0].direction is Direction.OUTBOUND
    assert echoes[0].author.kind is AuthorKind.PHONE_APP
    assert echoes[0].text == "Te llamo"
    assert echoes[0].delivery_status is DeliveryStatus.SENT
    deliver(setup, body(change("messages", messages_value([text_message(ANA, "¿Y?", "w.2")]))))
    bot = [m for m in setup.snapshot().messages.values() if m.author.kind is AuthorKind.BOT]
    assert len(bot) == 1  # only the answer to the first message, none after the echo


def test_template_status_and_account_alerts_are_kept_as_channel_events(backend) -> None:
    setup = backend(now=T0)
    template = {
        "event": "APPROVED",
        "message_template_id": 1234,
        "message_template_name": "recordatorio_pago",
        "message_template_language": "es_MX",
        "reason": "NONE",
    }
    quality = {
        "display_phone_number": "15550001111",
        "event": "FLAGGED",
        "current_limit": "TIER_1K",
    }
    deliver(
        setup,
        body(
            change("message_template_status_update", template),
            change("phone_number_quality_update", quality),
            change("account_update", {"event": "VERIFIED_ACCOUNT"}),
            change("messages", messages_value(statuses=[status("w.unknown", ANA, "deleted")])),
        ),
    )
    health = setup.ingest.health(T0 - timedelta(hours=1))
    assert health.events_by_kind == {
        "template": 1,
        "quality": 1,
        "account": 1,
        "unknown_status": 1,
    }
    summaries = [alert.event.summary for alert in health.latest_alerts]
    assert any("FLAGGED" in s and "TIER_1K" in s for s in summaries)
    assert all(alert.event.account_id == ACCOUNT_ID for alert in health.latest_alerts[:2])
    assert quarantined(setup) == []
    assert NUMBER_ID  # the bodies' number: not in any allowlist here


def test_a_body_of_many_broken_parts_costs_a_bounded_number_of_rows(backend) -> None:
    """250,000 tiny broken items in one signed body once held the processor a minute."""
    setup = backend(now=T0)
    good = text_message(ANA, "Hola", "w.good", SECONDS)
    deliver(setup, body(change("messages", messages_value([good, *[{}] * 3000]))))

    assert set(inbound(setup)) == {"w.good"}
    kept = quarantined(setup)
    assert len(kept) == MAX_QUARANTINED + 1
    (whole,) = [entry for entry in kept if entry.location == "body"]
    assert whole.reason.startswith(f"{3000 - MAX_QUARANTINED} more items")
    assert json.loads(whole.replay_body)["entry"][0]["changes"][0]["value"]["messages"][0] == good


def test_a_body_of_more_items_than_a_delivery_may_hold_is_kept_whole(backend) -> None:
    setup = backend(now=T0)
    good = text_message(ANA, "Hola", "w.good", SECONDS)
    deliver(setup, body(change("messages", messages_value([good, *[{}] * MAX_ITEMS]))))

    assert inbound(setup) == {}
    (entry,) = quarantined(setup)
    assert (entry.location, entry.reason) == (
        "body",
        f"{MAX_ITEMS + 1} items in one delivery, more than {MAX_ITEMS}",
    )


def test_a_batch_stops_after_the_delivery_that_reaches_the_item_budget(backend) -> None:
    setup = backend(now=T0)
    statuses = [status(f"w.out.{n}", ANA, "delivered") for n in range(ITEM_BUDGET * 4 // 5)]
    for _ in range(3):
        setup.journal.append_now(
            encoded(body(change("messages", messages_value(statuses=statuses))))
        )

    first = process_deliveries(setup.deps, READER)
    assert (first.deliveries, first.statuses) == (2, 2 * len(statuses))
    assert setup.ingest.health(T0).pending_deliveries == 1
    assert process_deliveries(setup.deps, READER).deliveries == 1
