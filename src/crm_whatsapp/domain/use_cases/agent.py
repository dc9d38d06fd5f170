"""A person answers from the CRM: the 24-hour rule applies, and the bot steps back."""

from __future__ import annotations

from datetime import datetime

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import Delivery
from crm_whatsapp.domain.errors import (
    CustomerOptedOut,
    InvalidOutboundMessage,
    OutsideServiceWindow,
)
from crm_whatsapp.domain.events import ConversationChanged, MessageStored
from crm_whatsapp.domain.message import Author, Direction, Message, MessageKind, TemplateMessage
from crm_whatsapp.domain.use_cases.dependencies import Dependencies

MAX_TEXT_LENGTH = 4096
"""WhatsApp refuses longer text bodies."""


def agent_reply(
    deps: Dependencies,
    conversation_id: str,
    agent: str,
    *,
    text: str | None = None,
    template: TemplateMessage | None = None,
    reply_to_wamid: str | None = None,
    take_over: bool = True,
) -> Message:
    """Queue an agent's message for sending and return it (pending).

    Free text only within 24 hours of the customer's last message (else
    ``OutsideServiceWindow``); a template at any time, but never to a customer who opted
    out. By default the agent takes the conversation over, so the bot does not talk across
    them.
    """
    _check_content(agent, text, template)
    now = deps.clock.now()
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        conversation = repo.get(conversation_id)
        _check_allowed(conversation, text, now)
        message = Message(
            id=deps.ids.new_id(),
            conversation_id=conversation.id,
            direction=Direction.OUTBOUND,
            kind=MessageKind.TEXT if text is not None else MessageKind.TEMPLATE,
            created_at=now,
            author=Author.agent(agent),
            text=text,
            template=template,
            reply_to_wamid=reply_to_wamid,
            delivery=Delivery.pending(now),
        )
        repo.add_outbound(message)
        conversation = conversation.with_outbound(message)
        if take_over:
            conversation = conversation.taken_over_by(agent)
        repo.save(conversation)
        uow.commit()
    deps.events.publish(
        [MessageStored(conversation.id, message.id), ConversationChanged(conversation.id)]
    )
    return message


def _check_content(agent: str, text: str | None, template: TemplateMessage | None) -> None:
    if not agent.strip():
        raise InvalidOutboundMessage("agent", "must name the person answering")
    if (text is None) == (template is None):
        raise InvalidOutboundMessage("text", "give either text or a template, not both or neither")
    if text is not None and not text.strip():
        raise InvalidOutboundMessage("text", "must not be empty")
    if text is not None and len(text) > MAX_TEXT_LENGTH:
        raise InvalidOutboundMessage("text", f"at most {MAX_TEXT_LENGTH} characters")
    if template is not None and not template.name.strip():
        raise InvalidOutboundMessage("template.name", "must not be empty")


def _check_allowed(conversation: Conversation, text: str | None, now: datetime) -> None:
    if text is not None and not conversation.service_window_open(now):
        raise OutsideServiceWindow(conversation.id, conversation.service_window_closes_at)
    if text is None and conversation.opted_out:
        raise CustomerOptedOut(conversation.id)
