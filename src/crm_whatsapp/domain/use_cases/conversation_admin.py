"""What a CRM user does to a conversation besides writing: link a client, take over, read.

Each change is recorded in the activity log with the person who made it (``team.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from crm_whatsapp.domain.activity import ActivityKind, Detail
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ClientNotFound
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.team import (
    ActorLike,
    Assignee,
    acting,
    change_conversation,
    publish_change,
    record_activity,
)


def link_client(
    deps: Dependencies, conversation_id: str, client_id: str, actor: ActorLike = None
) -> Conversation:
    """Link every conversation of this customer (on any business number) to the client."""
    client = deps.clients.by_id(client_id)
    if client is None:
        raise ClientNotFound(client_id)
    return _change_customer(
        deps,
        conversation_id,
        lambda c: c.linked_to(client, manually=True),
        ActivityKind.LINK,
        actor,
        details={"client_id": client.id, "client_name": client.name},
    )


def unlink_client(
    deps: Dependencies, conversation_id: str, actor: ActorLike = None
) -> Conversation:
    """Unlink every conversation of this customer; the automatic lookup will not relink."""
    return _change_customer(
        deps, conversation_id, Conversation.unlinked, ActivityKind.UNLINK, actor
    )


def take_over(deps: Dependencies, conversation_id: str, actor: ActorLike) -> Conversation:
    """An agent answers from now on; the bot stays silent until given back. Taking over is
    assigning the conversation to oneself."""
    who = acting(actor)
    assignee = Assignee.of(who)
    return change_conversation(
        deps,
        conversation_id,
        lambda c: c.taken_over_by(assignee.name, assignee.id),
        ActivityKind.TAKE_OVER,
        who,
        details=lambda before, after: {
            "to": after.assigned_agent,
            "to_id": after.assigned_agent_id,
        },
    )


def give_back_to_bot(
    deps: Dependencies, conversation_id: str, actor: ActorLike = None
) -> Conversation:
    return change_conversation(
        deps,
        conversation_id,
        Conversation.given_back_to_bot,
        ActivityKind.GIVE_BACK,
        acting(actor),
        details=lambda before, after: {
            "from": before.assigned_agent,
            "from_id": before.assigned_agent_id,
        },
    )


def mark_read(deps: Dependencies, conversation_id: str, actor: ActorLike = None) -> Conversation:
    """Recorded when there was something unread: the inbox marks a conversation read each
    time someone opens it, and a log of every glance would bury the actions that count."""
    return change_conversation(
        deps,
        conversation_id,
        Conversation.marked_read,
        ActivityKind.MARK_READ,
        acting(actor),
        details=lambda before, after: {"unread": before.unread_count},
        only_if_changed=True,
    )


def _change_customer(
    deps: Dependencies,
    conversation_id: str,
    change: Callable[[Conversation], Conversation],
    kind: ActivityKind,
    actor: ActorLike,
    *,
    details: Mapping[str, Detail] | None = None,
) -> Conversation:
    """The customer's every conversation changes; each one's log says so."""
    who = acting(actor)
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        target = repo.get(conversation_id)
        others = [c for c in repo.of_customer(target.customer) if c.id != target.id]
        changed = [change(c) for c in (target, *others)]
        entries = []
        for conversation in changed:
            repo.save(conversation)
            entries.append(record_activity(uow, deps, conversation.id, kind, who, details=details))
        uow.commit()
    publish_change(deps, changed, entries)
    return changed[0]
