"""Named hostile webhook bodies (``hostile_bodies``): each signed one is a 200, what cannot
be read is quarantined at its place (listed by ``GET /api/v1/entregas-fallidas`` with its
raw JSON and a reason that names the problem and quotes no value), the rest is stored
whole, and a good message posted after them is stored: no body stops the processor.
"""

from __future__ import annotations

import gzip

import pytest
from hostile_bodies import (
    ANA,
    PRIVATE,
    QUARANTINED,
    SECOND,
    STORED_WHOLE,
    fresh_wamid,
    good_then,
    set_in,
)
from hostile_kit import (
    API,
    APP_SECRET,
    AUTH,
    BUSINESS_NUMBER_ID,
    QUARANTINE,
    Service,
    encoded,
    fake_graph,
    meta_body,
    service,
    signed,
)
from sqlalchemy import func, select
from webhook_ledger import check_delivery

from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign

__all__ = ["fake_graph", "service"]  # fixtures, used by name


def a_good_message_is_still_stored(service: Service) -> None:
    wamid = fresh_wamid()
    status, rows = check_delivery(service, encoded(meta_body(ANA, "¿Siguen ahí?", wamid)))
    assert (status, rows) == (200, [])
    assert service.stored_texts([wamid]) == {wamid: "¿Siguen ahí?"}


def test_a_hostile_body_is_a_200_and_what_cannot_be_read_is_quarantined(
    service: Service, subtests: pytest.Subtests
) -> None:
    for case in QUARANTINED:
        with subtests.test(case.what):
            status, rows = check_delivery(service, case.make())
            assert status == 200
            assert [row["location"] for row in rows] == [case.location]
            assert case.reason_names in rows[0]["reason"], rows[0]["reason"]
            assert PRIVATE not in rows[0]["reason"]
    with subtests.test("the processor goes on"):
        a_good_message_is_still_stored(service)
        health = service.channel_health()
        assert health["pending_deliveries"] == 0
        assert health["quarantine_open"] == len(QUARANTINED)


def test_an_odd_but_valid_body_is_stored_completely(
    service: Service, subtests: pytest.Subtests
) -> None:
    for what, make in STORED_WHOLE:
        with subtests.test(what):
            status, rows = check_delivery(service, make())
            assert (status, rows) == (200, [])
    with subtests.test("nothing in quarantine"):
        assert service.channel_health()["quarantine_open"] == 0


def test_hostile_bodies_in_one_batch_do_not_hold_back_the_good_ones(service: Service) -> None:
    """Stored faster than they are read, the processor reads them in batches: each hostile
    body costs its own part, the good message after them is stored."""
    bodies = [case.make() for case in QUARANTINED]
    for body in bodies:
        assert service.post_webhook(body, wait=False).status_code == 200
    wamid = fresh_wamid()
    good = encoded(meta_body("5491155550000", "después de todo", wamid))
    assert service.post_webhook(good).status_code == 200  # waits for all of them
    assert service.stored_texts([wamid]) == {wamid: "después de todo"}
    locations = sorted(row["location"] for row in service.quarantine())
    assert locations == sorted(case.location for case in QUARANTINED)
    assert service.channel_health()["pending_deliveries"] == 0


def test_the_quarantine_keeps_the_raw_json_and_a_reason_without_the_customers_data(
    service: Service,
) -> None:
    """Through the API, as operators see it: the part as Meta sent it (customers' data
    included: that is what a replay needs), and a reason that names only the problem."""
    body = good_then(set_in("messages", 1, "text", value={"body": ["no", PRIVATE]}))
    status, rows = check_delivery(service, body)
    assert status == 200
    assert len(rows) == 1
    answer = service.client.get(QUARANTINE, headers=AUTH)
    assert answer.status_code == 200
    (item,) = answer.json()["items"]
    assert item["location"] == SECOND
    assert PRIVATE in item["raw"]
    assert PRIVATE not in item["reason"]
    assert item["reason"].startswith("text.body")
    assert item["field"] == "messages"
    assert item["business_number_id"] == BUSINESS_NUMBER_ID
    assert (item["state"], item["attempts"]) == ("open", 0)
    assert service.client.get(QUARANTINE).status_code == 401


def test_the_content_type_does_not_change_what_the_signed_bytes_say(
    service: Service, subtests: pytest.Subtests
) -> None:
    """Meta signs the bytes; a label on them cannot make the reader read them otherwise."""
    labels = [
        None,
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=latin-1",
    ]
    for content_type in labels:
        with subtests.test(str(content_type)):
            wamid = fresh_wamid()
            body = encoded(meta_body(ANA, "Hola señor", wamid))
            headers = {SIGNATURE_HEADER: sign(body, APP_SECRET)}
            if content_type is not None:
                headers["Content-Type"] = content_type
            status, rows = check_delivery(service, body, headers)
            assert (status, rows) == (200, [])
            assert service.stored_texts([wamid]) == {wamid: "Hola señor"}


def test_a_gzip_content_encoding_is_not_unpacked(service: Service) -> None:
    """A compressed body would grow past the size limit after the check: it is stored as
    the bytes that arrived (and quarantined: they are not UTF-8), never inflated."""
    wamid = fresh_wamid()
    body = gzip.compress(encoded(meta_body(ANA, "x" * 5_000_000, wamid)))
    headers = {**signed(body), "Content-Encoding": "gzip"}
    status, rows = check_delivery(service, body, headers)
    assert status == 200
    assert [(row["location"], row["reason"]) for row in rows] == [
        ("body", "body: not UTF-8 (invalid byte at offset 1)")
    ]
    assert service.stored_texts([wamid]) == {}


def test_a_2_mib_body_is_a_413_that_stores_nothing(service: Service) -> None:
    body = encoded(meta_body(ANA, "x" * 2 * 1024 * 1024, fresh_wamid()))
    before = service.rows()
    answer = service.post_webhook(body)
    assert answer.status_code == 413
    assert answer.json()["error"]["code"] == "payload_too_large"
    assert service.rows() == before


def test_an_accepted_body_is_readable_through_the_api(service: Service) -> None:
    """The odd values stored come back out of the API as they went in."""
    text = "'); DROP TABLE x; -- %_\\ " + "ñ" * 1000
    status, rows = check_delivery(service, encoded(meta_body(ANA, text, fresh_wamid())))
    assert (status, rows) == (200, [])
    conversations = service.client.get(API, headers=AUTH).json()["items"]
    messages = service.client.get(f"{API}/{conversations[0]['id']}/mensajes", headers=AUTH)
    assert text in [m["text"] for m in messages.json()["items"]]


def conversations_of(service: Service, business_number_id: str) -> int:
    conversations = service.database.tables.conversations
    query = select(func.count()).where(conversations.c.business_number_id == business_number_id)
    with service.database.reader.connect() as db:
        return int(db.execute(query).scalar_one())


def test_a_business_number_whose_only_message_is_quarantined_gets_no_conversation(
    service: Service,
) -> None:
    """Quarantined parts create nothing: not a conversation for a new business number
    either. Its good message does, and only that one."""
    other = "999999999999999"
    broken = encoded(meta_body(ANA, "Hola", "w" * 256, phone_number_id=other))
    status, rows = check_delivery(service, broken)
    assert status == 200
    assert [(row["location"], row["business_number_id"]) for row in rows] == [
        ("entry[0].changes[0].value.messages[0]", other)
    ]
    assert conversations_of(service, other) == 0
    assert service.client.get(API, headers=AUTH).json()["items"] == []
    one_good = good_then(set_in("messages", 1, "id", value="w" * 256)).replace(
        BUSINESS_NUMBER_ID.encode(), other.encode()
    )
    status, rows = check_delivery(service, one_good)
    assert [row["location"] for row in rows] == [SECOND]
    assert conversations_of(service, other) == 1
    (conversation,) = service.client.get(API, headers=AUTH).json()["items"]
    messages = service.client.get(f"{API}/{conversation['id']}/mensajes", headers=AUTH).json()
    assert [m["text"] for m in messages["items"] if m["direction"] == "inbound"] == ["primero"]
