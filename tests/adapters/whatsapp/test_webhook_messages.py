"""Every message type Meta documents becomes exactly the IncomingMessage we expect.

Fixtures are full webhook bodies (``fixtures/<name>.json``) written after Meta's documented
examples, with our own numbers: a Mexican customer who has both a wa_id and a business-scoped
user id, writing to business number 106540352242922.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_whatsapp.adapters.whatsapp.webhook import parse_webhook
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import IncomingMessage, MessageKind

FIXTURES = Path(__file__).parent / "fixtures"
NUMBER_ID = "106540352242922"
WA_ID = "5215512345678"
BSUID = "MX.1502576394655843"
CUSTOMER = CustomerIdentity.from_wa_id(WA_ID, BSUID)
OUR_WAMID = "wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEjQyQkFDRTc5RDQ0N0Y3NjFCMgA="
T0 = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
MESSAGE_FIXTURES = sorted(
    path.stem
    for path in FIXTURES.glob("*.json")
    if '"messages": [' in path.read_text(encoding="utf-8")
)


def _body(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def _messages(name: str) -> tuple[IncomingMessage, ...]:
    batch = parse_webhook(_body(name))
    assert batch.statuses == ()
    assert batch.problems == ()
    return batch.messages


def _only(name: str) -> IncomingMessage:
    """The fixture's single message, without ``raw`` (checked once for all fixtures)."""
    (message,) = _messages(name)
    return replace(message, raw=None)


def _expected(n: int, kind: MessageKind, **fields: Any) -> IncomingMessage:
    """Fixture message number ``n``: wamid and timestamp follow from it."""
    defaults: dict[str, Any] = {
        "business_number_id": NUMBER_ID,
        "customer": CUSTOMER,
        "wamid": f"wamid.HBgNNTIxNTUxMjM0NTY3OBUCABIYFjNBMDAwMDAw{n:04d}AA==",
        "kind": kind,
        "timestamp": T0 + timedelta(seconds=n),
        "profile_name": "María José",
    }
    return IncomingMessage(**(defaults | fields))


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_raw_is_the_message_object_exactly_as_received(name: str) -> None:
    document = json.loads(_body(name))
    originals = [
        message
        for entry in document["entry"]
        for change in entry["changes"]
        for message in change["value"].get("messages", [])
    ]
    parsed = parse_webhook(_body(name)).messages
    assert [message.raw for message in parsed] == [
        json.dumps(original, ensure_ascii=False) for original in originals
    ]


@pytest.mark.parametrize("name", MESSAGE_FIXTURES)
def test_details_are_json_compatible(name: str) -> None:
    for message in parse_webhook(_body(name)).messages:
        details = dict(message.details)
        assert json.loads(json.dumps(details)) == details


def test_text() -> None:
    assert _only("text") == _expected(
        1, MessageKind.TEXT, text="Hola, ¿cuál es el precio del envío? 🚚"
    )


def test_timestamps_are_utc_aware() -> None:
    message = _only("text")
    assert message.timestamp.tzinfo is UTC
    assert message.timestamp == datetime(2026, 3, 10, 15, 30, 1, tzinfo=UTC)


def test_image_keeps_caption_as_text_and_the_media_id() -> None:
    assert _only("image") == _expected(
        2,
        MessageKind.IMAGE,
        text="Así llegó el paquete",
        media_id="1479537139650973",
        details={
            "mime_type": "image/jpeg",
            "sha256": "mBMm3mJ9zzQOBjD1Ck0n8ljDjYfH9EVKWh5Xz+3rHk8=",
        },
    )


def test_voice_note_is_audio_with_the_voice_flag() -> None:
    assert _only("audio_voice") == _expected(
        3,
        MessageKind.AUDIO,
        media_id="1003383421387256",
        details={
            "mime_type": "audio/ogg; codecs=opus",
            "sha256": "7nX0Vq8mK2b4b6Jw1yXo1oWmJkM0n7kq6pQh2Wq2E1c=",
            "voice": True,
        },
    )


def test_video() -> None:
    assert _only("video") == _expected(
        4,
        MessageKind.VIDEO,
        text="Mira cómo suena el motor",
        media_id="2145235682563841",
        details={
            "mime_type": "video/mp4",
            "sha256": "Yx8a4bbm1iH1qZo5sNw8zJ0fD8kE9vYp2mS7lQ3uR5c=",
        },
    )


def test_document_keeps_its_file_name() -> None:
    assert _only("document") == _expected(
        5,
        MessageKind.DOCUMENT,
        text="Mi constancia fiscal",
        media_id="1356089468983458",
        details={
            "mime_type": "application/pdf",
            "sha256": "2Ljx0Dd0bqH1xR2Tn0p5Wq9mVb7cZk3sY8uA4eF6gH0=",
            "filename": "constancia_situacion_fiscal.pdf",
        },
    )


def test_sticker() -> None:
    assert _only("sticker") == _expected(
        6,
        MessageKind.STICKER,
        media_id="802683728519498",
        details={
            "mime_type": "image/webp",
            "sha256": "q2W3e4R5t6Y7u8I9o0P1a2S3d4F5g6H7j8K9l0Z1x2C=",
            "animated": False,
        },
    )


def test_location() -> None:
    assert _only("location") == _expected(
        7,
        MessageKind.LOCATION,
        details={
            "location": {
                "latitude": 19.4326077,
                "longitude": -99.133208,
                "name": "Zócalo",
                "address": "Plaza de la Constitución S/N, Centro, 06000 Ciudad de México, CDMX",
                "url": "https://maps.example/zocalo",
            }
        },
    )


def test_contacts_are_kept_as_sent() -> None:
    assert _only("contacts") == _expected(
        8,
        MessageKind.CONTACTS,
        details={
            "contacts": [
                {
                    "name": {
                        "formatted_name": "Pedro Ramírez",
                        "first_name": "Pedro",
                        "last_name": "Ramírez",
                    },
                    "phones": [
                        {"phone": "+52 1 55 8765 4321", "wa_id": "5215587654321", "type": "CELL"}
                    ],
                    "emails": [{"email": "pedro@example.com", "type": "WORK"}],
                    "org": {"company": "Talleres Ramírez"},
                }
            ]
        },
    )


def test_button_reply_reads_as_its_title_and_answers_our_message() -> None:
    assert _only("interactive_button_reply") == _expected(
        9,
        MessageKind.INTERACTIVE,
        text="Ver horario",
        reply_to_wamid=OUR_WAMID,
        details={"interactive_type": "button_reply", "reply_id": "horario"},
    )


def test_list_reply_reads_as_its_title() -> None:
    assert _only("interactive_list_reply") == _expected(
        10,
        MessageKind.INTERACTIVE,
        text="Sucursal Centro",
        reply_to_wamid=OUR_WAMID,
        details={
            "interactive_type": "list_reply",
            "reply_id": "sucursal-centro",
            "reply_description": "Lunes a sábado, 9 a 19 h",
        },
    )


def test_flow_reply_keeps_the_response_json_and_has_no_words() -> None:
    assert _only("interactive_nfm_reply") == _expected(
        11,
        MessageKind.INTERACTIVE,
        reply_to_wamid=OUR_WAMID,
        details={
            "interactive_type": "nfm_reply",
            "flow_name": "flow",
            "flow_body": "Sent",
            "response_json": '{"flow_token": "cita-4821", "fecha": "2026-03-12", "hora": "10:30"}',
        },
    )


def test_template_quick_reply_button() -> None:
    assert _only("button") == _expected(
        12,
        MessageKind.BUTTON,
        text="Confirmar cita",
        reply_to_wamid=OUR_WAMID,
        details={"button_payload": "CONFIRMAR_CITA_4821"},
    )


def test_reaction_reads_as_its_emoji() -> None:
    assert _only("reaction") == _expected(
        13,
        MessageKind.REACTION,
        text="👍",
        details={"reaction": {"message_id": OUR_WAMID, "emoji": "👍", "removed": False}},
    )


def test_removed_reaction_has_no_emoji_whether_empty_or_absent() -> None:
    removed = {"reaction": {"message_id": OUR_WAMID, "emoji": None, "removed": True}}
    assert [replace(message, raw=None) for message in _messages("reaction_removed")] == [
        _expected(14, MessageKind.REACTION, details=removed),
        _expected(15, MessageKind.REACTION, details=removed),
    ]


def test_order_keeps_its_items_and_the_customer_note_as_text() -> None:
    assert _only("order") == _expected(
        16,
        MessageKind.ORDER,
        text="¿Me lo pueden enviar hoy?",
        details={
            "order": {
                "catalog_id": "1239876543210987",
                "text": "¿Me lo pueden enviar hoy?",
                "product_items": [
                    {
                        "product_retailer_id": "FILTRO-ACEITE-01",
                        "quantity": 2,
                        "item_price": 189.5,
                        "currency": "MXN",
                    },
                    {
                        "product_retailer_id": "BUJIA-NGK-07",
                        "quantity": 4,
                        "item_price": 95.0,
                        "currency": "MXN",
                    },
                ],
            }
        },
    )


def test_legacy_change_of_number_names_the_new_wa_id() -> None:
    body = "María José changed from 5215512345678 to 5215599887766"
    assert _only("system_customer_changed_number") == _expected(
        17,
        MessageKind.SYSTEM,
        customer=CustomerIdentity.from_wa_id(WA_ID),
        profile_name=None,
        text=body,
        details={
            "system": {
                "body": body,
                "type": "customer_changed_number",
                "new_wa_id": "5215599887766",
            }
        },
    )


def test_change_of_number_with_business_scoped_ids() -> None:
    body = "User María José changed from 5215512345678 to 5215599887766"
    assert _only("system_user_changed_number") == _expected(
        18,
        MessageKind.SYSTEM,
        profile_name=None,
        text=body,
        details={
            "system": {
                "body": body,
                "type": "user_changed_number",
                "wa_id": "5215599887766",
                "new_wa_id": "5215599887766",
                "user_id": "MX.2780014539871276",
                "previous_user_id": BSUID,
            }
        },
    )


def test_click_to_whatsapp_referral_is_kept_with_the_text() -> None:
    assert _only("referral") == _expected(
        19,
        MessageKind.TEXT,
        text="Hola, vi su anuncio de afinación",
        details={
            "referral": {
                "source_url": "https://fb.me/3kLx9aQ2p",
                "source_id": "120210987654321098",
                "source_type": "ad",
                "headline": "Afinación completa a mitad de precio",
                "body": "Solo en marzo. Escríbenos por WhatsApp.",
                "media_type": "image",
                "image_url": "https://scontent.example/ad-afinacion.jpg",
                "ctwa_clid": (
                    "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0"
                    "-eM-GABDLOPaOdRMv-_zfUQ2a"
                ),
                "welcome_message": {"text": "¡Hola! ¿En qué te ayudamos?"},
            }
        },
    )


def test_reply_points_to_the_quoted_message() -> None:
    assert _only("reply") == _expected(
        20,
        MessageKind.TEXT,
        text="Sí, mañana a las 10 me queda bien",
        reply_to_wamid=OUR_WAMID,
    )


def test_forwarded_flags_are_kept_and_a_forward_is_no_reply() -> None:
    assert _only("forwarded") == _expected(
        21,
        MessageKind.TEXT,
        text="Promoción: 2x1 en cambio de aceite",
        details={"forwarded": True, "frequently_forwarded": True},
    )


def test_unsupported_message_keeps_meta_errors() -> None:
    assert _only("unsupported_with_errors") == _expected(
        22,
        MessageKind.UNSUPPORTED,
        details={
            "type": "unsupported",
            "unsupported": {"type": "edit"},
            "errors": [
                {
                    "code": 131051,
                    "title": "Message type unknown",
                    "message": "Message type unknown",
                    "details": "Message type is currently not supported.",
                }
            ],
        },
    )


def test_a_type_we_do_not_know_is_kept_as_unsupported_with_its_raw_json() -> None:
    (message,) = _messages("unknown_type")
    assert replace(message, raw=None) == _expected(
        23, MessageKind.UNSUPPORTED, details={"type": "poll"}
    )
    assert message.raw is not None
    assert json.loads(message.raw)["poll"] == {
        "question": "¿Qué día prefieres?",
        "options": ["lunes", "martes"],
    }


def test_a_customer_known_only_by_business_scoped_id() -> None:
    assert _only("bsuid_only") == _expected(
        24,
        MessageKind.TEXT,
        customer=CustomerIdentity(user_id=BSUID),
        profile_name="Ana",
        text="Hola, escribo desde mi usuario",
        details={"username": "@ana.garcia", "parent_user_id": "MX.ENT.11815799212886844830"},
    )
