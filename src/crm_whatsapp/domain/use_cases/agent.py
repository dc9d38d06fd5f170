"""A person answers from the CRM: the 24-hour rule applies, and the bot steps back."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from crm_whatsapp.domain.access import Actor
from crm_whatsapp.domain.activity import ActivityKind
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import Delivery
from crm_whatsapp.domain.errors import (
    CustomerOptedOut,
    InvalidOutboundMessage,
    OutsideServiceWindow,
)
from crm_whatsapp.domain.events import ActivityRecorded, ConversationChanged, Event, MessageStored
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.media import MediaFile
from crm_whatsapp.domain.message import Author, Direction, Message, MessageKind, TemplateMessage
from crm_whatsapp.domain.ports import UnitOfWork
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.team import ActorLike, Assignee, acting, record_activity
from crm_whatsapp.domain.use_cases.template_sending import template_to_send

MAX_TEXT_LENGTH = 4096
"""WhatsApp refuses longer text bodies."""
MAX_CAPTION_LENGTH = 1024
"""WhatsApp refuses longer media captions."""


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the agent sends: already checked (type by content, Meta's size limit) and
    kept in the media store; ``kind`` is how it goes (image, audio, video, document,
    sticker)."""

    kind: MessageKind
    media: MediaFile

    def __post_init__(self) -> None:
        if not self.kind.is_media:
            raise InvalidOutboundMessage("file", f"{self.kind.value} is not a kind of file")
        if not self.media.is_stored:
            raise InvalidOutboundMessage("file", "must be in the media store before sending")


def agent_reply(
    deps: Dependencies,
    conversation_id: str,
    actor: ActorLike,
    *,
    text: str | None = None,
    template: TemplateMessage | None = None,
    attachment: Attachment | None = None,
    reply_to_wamid: str | None = None,
    take_over: bool = True,
    interactive: InteractiveContent | None = None,
) -> Message:
    """Queue an agent's message for sending and return it (pending).

    Free text and files only within 24 hours of the customer's last message (else
    ``OutsideServiceWindow``); a template at any time, but never to a customer who opted
    out, and checked against the synced catalogue (``template_sending``). With an
    ``attachment``, ``text`` is its caption, or with a template the file is its header.
    By default the agent takes the conversation over, so the bot does not talk across
    them. ``actor`` is who writes (an agent from a signed token, or a name a library
    caller gives); the message is signed with their name and the activity log records
    them.
    """
    who = acting(actor)
    _check_content(text, template, attachment, interactive)
    with deps.unit_of_work() as uow:
        conversation = uow.conversations.get(conversation_id)
        queued = queue_agent_message(
            uow,
            deps,
            conversation,
            who,
            text=text,
            template=template,
            attachment=attachment,
            reply_to_wamid=reply_to_wamid,
            take_over=take_over,
            interactive=interactive,
        )
        uow.commit()
    deps.events.publish(queued.events())
    return queued.message


@dataclass(frozen=True, slots=True)
class QueuedMessage:
    message: Message
    conversation: Conversation
    activity_id: str
    activity_kind: str

    def events(self) -> list[Event]:
        return [
            MessageStored(self.conversation.id, self.message.id),
            ConversationChanged(self.conversation.id),
            ActivityRecorded(self.conversation.id, self.activity_id, self.activity_kind),
        ]


def queue_agent_message(
    uow: UnitOfWork,
    deps: Dependencies,
    conversation: Conversation,
    who: Actor,
    *,
    text: str | None = None,
    template: TemplateMessage | None = None,
    attachment: Attachment | None = None,
    reply_to_wamid: str | None = None,
    take_over: bool = True,
    interactive: InteractiveContent | None = None,
) -> QueuedMessage:
    """``agent_reply``'s work inside the caller's unit of work, which commits it: starting
    a conversation stores the conversation and its first message in one transaction."""
    now = deps.clock.now()
    repo = uow.conversations
    _check_allowed(conversation, template is None, now)
    media = attachment.media if attachment else None
    if template is not None:
        upload = (attachment.kind, attachment.media) if attachment else None
        template, media = template_to_send(uow, conversation, template, upload)
    message = Message(
        id=deps.ids.new_id(),
        conversation_id=conversation.id,
        direction=Direction.OUTBOUND,
        kind=_kind(text, template, attachment),
        created_at=now,
        author=Author.agent(who.person or who.name),
        text=text,
        template=template,
        reply_to_wamid=reply_to_wamid,
        delivery=Delivery.pending(now),
        media=media,
    )
    if interactive is not None:  # free-form like text: its body is the message's text
        message = replace(
            message, kind=MessageKind.INTERACTIVE, text=interactive.body, interactive=interactive
        )
    repo.add_outbound(message)
    conversation = conversation.with_outbound(message)
    if take_over and who.person is not None:
        assignee = Assignee.of(who)
        conversation = conversation.taken_over_by(assignee.name, assignee.id)
    elif take_over and not conversation.is_assigned:
        conversation = conversation.unassigned()  # nobody named: the bot still steps back
    repo.save(conversation)
    entry = record_activity(
        uow,
        deps,
        conversation.id,
        ActivityKind.TEMPLATE_SENT if template is not None else ActivityKind.REPLY,
        who,
        details={
            "message_id": message.id,
            "kind": message.kind.value,
            "template": template.name if template is not None else None,
            "took_over": take_over,
        },
    )
    return QueuedMessage(message, conversation, entry.id, entry.kind.value)


def _kind(
    text: str | None, template: TemplateMessage | None, attachment: Attachment | None
) -> MessageKind:
    if template is not None:
        return MessageKind.TEMPLATE
    if attachment is not None:
        return attachment.kind
    return MessageKind.TEXT if text is not None else MessageKind.TEMPLATE


def _check_content(
    text: str | None,
    template: TemplateMessage | None,
    attachment: Attachment | None,
    interactive: InteractiveContent | None = None,
) -> None:
    if interactive is not None:
        if text is not None or template is not None or attachment is not None:
            raise InvalidOutboundMessage(
                "interactive", "give one of text, a template or interactive, not several"
            )
        return  # checked against WhatsApp's limits when it was built
    if attachment is not None:
        if template is not None:
            if text is not None:
                raise InvalidOutboundMessage("caption", "a template's header file has no caption")
            return  # the file is the template's header
        if text is not None and len(text) > MAX_CAPTION_LENGTH:
            raise InvalidOutboundMessage("caption", f"at most {MAX_CAPTION_LENGTH} characters")
        if text is not None and attachment.kind in _NO_CAPTION:
            raise InvalidOutboundMessage(
                "caption", f"WhatsApp sends no caption with {attachment.kind.value}"
            )
        return
    if (text is None) == (template is None):
        raise InvalidOutboundMessage("text", "give either text or a template, not both or neither")
    if text is not None and not text.strip():
        raise InvalidOutboundMessage("text", "must not be empty")
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        raise InvalidOutboundMessage("text", f"at most {MAX_TEXT_LENGTH} characters")
    if template is not None and not template.name.strip():
        raise InvalidOutboundMessage("template.name", "must not be empty")


_NO_CAPTION = frozenset({MessageKind.AUDIO, MessageKind.STICKER})
"""Meta takes captions with images, videos and documents only."""


def _check_allowed(conversation: Conversation, free_form: bool, now: datetime) -> None:
    if free_form and not conversation.service_window_open(now):
        raise OutsideServiceWindow(conversation.id, conversation.service_window_closes_at)
    if not free_form and conversation.opted_out:
        raise CustomerOptedOut(conversation.id)
