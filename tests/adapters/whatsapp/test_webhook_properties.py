"""Properties: whatever arrives, parse_webhook raises only InvalidWebhookPayload, and a valid
body never loses a message or a status, whatever types and extra fields it carries."""

from __future__ import annotations

import json
import string
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.adapters.whatsapp.webhook import (
    InvalidWebhookPayload,
    WebhookBatch,
    parse_webhook,
)

_KEYS = st.sampled_from(
    [
        "object",
        "entry",
        "changes",
        "field",
        "value",
        "metadata",
        "phone_number_id",
        "messages",
        "statuses",
        "contacts",
        "errors",
        "id",
        "from",
        "timestamp",
        "type",
        "text",
        "body",
        "status",
    ]
) | st.text(max_size=8)
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["whatsapp_business_account", "messages", "text", "1773156601", "sent"])
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_KEYS, children, max_size=5),
    max_leaves=30,
)


def _parse_or_refuse(body: bytes) -> WebhookBatch | None:
    try:
        return parse_webhook(body)
    except InvalidWebhookPayload:
        return None


@given(st.binary(max_size=300))
def test_arbitrary_bytes_are_a_batch_or_an_invalid_payload(body: bytes) -> None:
    _parse_or_refuse(body)


@given(JSON_VALUES)
def test_arbitrary_json_is_a_batch_or_an_invalid_payload(value: object) -> None:
    _parse_or_refuse(json.dumps(value).encode())


def _envelope(changes: object) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": changes}]}


@given(JSON_VALUES, JSON_VALUES, JSON_VALUES)
def test_arbitrary_json_deep_inside_an_envelope_is_a_batch_or_an_invalid_payload(
    value: object, message: object, status: object
) -> None:
    """Random values where the parser looks, so validation is reached, not just the top."""
    metadata = {"phone_number_id": "106540352242922"}
    for body in (
        _envelope(value),
        _envelope([{"field": "messages", "value": value}]),
        _envelope([{"field": "messages", "value": {"metadata": metadata, "messages": value}}]),
        _envelope([{"field": "messages", "value": {"metadata": metadata, "messages": [message]}}]),
        _envelope([{"field": "messages", "value": {"metadata": metadata, "statuses": [status]}}]),
    ):
        _parse_or_refuse(json.dumps(body).encode())


_IDS = st.text(string.ascii_letters + string.digits + "._-=", min_size=1, max_size=20)
_WA_IDS = st.integers(10**10, 10**14).map(str)
_TEXTS = st.text(max_size=30)
_MEDIA = st.fixed_dictionaries(
    {"id": _IDS},
    optional={"caption": _TEXTS, "mime_type": _TEXTS, "voice": st.booleans()},
)
_TYPE_OBJECTS: dict[str, st.SearchStrategy[Any]] = {
    "text": st.fixed_dictionaries({"body": _TEXTS}),
    "image": _MEDIA,
    "audio": _MEDIA,
    "video": _MEDIA,
    "document": _MEDIA,
    "sticker": _MEDIA,
    "location": st.fixed_dictionaries(
        {"latitude": st.floats(-90, 90), "longitude": st.floats(-180, 180)},
        optional={"name": _TEXTS},
    ),
    "contacts": st.lists(st.dictionaries(_KEYS, _SCALARS, max_size=3), max_size=2),
    "interactive": st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("button_reply"),
                "button_reply": st.fixed_dictionaries({"id": _IDS, "title": _TEXTS}),
            }
        ),
        st.fixed_dictionaries(
            {
                "type": st.just("nfm_reply"),
                "nfm_reply": st.fixed_dictionaries({"response_json": _TEXTS}),
            }
        ),
        st.fixed_dictionaries({"type": _TEXTS.filter(lambda t: not t.endswith("_reply"))}),
    ),
    "button": st.fixed_dictionaries({"text": _TEXTS}, optional={"payload": _TEXTS}),
    "reaction": st.fixed_dictionaries({"message_id": _IDS}, optional={"emoji": _TEXTS}),
    "order": st.fixed_dictionaries({}, optional={"text": _TEXTS, "catalog_id": _IDS}),
    "system": st.fixed_dictionaries({}, optional={"body": _TEXTS, "new_wa_id": _WA_IDS}),
}
_RESERVED = frozenset(
    {"id", "from", "from_user_id", "timestamp", "type", "context", "referral", "errors"}
    | {"unsupported"}
)
_EXTRA_FIELDS = st.dictionaries(
    st.text(string.ascii_lowercase + "_", min_size=1, max_size=10).filter(
        lambda key: key not in _TYPE_OBJECTS and key not in _RESERVED
    ),
    JSON_VALUES,
    max_size=3,
)


@st.composite
def _messages(draw: st.DrawFn, n: int) -> dict[str, Any]:
    """A valid message of a known or unknown type, with extra fields Meta may add."""
    unknown_types = _IDS.filter(lambda t: t not in _TYPE_OBJECTS)
    message_type = draw(st.sampled_from([*_TYPE_OBJECTS, "unsupported"]) | unknown_types)
    message: dict[str, Any] = draw(_EXTRA_FIELDS)
    message |= {
        "id": f"wamid.{n}",
        "timestamp": str(draw(st.integers(0, 2**33))),
        "type": message_type,
    }
    sender = draw(st.sampled_from(["wa_id", "user_id", "both"]))
    if sender in ("wa_id", "both"):
        message["from"] = draw(_WA_IDS)
    if sender in ("user_id", "both"):
        message["from_user_id"] = "MX." + draw(_WA_IDS)
    if message_type in _TYPE_OBJECTS:
        message[message_type] = draw(_TYPE_OBJECTS[message_type])
    if draw(st.booleans()):
        message["context"] = {"id": "wamid.ours", "forwarded": draw(st.booleans())}
    return message


@st.composite
def _bodies(draw: st.DrawFn) -> tuple[dict[str, Any], list[str], int]:
    """Entries x changes x messages and statuses; the wamids in document order."""
    counter = iter(range(10**6))
    wamids: list[str] = []
    statuses = 0
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        changes: list[dict[str, Any]] = []
        for _ in range(draw(st.integers(0, 3))):
            if draw(st.integers(0, 4)) == 0:
                changes.append({"field": "account_update", "value": draw(JSON_VALUES)})
                continue
            messages = [draw(_messages(next(counter))) for _ in range(draw(st.integers(0, 4)))]
            wamids.extend(message["id"] for message in messages)
            status_list = [
                {
                    "id": f"wamid.out.{next(counter)}",
                    "status": draw(st.sampled_from(["sent", "delivered", "read", "played"])),
                    "timestamp": "1773156601",
                }
                for _ in range(draw(st.integers(0, 3)))
            ]
            statuses += len(status_list)
            value = {
                "metadata": {"phone_number_id": draw(_IDS)},
                "messages": messages,
                "statuses": status_list,
            }
            changes.append({"field": "messages", "value": value})
        entries.append({"id": draw(_IDS), "changes": changes})
    return {"object": "whatsapp_business_account", "entry": entries}, wamids, statuses


@given(_bodies())
def test_a_valid_body_never_loses_a_message_or_a_status(
    drawn: tuple[dict[str, Any], list[str], int],
) -> None:
    document, wamids, statuses = drawn
    batch = parse_webhook(json.dumps(document, ensure_ascii=False).encode())
    assert [message.wamid for message in batch.messages] == wamids
    assert len(batch.statuses) == statuses
    for message in batch.messages:
        assert message.raw is not None
        assert json.loads(message.raw)["id"] == message.wamid
        assert json.loads(json.dumps(dict(message.details))) == dict(message.details)
