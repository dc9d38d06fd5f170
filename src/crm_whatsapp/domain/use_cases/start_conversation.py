"""The CRM writes first: a template to a number, or to a client, with no message before.

Templates are the only way to open a conversation on WhatsApp, so this is a template
send with a conversation made for it when there is none. The conversation and its
first message are stored in one transaction: a refused template leaves no empty
conversation behind. A customer who already has a conversation on this business number
(however either side spells the number) gets the message there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_whatsapp.domain.activity import ActivityKind
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ClientNotFound, InvalidOutboundMessage
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.message import Message
from crm_whatsapp.domain.pagination import MAX_PAGE_SIZE
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.ports import ClientPhoneBook, ConversationQueries
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.template_message import TemplateMessage
from crm_whatsapp.domain.use_cases.agent import Attachment, queue_agent_message
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.team import ActorLike, acting, record_activity


@dataclass(frozen=True, slots=True)
class StartedConversation:
    conversation: Conversation
    message: Message
    created: bool
    """True when the conversation was made for this message."""


def start_conversation(
    deps: Dependencies,
    queries: ConversationQueries,
    actor: ActorLike,
    business_number_id: str,
    template: TemplateMessage,
    *,
    to: PhoneNumber | None = None,
    client_id: str | None = None,
    attachment: Attachment | None = None,
) -> StartedConversation:
    """Send ``template`` to ``to`` or to the client ``client_id`` (or to ``to``, linking
    it to ``client_id``), in their conversation on ``business_number_id`` or a new one.

    A client without a conversation is written to at their first number in the CRM,
    which needs a ``ClientPhoneBook`` lookup (both of ours are); else give ``to``. A new
    conversation, or one not linked yet, is linked to the client (logged as a link).
    """
    who = acting(actor)
    client = _client(deps, client_id)
    existing = _existing(queries, business_number_id, to, client)
    if existing is None and to is None:
        to = _first_number(deps, client)
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        if existing is not None:
            conversation, created = repo.get(existing), False
        else:
            assert to is not None
            started = Conversation.start(
                deps.ids.new_id(),
                business_number_id,
                CustomerIdentity(wa_id=to.digits, phone=to, aliases=to.whatsapp_spellings()[1:]),
                deps.clock.now(),
            )
            conversation = repo.get_or_start(started)
            created = conversation.id == started.id
        if client is not None and conversation.client_id is None:
            conversation = conversation.linked_to(client, manually=True)
            repo.save(conversation)
            details = {"client_id": client.id, "client_name": client.name}
            record_activity(uow, deps, conversation.id, ActivityKind.LINK, who, details=details)
        queued = queue_agent_message(
            uow, deps, conversation, who, template=template, attachment=attachment
        )
        uow.commit()
    deps.events.publish(queued.events())
    return StartedConversation(queued.conversation, queued.message, created)


def _client(deps: Dependencies, client_id: str | None) -> ClientRef | None:
    if client_id is None:
        return None
    client = deps.clients.by_id(client_id)
    if client is None:
        raise ClientNotFound(client_id)
    return client


def _existing(
    queries: ConversationQueries,
    business_number_id: str,
    to: PhoneNumber | None,
    client: ClientRef | None,
) -> str | None:
    """The customer's conversation on this number: by the number when given (the
    client's other numbers are other chats), else the client's most recent one."""
    where = ConversationFilter(number=to) if to is not None else None
    if where is None and client is not None:
        where = ConversationFilter(client_id=client.id)
    if where is None:
        return None
    page = queries.conversations(where, MAX_PAGE_SIZE)
    return _on_number(page.items, business_number_id)


def _on_number(conversations: Sequence[Conversation], business_number_id: str) -> str | None:
    for conversation in conversations:  # newest activity first
        if conversation.business_number_id == business_number_id:
            return conversation.id
    return None


def _first_number(deps: Dependencies, client: ClientRef | None) -> PhoneNumber:
    if client is None:
        raise InvalidOutboundMessage("to", "give the customer's number or a client_id")
    phones = deps.clients.phones_of(client.id) if isinstance(deps.clients, ClientPhoneBook) else ()
    if not phones:
        raise InvalidOutboundMessage(
            "to", f"client {client.id!r} has no phone number in the CRM: give 'to'"
        )
    return phones[0]
