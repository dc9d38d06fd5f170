"""What a CRM user does to a conversation besides writing: link a client, take over, read."""

from __future__ import annotations

from collections.abc import Callable

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ClientNotFound
from crm_whatsapp.domain.events import ConversationChanged
from crm_whatsapp.domain.use_cases.dependencies import Dependencies


def link_client(deps: Dependencies, conversation_id: str, client_id: str) -> Conversation:
    """Link every conversation of this customer (on any business number) to the client."""
    client = deps.clients.by_id(client_id)
    if client is None:
        raise ClientNotFound(client_id)
    return _change_customer(deps, conversation_id, lambda c: c.linked_to(client, manually=True))


def unlink_client(deps: Dependencies, conversation_id: str) -> Conversation:
    """Unlink every conversation of this customer; the automatic lookup will not relink."""
    return _change_customer(deps, conversation_id, Conversation.unlinked)


def take_over(deps: Dependencies, conversation_id: str, agent: str) -> Conversation:
    """An agent answers from now on; the bot stays silent until given back."""
    return _change(deps, conversation_id, lambda c: c.taken_over_by(agent))


def give_back_to_bot(deps: Dependencies, conversation_id: str) -> Conversation:
    return _change(deps, conversation_id, Conversation.given_back_to_bot)


def mark_read(deps: Dependencies, conversation_id: str) -> Conversation:
    return _change(deps, conversation_id, Conversation.marked_read)


def _change(
    deps: Dependencies, conversation_id: str, change: Callable[[Conversation], Conversation]
) -> Conversation:
    with deps.unit_of_work() as uow:
        changed = change(uow.conversations.get(conversation_id))
        uow.conversations.save(changed)
        uow.commit()
    deps.events.publish([ConversationChanged(changed.id)])
    return changed


def _change_customer(
    deps: Dependencies, conversation_id: str, change: Callable[[Conversation], Conversation]
) -> Conversation:
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        target = repo.get(conversation_id)
        others = [c for c in repo.of_customer(target.customer) if c.id != target.id]
        changed = [change(c) for c in (target, *others)]
        for conversation in changed:
            repo.save(conversation)
        uow.commit()
    deps.events.publish([ConversationChanged(c.id) for c in changed])
    return changed[0]
