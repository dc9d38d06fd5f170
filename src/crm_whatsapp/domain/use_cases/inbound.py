"""Receive a customer's message: store it once, let the bot decide once, queue the reply.

The message, the decision and the pending reply are one unit of work (or one savepoint of
the batch processor's), so a duplicate delivery changes nothing at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_whatsapp.domain.access import Actor
from crm_whatsapp.domain.activity import Activity, ActivityKind
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import Delivery
from crm_whatsapp.domain.errors import ClientLookupUnavailable
from crm_whatsapp.domain.events import ActivityRecorded, ConversationChanged, Event, MessageStored
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.ingest import bounded_time
from crm_whatsapp.domain.media import MediaFile
from crm_whatsapp.domain.message import (
    Author,
    Direction,
    IncomingMessage,
    Message,
    MessageKind,
    Processing,
    ProcessingState,
)
from crm_whatsapp.domain.policy import (
    Decision,
    Effect,
    HandOff,
    NoReply,
    ReplyInteractive,
    ReplyTemplate,
    ReplyText,
    decide,
)
from crm_whatsapp.domain.ports import ClientLookup, IdGenerator, UnitOfWork
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.team import record_activity

OUT_OF_RANGE_DETAIL = "whatsapp_timestamp_out_of_range"
"""In ``details``: the time Meta claimed, when it was implausible and the receipt time was
kept instead."""


@dataclass(frozen=True, slots=True)
class InboundOutcome:
    """What happened to one delivery of a message; ``duplicate`` means nothing was stored."""

    duplicate: bool
    conversation_id: str | None = None
    message: Message | None = None
    decision: Decision | None = None
    reply: Message | None = None
    reopened: Activity | None = None
    """The log's entry when the message reopened a resolved conversation."""


def receive_inbound(deps: Dependencies, incoming: IncomingMessage) -> InboundOutcome:
    """Store one message in its own unit of work (the batch processor uses ``store_inbound``
    inside its own)."""
    with deps.unit_of_work() as uow:
        outcome = store_inbound(uow, deps, incoming, deps.clock.now())
        if outcome.duplicate:
            return outcome
        uow.commit()
    deps.events.publish(inbound_events(outcome))
    return outcome


def store_inbound(
    uow: UnitOfWork, deps: Dependencies, incoming: IncomingMessage, received_at: datetime
) -> InboundOutcome:
    """The message, the bot's decision and its queued reply, in ``uow`` (not committed).

    ``received_at`` is when the webhook stored the body: the message's time in our records,
    and its WhatsApp time too when Meta's is implausible (see ``bounded_time``).
    """
    now = deps.clock.now()
    repo = uow.conversations
    conversation = repo.get_or_start(
        Conversation.start(deps.ids.new_id(), incoming.business_number_id, incoming.customer, now)
    )
    message = _stored_form(incoming, conversation.id, deps.ids.new_id(), received_at)
    if not repo.add_inbound(message):
        return InboundOutcome(duplicate=True, conversation_id=conversation.id)

    before = conversation.with_customer(incoming.customer, incoming.profile_name)
    decision: Decision | None = None
    try:
        before, client = _with_client(before, deps.clients)
        decision = decide(before, message, client, now, deps.rules)
    except ClientLookupUnavailable as exc:
        message = message.with_processing(ProcessingState.FAILED, f"client lookup: {exc}")
    after = before.with_inbound(message, incoming.profile_name)
    reply = None
    if decision is not None:
        after = _apply_effects(after, decision, now)
        reply = _reply_for(decision, after, message, deps.ids, now)
        message = _processed(message, decision, reply)
    if reply is not None:
        repo.add_outbound(reply)
        after = after.with_outbound(reply).with_bot_reply(now, deps.rules.remember_bot_replies_for)
    repo.update_message(message)
    repo.save(after)
    reopened = None
    if conversation.is_resolved and not after.is_resolved:
        reopened = record_activity(
            uow,
            deps,
            after.id,
            ActivityKind.STATUS,
            Actor.system(),
            details={
                "from": conversation.status.value,
                "to": after.status.value,
                "reason": "customer_wrote",
            },
        )
    return InboundOutcome(False, after.id, message, decision, reply, reopened)


def inbound_events(outcome: InboundOutcome) -> list[Event]:
    """What the inbox hears once ``store_inbound``'s work is committed."""
    if outcome.duplicate or outcome.message is None or outcome.conversation_id is None:
        return []
    events: list[Event] = [MessageStored(outcome.conversation_id, outcome.message.id)]
    if outcome.reply is not None:
        events.append(MessageStored(outcome.conversation_id, outcome.reply.id))
    events.append(ConversationChanged(outcome.conversation_id))
    if outcome.reopened is not None:
        entry = outcome.reopened
        events.append(ActivityRecorded(entry.conversation_id, entry.id, entry.kind.value))
    return events


def _stored_form(
    incoming: IncomingMessage, conversation_id: str, message_id: str, now: datetime
) -> Message:
    sent_at = bounded_time(incoming.timestamp, now)
    details = incoming.details
    if sent_at is None:
        sent_at = now
        details = {**details, OUT_OF_RANGE_DETAIL: incoming.timestamp.isoformat()}
    return Message(
        id=message_id,
        conversation_id=conversation_id,
        direction=Direction.INBOUND,
        kind=incoming.kind,
        created_at=now,
        author=Author.customer(),
        text=incoming.text,
        wamid=incoming.wamid,
        whatsapp_timestamp=sent_at,
        media_id=incoming.media_id,
        reply_to_wamid=incoming.reply_to_wamid,
        details=details,
        raw=incoming.raw,
        processing=Processing(),
        media=_file_of(incoming, now),
    )


def _file_of(incoming: IncomingMessage, now: datetime) -> MediaFile | None:
    """A media message's file, to be fetched at once (Meta keeps it for 7 days only)."""
    if not incoming.kind.is_media:
        return None
    details = incoming.details
    mime_type, filename, digest = (details.get(key) for key in ("mime_type", "filename", "sha256"))
    media = MediaFile.awaiting_fetch(
        now,
        mime_type=mime_type if isinstance(mime_type, str) else None,
        filename=filename if isinstance(filename, str) else None,
        announced_sha256=digest if isinstance(digest, str) else None,
        voice=details.get("voice") is True,
    )
    if incoming.media_id is None:
        return media.gave_up("Meta's webhook gave no media id for this file")
    return media


def _with_client(
    conversation: Conversation, clients: ClientLookup
) -> tuple[Conversation, ClientRef | None]:
    """The conversation's CRM client: the one linked, else found by phone.

    A person's choice (linking or unlinking by hand) is never overridden by the lookup, and
    an ambiguous number links nobody.
    """
    if conversation.client_id is not None:
        return conversation, clients.by_id(conversation.client_id)
    phone = conversation.customer.phone
    if conversation.client_linked_manually or phone is None:
        return conversation, None
    client = clients.by_phone(phone).client
    if client is None:
        return conversation, None
    return conversation.linked_to(client, manually=False), client


def _apply_effects(conversation: Conversation, decision: Decision, now: datetime) -> Conversation:
    if Effect.OPT_OUT in decision.effects:
        conversation = conversation.with_opt_out(True)
    if Effect.OPT_IN in decision.effects:
        conversation = conversation.with_opt_out(False)
    if Effect.AFTER_HOURS_NOTICE in decision.effects:
        conversation = conversation.with_after_hours_notice(now)
    if Effect.HAND_OFF in decision.effects and not conversation.bot_paused:
        conversation = conversation.handed_off()
    return conversation


def _reply_for(
    decision: Decision,
    conversation: Conversation,
    inbound: Message,
    ids: IdGenerator,
    now: datetime,
) -> Message | None:
    if isinstance(decision, NoReply) or (isinstance(decision, HandOff) and not decision.text):
        return None
    template = decision.template if isinstance(decision, ReplyTemplate) else None
    text = decision.text if isinstance(decision, ReplyText | HandOff) else None
    interactive = decision.content if isinstance(decision, ReplyInteractive) else None
    kind = MessageKind.TEMPLATE if template else MessageKind.TEXT
    if interactive is not None:
        kind, text = MessageKind.INTERACTIVE, interactive.body
    return Message(
        id=ids.new_id(),
        conversation_id=conversation.id,
        direction=Direction.OUTBOUND,
        kind=kind,
        created_at=now,
        author=Author.bot(),
        text=text,
        template=template,
        details={"rule": decision.rule, "in_reply_to": inbound.id},
        delivery=Delivery.pending(now),
        interactive=interactive,
    )


def _processed(message: Message, decision: Decision, reply: Message | None) -> Message:
    if reply is not None:
        return message.with_processing(ProcessingState.REPLIED, None, decision.rule)
    if isinstance(decision, NoReply):
        return message.with_processing(
            ProcessingState.SKIPPED, decision.reason.value, decision.rule
        )
    return message.with_processing(ProcessingState.SKIPPED, "handed_off_silently", decision.rule)
