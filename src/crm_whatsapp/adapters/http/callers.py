"""What the caller's token decides in a handler: who acts, and which conversations exist.

An agent token writes as its agent: a body that names someone else is refused, so nobody
signs as the director. A service token (the CRM's backend) may say which of its users it
acts for, and is recorded as "service, on behalf of" them. A token confined to one client
sees that client's conversations only; to it every other conversation is a 404, exactly
like an id that does not exist, so ids of other clients cannot be probed.
"""

from __future__ import annotations

from dataclasses import replace

from crm_whatsapp.adapters.http.context import ApiContext, Call
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.domain.access import Access, Actor, ActorKind
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ConversationNotFound, InvalidQueryParameter
from crm_whatsapp.domain.queries import ConversationFilter


def acting_actor(call: Call, named: str | None) -> Actor:
    """The actor of a change: the token's agent, or the service acting for ``named``."""
    actor = call.caller.actor
    if actor.kind is ActorKind.AGENT:
        if named is not None and named.strip() != actor.name:
            raise ApiError(
                403,
                "forbidden",
                "agent: an agent token writes as its own agent; leave 'agent' out",
            )
        return actor
    return Actor.service(on_behalf_of=named.strip() if named and named.strip() else None)


def visible_conversation(context: ApiContext, call: Call, conversation_id: str) -> Conversation:
    """The conversation, if the caller may see it; else 404 as if it did not exist."""
    conversation = context.queries.conversation(conversation_id)
    if not call.caller.sees(conversation):
        raise ConversationNotFound(conversation_id)
    return conversation


def confined_filter(access: Access, wanted: ConversationFilter) -> ConversationFilter | None:
    """The filter a confined token may run: its own client only. ``None`` when it asked for
    another client's conversations, which it simply cannot see (an empty page)."""
    if access.client_id is None:
        return wanted
    if wanted.client_id is not None and wanted.client_id != access.client_id:
        return None
    return replace(wanted, client_id=access.client_id)


def assignee_filter(access: Access, assignee: str | None) -> tuple[str | None, bool | None]:
    """``assignee`` (``me``, ``nobody``, or an agent's id) as the filter's
    ``(assigned_agent_id, assigned)``."""
    if assignee is None:
        return None, None
    if assignee == "nobody":
        return None, False
    if assignee == "me":
        me = access.actor.person_id
        if me is None:
            raise InvalidQueryParameter(
                "assignee", "'me' needs an agent token (a service token is nobody in particular)"
            )
        return me, None
    return assignee, None
