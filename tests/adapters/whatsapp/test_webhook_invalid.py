"""Bodies we refuse: each raises InvalidWebhookPayload naming where the problem is, and
nothing of the body comes out (all or nothing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from crm_whatsapp.adapters.whatsapp.webhook import (
    DEFAULT_MAX_BYTES,
    InvalidWebhookPayload,
    PayloadTooLarge,
    parse_webhook,
)
from crm_whatsapp.domain.errors import CrmWhatsAppError

FIXTURES = Path(__file__).parent / "fixtures"
MESSAGE = "entry[0].changes[0].value.messages[0]"
STATUS = "entry[0].changes[0].value.statuses[0]"


def _document(name: str = "text") -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_bytes())
    return document


def _encoded(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def _refusal(body: bytes) -> InvalidWebhookPayload:
    with pytest.raises(InvalidWebhookPayload) as caught:
        parse_webhook(body)
    return caught.value


def _message_with(**changes: Any) -> bytes:
    document = _document()
    message = document["entry"][0]["changes"][0]["value"]["messages"][0]
    message.update(changes)
    return _encoded(document)


def _message_without(*keys: str) -> bytes:
    document = _document()
    message = document["entry"][0]["changes"][0]["value"]["messages"][0]
    for key in keys:
        del message[key]
    return _encoded(document)


def test_the_error_is_ours_with_a_code_for_the_http_layer() -> None:
    error = _refusal(b"{")
    assert isinstance(error, CrmWhatsAppError)
    assert error.code == "invalid_webhook_payload"
    assert error.location == "body"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"hola", "not JSON"),
        (b'{"object": "whatsapp_business_account",}', "not JSON"),
        (b'{"object": "whatsapp_business_account", "entry": [] } x', "not JSON"),
        (b'{"object": "\xff"}', "not UTF-8"),
        (b"\xef\xbb\xbf{}", "not JSON"),
        ('{"object": "x"}'.encode("utf-16"), "not UTF-8"),
        (b'{"n": NaN}', "NaN is not a JSON number"),
        (b'{"n": -Infinity}', "-Infinity is not a JSON number"),
        (b'{"n": 1e999}', "too large for a float"),
        (b'{"n": ' + b"9" * 5000 + b"}", "not JSON we accept"),
        (b'{"s": "\\ud800"}', "unpaired UTF-16 surrogate"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"[]", "expected a JSON object"),
        (b"null", "expected a JSON object"),
        (b'"whatsapp_business_account"', "expected a JSON object"),
    ],
)
def test_bodies_that_are_not_a_json_object(body: bytes, problem: str) -> None:
    error = _refusal(body)
    assert error.location == "body"
    assert problem in error.problem


def test_a_surrogate_pair_escape_is_a_valid_emoji() -> None:
    body = _message_with(text={"body": "PLACEHOLDER"}).replace(b"PLACEHOLDER", b"\\ud83d\\ude00")
    (message,) = parse_webhook(body).messages
    assert message.text == "😀"


@pytest.mark.parametrize("value", ["page", "instagram", None, 1])
def test_a_webhook_of_another_product_is_refused(value: object) -> None:
    error = _refusal(_encoded({"object": value, "entry": []}))
    assert error.location == "object"
    assert "not a WhatsApp Business Account webhook" in error.problem


def test_a_body_without_object_is_refused() -> None:
    assert _refusal(b'{"entry": []}').location == "object"


@pytest.mark.parametrize(
    ("document", "location"),
    [
        ({"object": "whatsapp_business_account"}, "entry"),
        ({"object": "whatsapp_business_account", "entry": {}}, "entry"),
        ({"object": "whatsapp_business_account", "entry": [{}]}, "entry[0].changes"),
        (
            {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {}}]}]},
            "entry[0].changes[0].field",
        ),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "messages", "value": {}}]}],
            },
            "entry[0].changes[0].value.metadata",
        ),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [{"changes": [{"field": "messages"}]}],
            },
            "entry[0].changes[0].value",
        ),
        (
            {
                "object": "whatsapp_business_account",
                "entry": [
                    {"changes": [{"field": "messages", "value": {"metadata": {}}}]},
                ],
            },
            "entry[0].changes[0].value.metadata.phone_number_id",
        ),
    ],
)
def test_an_envelope_missing_its_parts(document: object, location: str) -> None:
    assert _refusal(_encoded(document)).location == location


@pytest.mark.parametrize(
    ("changes", "location", "problem"),
    [
        ({"timestamp": "ayer"}, f"{MESSAGE}.timestamp", "unix seconds"),
        ({"timestamp": "1773156601.5"}, f"{MESSAGE}.timestamp", "unix seconds"),
        ({"timestamp": 1773156601.5}, f"{MESSAGE}.timestamp", "unix seconds"),
        ({"timestamp": True}, f"{MESSAGE}.timestamp", "boolean"),
        ({"timestamp": -1}, f"{MESSAGE}.timestamp", "out of range"),
        ({"timestamp": 10**13}, f"{MESSAGE}.timestamp", "out of range"),
        ({"timestamp": "9" * 13}, f"{MESSAGE}.timestamp", "unix seconds"),
        ({"id": 123}, f"{MESSAGE}.id", "valid string"),
        ({"id": ""}, f"{MESSAGE}.id", "at least 1 character"),
        ({"type": ["text"]}, f"{MESSAGE}.type", "valid string"),
        ({"from": 5215512345678}, f"{MESSAGE}.from", "valid string"),
        ({"text": {"body": 42}}, f"{MESSAGE}.text.body", "valid string"),
        ({"text": "hola"}, f"{MESSAGE}.text", "valid dictionary"),
        ({"type": "image"}, MESSAGE, "no 'image' object"),
        ({"type": "image", "image": {"caption": "sin id"}}, f"{MESSAGE}.image.id", "required"),
        ({"type": "system"}, MESSAGE, "no 'system' object"),
        (
            {"type": "location", "location": {"latitude": "norte", "longitude": 1}},
            f"{MESSAGE}.location.latitude",
            "valid number",
        ),
        (
            {"type": "reaction", "reaction": {"emoji": "👍"}},
            f"{MESSAGE}.reaction.message_id",
            "required",
        ),
        (
            {"type": "interactive", "interactive": {"type": "button_reply"}},
            f"{MESSAGE}.interactive",
            "no such object",
        ),
        ({"type": "contacts", "contacts": [1]}, f"{MESSAGE}.contacts[0]", "valid dictionary"),
        ({"context": {"forwarded": "tal vez"}}, f"{MESSAGE}.context.forwarded", "boolean"),
        ({"errors": [{"title": "sin código"}]}, f"{MESSAGE}.errors[0].code", "required"),
    ],
)
def test_a_malformed_message(changes: dict[str, Any], location: str, problem: str) -> None:
    error = _refusal(_message_with(**changes))
    assert error.location == location
    assert problem in error.problem
    assert str(error) == f"{location}: {error.problem}"


@pytest.mark.parametrize("keys", [("id",), ("timestamp",), ("type",), ("from", "from_user_id")])
def test_a_message_missing_a_required_field(keys: tuple[str, ...]) -> None:
    error = _refusal(_message_without(*keys))
    assert error.location.startswith(MESSAGE)


def test_a_message_without_any_sender_id_says_so() -> None:
    error = _refusal(_message_with(**{"from": "", "from_user_id": None}))
    assert (error.location, error.problem) == (
        MESSAGE,
        "no sender: neither 'from' nor 'from_user_id'",
    )


def test_one_bad_message_among_good_ones_refuses_the_whole_body() -> None:
    document = _document("batch")
    bad = document["entry"][1]["changes"][1]["value"]["messages"][1]
    del bad["timestamp"]
    error = _refusal(_encoded(document))
    assert error.location == "entry[1].changes[1].value.messages[1].timestamp"


def test_several_problems_are_counted_and_the_first_is_named() -> None:
    error = _refusal(_message_with(id=1, timestamp="ayer", type=None))
    assert error.location == f"{MESSAGE}.id"
    assert error.problem.endswith("(and 2 more problems)")


@pytest.mark.parametrize(
    ("changes", "location"),
    [
        ({"id": None}, f"{STATUS}.id"),
        ({"status": 3}, f"{STATUS}.status"),
        ({"timestamp": "mañana"}, f"{STATUS}.timestamp"),
        ({"errors": [{"code": "rate limit"}]}, f"{STATUS}.errors[0].code"),
        ({"pricing": "gratis"}, f"{STATUS}.pricing"),
    ],
)
def test_a_malformed_status(changes: dict[str, Any], location: str) -> None:
    document = _document("status_failed")
    document["entry"][0]["changes"][0]["value"]["statuses"][0].update(changes)
    assert _refusal(_encoded(document)).location == location


def test_a_malformed_value_error() -> None:
    document = _document("value_errors")
    document["entry"][0]["changes"][0]["value"]["errors"][0]["code"] = None
    assert _refusal(_encoded(document)).location == "entry[0].changes[0].value.errors[0].code"


def test_messages_must_be_a_list() -> None:
    document = _document()
    value = document["entry"][0]["changes"][0]["value"]
    value["messages"] = value["messages"][0]
    assert _refusal(_encoded(document)).location == "entry[0].changes[0].value.messages"


def test_refusals_never_quote_the_body() -> None:
    """Bodies hold customers' data and end up in logs through error messages."""
    secret = "SECRETO-Ana-5215512345678"
    for body in (
        _message_with(timestamp=secret),
        _message_with(id=[secret]),
        _message_with(type="image", image={"caption": secret}),
        _encoded({"object": secret, "entry": []}),
        _message_with(text={"body": {secret: secret}}),
        _message_with(context={"forwarded": secret}),
        (b'{"' + secret.encode() + b'": ' + b"\xff}"),
        (b'{"' + secret.encode() + b'": }'),
    ):
        assert secret not in str(_refusal(body))


def test_a_body_over_the_limit_is_too_large() -> None:
    body = _message_with(text={"body": "x" * DEFAULT_MAX_BYTES})
    with pytest.raises(PayloadTooLarge) as caught:
        parse_webhook(body)
    error = caught.value
    assert isinstance(error, InvalidWebhookPayload)
    assert error.code == "payload_too_large"
    assert (error.size, error.limit) == (len(body), DEFAULT_MAX_BYTES)


def test_the_limit_can_be_set_and_is_inclusive() -> None:
    body = (FIXTURES / "text.json").read_bytes()
    assert len(parse_webhook(body, max_bytes=len(body)).messages) == 1
    with pytest.raises(PayloadTooLarge):
        parse_webhook(body, max_bytes=len(body) - 1)


def test_the_size_is_checked_before_decoding() -> None:
    with pytest.raises(PayloadTooLarge):
        parse_webhook(b"\xff" * 11, max_bytes=10)
