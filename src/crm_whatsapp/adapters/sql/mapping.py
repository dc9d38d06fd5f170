"""Explicit row <-> domain mapping: the domain objects stay plain dataclasses.

Each ``*_values`` function gives the column values to write; each ``*_from_row`` rebuilds
the domain object from a row, re-checking nothing that was validated when it was built
(a stored PhoneNumber is already E.164).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from crm_whatsapp.adapters.sql.template_message_json import (
    template_message_from_json,
    template_message_json,
)
from crm_whatsapp.domain.access import Actor, ActorKind
from crm_whatsapp.domain.activity import Activity, ActivityKind
from crm_whatsapp.domain.conversation import Conversation, ConversationStatus
from crm_whatsapp.domain.delivery import Delivery, DeliveryStatus, SendFailure, StatusUpdate
from crm_whatsapp.domain.errors import InvalidOutboundMessage
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.media import MediaFile, MediaStatus
from crm_whatsapp.domain.message import (
    Author,
    AuthorKind,
    Direction,
    Message,
    MessageKind,
    Processing,
    ProcessingState,
)
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.policy.text import normalize

Row = Mapping[Any, Any]
INTERACTIVE_DETAIL = "interactive"
"""The key of a message's ``details`` that holds its ``InteractiveContent`` as JSON."""


# -- conversations ---------------------------------------------------------------------


def conversation_values(c: Conversation) -> dict[str, Any]:
    phone = c.customer.phone
    return {
        "id": c.id,
        "business_number_id": c.business_number_id,
        "wa_id": c.customer.wa_id,
        "user_id": c.customer.user_id,
        "phone_e164": phone.e164 if phone else None,
        "phone_key": phone.lookup_key if phone else None,
        "customer_key": c.customer.key,
        "started_at": c.started_at,
        "last_activity_at": c.last_activity_at,
        "profile_name": c.profile_name,
        "client_id": c.client_id,
        "client_name": c.client_name,
        "client_linked_manually": c.client_linked_manually,
        "last_inbound_at": c.last_inbound_at,
        "last_preview": c.last_preview,
        "unread_count": c.unread_count,
        "bot_paused": c.bot_paused,
        "assigned_agent": c.assigned_agent,
        "assigned_agent_id": c.assigned_agent_id,
        "status": c.status.value,
        "opted_out": c.opted_out,
        "recent_bot_replies": [at.isoformat() for at in c.recent_bot_replies],
        "after_hours_notice_at": c.after_hours_notice_at,
        "marketing_opt_out": c.marketing_opt_out,
        "marketing_preference_at": c.marketing_preference_at,
    }


def conversation_from_row(row: Row) -> Conversation:
    phone = row["phone_e164"]
    return Conversation(
        id=row["id"],
        business_number_id=row["business_number_id"],
        customer=CustomerIdentity(
            wa_id=row["wa_id"],
            user_id=row["user_id"],
            phone=PhoneNumber(phone) if phone else None,
        ),
        started_at=row["started_at"],
        last_activity_at=row["last_activity_at"],
        profile_name=row["profile_name"],
        client_id=row["client_id"],
        client_name=row["client_name"],
        client_linked_manually=bool(row["client_linked_manually"]),
        last_inbound_at=row["last_inbound_at"],
        last_preview=row["last_preview"] or "",
        unread_count=row["unread_count"],
        bot_paused=bool(row["bot_paused"]),
        assigned_agent=row["assigned_agent"],
        assigned_agent_id=row["assigned_agent_id"],
        status=ConversationStatus(row["status"]),
        opted_out=bool(row["opted_out"]),
        recent_bot_replies=tuple(datetime.fromisoformat(at) for at in row["recent_bot_replies"]),
        after_hours_notice_at=row["after_hours_notice_at"],
        marketing_opt_out=bool(row["marketing_opt_out"]),
        marketing_preference_at=row["marketing_preference_at"],
    )


# -- messages --------------------------------------------------------------------------


def message_values(m: Message) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "direction": m.direction.value,
        "kind": m.kind.value,
        "created_at": m.created_at,
        "sent_at": m.sent_at,
        "author_kind": m.author.kind.value,
        "author_name": m.author.name,
        "text": m.text,
        "search_text": normalize(m.text) if m.text else None,
        "wamid": m.wamid,
        "whatsapp_timestamp": m.whatsapp_timestamp,
        "media_id": m.media_id,
        "reply_to_wamid": m.reply_to_wamid,
        "details": _details_json(m),
        "raw": m.raw,
        "processing_state": m.processing.state.value if m.processing else None,
        "processing_detail": m.processing.detail if m.processing else None,
        "processing_rule": m.processing.rule if m.processing else None,
        "template": template_message_json(m.template),
    }
    values.update(_delivery_values(m.delivery))
    values.update(media_values(m.media))
    return values


def media_values(f: MediaFile | None) -> dict[str, Any]:
    return {
        "media_status": f.status.value if f else None,
        "media_mime_type": f.mime_type if f else None,
        "media_sha256": f.sha256 if f else None,
        "media_size": f.size if f else None,
        "media_filename": f.filename if f else None,
        "media_announced_sha256": f.announced_sha256 if f else None,
        "media_voice": f.voice if f else False,
        "media_attempts": f.attempts if f else 0,
        "media_next_attempt_at": f.next_attempt_at if f else None,
        "media_error": f.error if f else None,
        "media_stored_at": f.stored_at if f else None,
    }


def _media_from_row(row: Row) -> MediaFile | None:
    status = row["media_status"]
    if status is None:
        return None
    return MediaFile(
        status=MediaStatus(status),
        mime_type=row["media_mime_type"],
        sha256=row["media_sha256"],
        size=row["media_size"],
        filename=row["media_filename"],
        announced_sha256=row["media_announced_sha256"],
        voice=bool(row["media_voice"]),
        attempts=row["media_attempts"] or 0,
        next_attempt_at=row["media_next_attempt_at"],
        error=row["media_error"],
        stored_at=row["media_stored_at"],
    )


def _delivery_values(d: Delivery | None) -> dict[str, Any]:
    error = d.last_error if d else None
    return {
        "delivery_status": d.status.value if d else None,
        "attempts": d.attempts if d else 0,
        "next_attempt_at": d.next_attempt_at if d else None,
        "last_error_code": error.code if error else None,
        "last_error_title": error.title if error else None,
        "last_error_retryable": error.retryable if error else None,
        "unknown_outcomes": d.unknown_outcomes if d else 0,
        "send_in_flight": d.in_flight if d else False,
        "delivery_sent_at": d.sent_at if d else None,
        "delivered_at": d.delivered_at if d else None,
        "read_at": d.read_at if d else None,
        "failed_at": d.failed_at if d else None,
    }


def _details_json(m: Message) -> dict[str, Any]:
    """The details, with the interactive content under ``"interactive"`` (no column of its
    own: a JSON value beside the others needs no migration)."""
    details = dict(m.details)
    if m.interactive is not None:
        details[INTERACTIVE_DETAIL] = m.interactive.to_json()
    return details


def _interactive_from(
    details: Mapping[str, Any],
) -> tuple[Mapping[str, Any], InteractiveContent | None]:
    """``(details without it, the InteractiveContent)`` of a stored message, or the details
    as they are and None."""
    stored = details.get(INTERACTIVE_DETAIL)
    if not isinstance(stored, Mapping):
        return details, None
    try:
        content = InteractiveContent.from_json(stored)
    except InvalidOutboundMessage:  # not ours: someone's own detail of that name
        return details, None
    return {k: v for k, v in details.items() if k != INTERACTIVE_DETAIL}, content


def message_from_row(row: Row) -> Message:
    template = row["template"]
    details, interactive = _interactive_from(row["details"] or {})
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        direction=Direction(row["direction"]),
        kind=MessageKind(row["kind"]),
        created_at=row["created_at"],
        author=Author(AuthorKind(row["author_kind"]), row["author_name"]),
        text=row["text"],
        wamid=row["wamid"],
        whatsapp_timestamp=row["whatsapp_timestamp"],
        media_id=row["media_id"],
        reply_to_wamid=row["reply_to_wamid"],
        details=details,
        raw=row["raw"],
        processing=_processing_from_row(row),
        delivery=_delivery_from_row(row),
        template=template_message_from_json(template),
        media=_media_from_row(row),
        interactive=interactive,
    )


def _processing_from_row(row: Row) -> Processing | None:
    state = row["processing_state"]
    if state is None:
        return None
    return Processing(ProcessingState(state), row["processing_detail"], row["processing_rule"])


def _delivery_from_row(row: Row) -> Delivery | None:
    status = row["delivery_status"]
    if status is None:
        return None
    code = row["last_error_code"]
    return Delivery(
        status=DeliveryStatus(status),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=SendFailure(
            code, row["last_error_title"] or "", bool(row["last_error_retryable"])
        )
        if code is not None
        else None,
        unknown_outcomes=row["unknown_outcomes"],
        in_flight=bool(row["send_in_flight"]),
        sent_at=row["delivery_sent_at"],
        delivered_at=row["delivered_at"],
        read_at=row["read_at"],
        failed_at=row["failed_at"],
    )


# -- parked statuses -------------------------------------------------------------------


def status_values(update: StatusUpdate) -> dict[str, Any]:
    failure = update.failure
    return {
        "wamid": update.wamid,
        "status": update.status.value,
        "timestamp": update.timestamp,
        "failure_code": failure.code if failure else None,
        "failure_title": failure.title if failure else None,
        "failure_retryable": failure.retryable if failure else None,
        "recipient_id": update.recipient_id,
        "details": dict(update.details),
    }


def status_from_row(row: Row) -> StatusUpdate:
    code = row["failure_code"]
    return StatusUpdate(
        wamid=row["wamid"],
        status=DeliveryStatus(row["status"]),
        timestamp=row["timestamp"],
        failure=SendFailure(code, row["failure_title"] or "", bool(row["failure_retryable"]))
        if code is not None
        else None,
        recipient_id=row["recipient_id"],
        details=row["details"] or {},
    )


# -- the activity log ------------------------------------------------------------------


def activity_values(a: Activity) -> dict[str, Any]:
    return {
        "id": a.id,
        "conversation_id": a.conversation_id,
        "at": a.at,
        "kind": a.kind.value,
        "actor_kind": a.actor.kind.value,
        "actor_id": a.actor.id,
        "actor_name": a.actor.name,
        "on_behalf_of": a.actor.on_behalf_of,
        "details": dict(a.details),
    }


def activity_from_row(row: Row) -> Activity:
    return Activity(
        id=row["id"],
        conversation_id=row["conversation_id"],
        at=row["at"],
        kind=ActivityKind(row["kind"]),
        actor=Actor(
            ActorKind(row["actor_kind"]), row["actor_name"], row["actor_id"], row["on_behalf_of"]
        ),
        details=row["details"] or {},
    )
