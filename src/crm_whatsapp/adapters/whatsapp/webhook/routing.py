"""Webhook fields other than customers' messages: where each one goes.

- ``messages``: messages, statuses, errors (``reading.py``).
- ``user_preferences``: a customer stopped or resumed marketing messages.
- ``smb_message_echoes``: the business wrote from the WhatsApp Business app on the same number
  (coexistence); stored as outbound by the phone app.
- Template status, quality and category updates: channel events of kind ``template``, for
  the templates feature.
- Account updates, reviews and alerts; a number's quality rating or limit: channel health.
- Any other field: kept as an ``other`` channel event and counted, never an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from crm_whatsapp.adapters.whatsapp.webhook.conversion import incoming_message
from crm_whatsapp.adapters.whatsapp.webhook.payload import (
    MetaError,
    UnixTimestamp,
    WaIdStr,
    WebhookMessage,
)
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.ingest import (
    ChannelEvent,
    ChannelEventKind,
    MarketingChoice,
    MessageEcho,
    PreferenceUpdate,
)
from crm_whatsapp.domain.template_ports import TemplateUpdate

ECHOES_FIELD = "smb_message_echoes"
PREFERENCES_FIELD = "user_preferences"

FIELD_KINDS: Mapping[str, ChannelEventKind] = {
    "message_template_status_update": ChannelEventKind.TEMPLATE,
    "message_template_quality_update": ChannelEventKind.TEMPLATE,
    "message_template_components_update": ChannelEventKind.TEMPLATE,
    "template_category_update": ChannelEventKind.TEMPLATE,
    "account_update": ChannelEventKind.ACCOUNT,
    "account_review_update": ChannelEventKind.ACCOUNT,
    "account_alerts": ChannelEventKind.ACCOUNT,
    "business_capability_update": ChannelEventKind.ACCOUNT,
    "business_status_update": ChannelEventKind.ACCOUNT,
    "security": ChannelEventKind.ACCOUNT,
    "phone_number_quality_update": ChannelEventKind.QUALITY,
    "phone_number_name_update": ChannelEventKind.QUALITY,
}
"""Fields we know to be about the channel; the rest are ``other``."""

_SUMMARY_KEYS = (
    "event",
    "message_template_name",
    "message_template_language",
    "reason",
    "current_limit",
    "new_category",
    "display_phone_number",
    "decision",
    "alert_type",
    "alert_severity",
)


class _Preference(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    wa_id: WaIdStr
    value: str
    category: str = "marketing_messages"
    timestamp: UnixTimestamp
    detail: str | None = None


def preference_of(raw: Any, business_number_id: str | None) -> PreferenceUpdate:
    if business_number_id is None:
        raise ValueError("metadata: no phone_number_id for this preference")
    preference = _Preference.model_validate(raw)
    try:
        choice = MarketingChoice(preference.value.lower())
    except ValueError:
        # never the value itself: reasons are shown and logged, bodies are customers' data
        raise ValueError("value: neither stop nor resume") from None
    if not preference.wa_id:
        raise ValueError("wa_id: empty")
    return PreferenceUpdate(
        business_number_id=business_number_id,
        customer=CustomerIdentity.from_wa_id(preference.wa_id),
        choice=choice,
        at=preference.timestamp,
        category=preference.category,
    )


def echo_of(data: Mapping[str, Any], raw: Mapping[str, Any], number: str) -> MessageEcho:
    """An echo reads like a customer's message sent the other way: ``to`` is the customer."""
    customer = data.get("to")
    if not isinstance(customer, str) or not customer:
        raise ValueError("to: the customer's number is missing")
    message = WebhookMessage.model_validate({**data, "from": customer})
    incoming = incoming_message(message, raw, number, ())
    return MessageEcho(
        business_number_id=number,
        customer=incoming.customer,
        wamid=incoming.wamid,
        kind=incoming.kind,
        timestamp=incoming.timestamp,
        text=incoming.text,
        media_id=incoming.media_id,
        details=incoming.details,
        raw=incoming.raw,
    )


def channel_event(field: str, value: Mapping[str, Any], account_id: str | None) -> ChannelEvent:
    kind = FIELD_KINDS.get(field, ChannelEventKind.OTHER)
    return ChannelEvent(
        field=field,
        kind=kind,
        summary=_summary(field, value),
        payload=json.dumps(value, ensure_ascii=False),
        account_id=account_id,
        business_number_id=_number_in(value),
        template_update=_template_update(field, value),
    )


def _template_update(field: str, value: Mapping[str, Any]) -> TemplateUpdate | None:
    """The change a template webhook reports, or None if it names no template or no
    change we keep (a components update waits for the next sync)."""
    name, language = value.get("message_template_name"), value.get("message_template_language")
    if not isinstance(name, str) or not isinstance(language, str) or not name or not language:
        return None

    def text(key: str) -> str | None:
        found = value.get(key)
        return found[:200] if isinstance(found, str) and found else None

    if field == "message_template_status_update" and text("event"):
        reason = text("reason")
        return TemplateUpdate(
            name, language, status=text("event"), reason=None if reason == "NONE" else reason
        )
    if field == "message_template_quality_update" and text("new_quality_score"):
        return TemplateUpdate(name, language, quality=text("new_quality_score"))
    if field == "template_category_update" and text("new_category"):
        return TemplateUpdate(name, language, category=text("new_category"))
    return None


def error_event(raw: Any, number: str, account_id: str | None) -> ChannelEvent:
    error = MetaError.model_validate(raw)
    return ChannelEvent(
        field="messages",
        kind=ChannelEventKind.WEBHOOK_ERROR,
        summary=f"{error.code}: {error.describe()}"[:500],
        payload=json.dumps(raw, ensure_ascii=False),
        account_id=account_id,
        business_number_id=number,
    )


def unknown_status_event(raw: Any, number: str, description: str) -> ChannelEvent:
    return ChannelEvent(
        field="messages",
        kind=ChannelEventKind.UNKNOWN_STATUS,
        summary=description[:500],
        payload=json.dumps(raw, ensure_ascii=False),
        business_number_id=number,
    )


def _summary(field: str, value: Mapping[str, Any]) -> str:
    """A line for people: the field and the telling values Meta put in it."""
    parts = [
        f"{key}={value[key]}"
        for key in _SUMMARY_KEYS
        if isinstance(value.get(key), str | int | float) and not isinstance(value.get(key), bool)
    ]
    return (field + (": " + ", ".join(parts) if parts else ""))[:500]


def _number_in(value: Mapping[str, Any]) -> str | None:
    metadata = value.get("metadata")
    if isinstance(metadata, dict) and isinstance(metadata.get("phone_number_id"), str):
        return str(metadata["phone_number_id"])[:64]
    number = value.get("phone_number_id")
    return str(number)[:64] if isinstance(number, str | int) else None
