"""One POST may carry many entries, changes, messages and statuses: every one comes out."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crm_whatsapp.adapters.whatsapp.webhook import WebhookBatch, parse_webhook
from crm_whatsapp.domain.delivery import DeliveryStatus

FIXTURES = Path(__file__).parent / "fixtures"
T0 = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
MARIA = "5215512345678"
PEDRO = "5215587654321"
FIRST_NUMBER = "106540352242922"
SECOND_NUMBER = "106540352249999"


def _batch(name: str) -> WebhookBatch:
    return parse_webhook((FIXTURES / f"{name}.json").read_bytes())


def test_every_message_of_every_change_of_every_entry_comes_out_in_order() -> None:
    batch = _batch("batch")
    assert [
        (m.business_number_id, m.wamid, m.text, m.customer.wa_id, m.profile_name, m.timestamp)
        for m in batch.messages
    ] == [
        (FIRST_NUMBER, "wamid.batch.1", "uno", MARIA, "María José", T0 + timedelta(seconds=1)),
        (FIRST_NUMBER, "wamid.batch.2", "dos", PEDRO, "Pedro", T0 + timedelta(seconds=2)),
        (FIRST_NUMBER, "wamid.batch.3", "tres", MARIA, "María José", T0 + timedelta(seconds=3)),
        (SECOND_NUMBER, "wamid.batch.6", "cuatro", PEDRO, "Pedro", T0 + timedelta(seconds=6)),
        (SECOND_NUMBER, "wamid.batch.8", "cinco", MARIA, "María José", T0 + timedelta(seconds=8)),
        (SECOND_NUMBER, "wamid.batch.9", "seis", MARIA, "María José", T0 + timedelta(seconds=9)),
    ]


def test_every_status_comes_out_in_order_with_its_business_number() -> None:
    batch = _batch("batch")
    assert [
        (s.wamid, s.status, s.recipient_id, s.details["business_number_id"]) for s in batch.statuses
    ] == [
        ("wamid.out.1", DeliveryStatus.DELIVERED, MARIA, FIRST_NUMBER),
        ("wamid.out.2", DeliveryStatus.READ, PEDRO, FIRST_NUMBER),
        ("wamid.out.3", DeliveryStatus.SENT, PEDRO, SECOND_NUMBER),
    ]


def test_changes_of_other_fields_are_counted_not_parsed() -> None:
    assert _batch("batch").ignored_changes == 1
    template_update = _batch("template_status_update")
    assert template_update == WebhookBatch(ignored_changes=1)
    assert template_update.is_empty


def test_each_message_gets_its_own_senders_contact() -> None:
    """Two customers in one value: names must not be swapped or all taken from the first."""
    batch = _batch("batch")
    names = {m.customer.wa_id: m.profile_name for m in batch.messages}
    assert names == {MARIA: "María José", PEDRO: "Pedro"}


def test_a_sender_without_a_contact_still_comes_out_without_a_name() -> None:
    document = json.loads((FIXTURES / "text.json").read_bytes())
    document["entry"][0]["changes"][0]["value"]["contacts"] = []
    (message,) = parse_webhook(json.dumps(document).encode()).messages
    assert message.customer.wa_id == MARIA
    assert message.customer.user_id == "MX.1502576394655843"
    assert message.profile_name is None


def test_the_contact_fills_in_an_id_the_message_does_not_carry() -> None:
    document = json.loads((FIXTURES / "text.json").read_bytes())
    del document["entry"][0]["changes"][0]["value"]["messages"][0]["from_user_id"]
    (message,) = parse_webhook(json.dumps(document).encode()).messages
    assert message.customer.user_id == "MX.1502576394655843"


def test_a_wa_id_that_is_not_a_phone_number_is_kept_without_a_phone() -> None:
    document = json.loads((FIXTURES / "text.json").read_bytes())
    message_json = document["entry"][0]["changes"][0]["value"]["messages"][0]
    message_json["from"] = "not-digits"
    (message,) = parse_webhook(json.dumps(document).encode()).messages
    assert (message.customer.wa_id, message.customer.phone) == ("not-digits", None)


def _merged(names: list[str]) -> bytes:
    entries: list[Any] = []
    for name in names:
        entries.extend(json.loads((FIXTURES / f"{name}.json").read_bytes())["entry"])
    return json.dumps({"object": "whatsapp_business_account", "entry": entries}).encode()


def test_all_fixtures_in_one_body_give_all_their_results_in_order() -> None:
    names = sorted(path.stem for path in FIXTURES.glob("*.json"))
    alone = [_batch(name) for name in names]
    together = parse_webhook(_merged(names))
    assert together.messages == tuple(m for b in alone for m in b.messages)
    assert together.statuses == tuple(s for b in alone for s in b.statuses)
    assert together.problems == tuple(p for b in alone for p in b.problems)
    assert together.ignored_changes == sum(b.ignored_changes for b in alone)


def test_raw_is_not_reserialized_through_the_model() -> None:
    """Fields we ignore, and the order of keys, survive in ``raw``."""
    document = json.loads((FIXTURES / "text.json").read_bytes())
    original = document["entry"][0]["changes"][0]["value"]["messages"][0]
    original["a_field_meta_adds_later"] = {"z": 1, "a": [True, None]}
    (message,) = parse_webhook(json.dumps(document, ensure_ascii=False).encode()).messages
    assert message.raw == json.dumps(original, ensure_ascii=False)
    assert replace(message, raw=None).details == {}
