"""The JSON of the team's work: who is calling, assignment, status, notes, the activity log."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_whatsapp.domain.access import Access, Actor
from crm_whatsapp.domain.activity import MAX_NOTE_LENGTH, Activity, Detail


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActorOut(_Out):
    kind: Literal["agent", "service", "system"]
    id: str | None = Field(description="the agent's id in the host CRM (a token's sub)")
    name: str
    on_behalf_of: str | None = Field(description="the agent a service token acted for")
    description: str = Field(description="'Ana', or 'service, on behalf of Ana'")


class MeOut(_Out):
    """Who the token says the caller is, so the inbox can show "mine" and hide what the
    token may not do."""

    actor: ActorOut
    scopes: list[Literal["read", "reply", "manage"]]
    client_id: str | None = Field(description="the one client a confined token may see")


class ActivityOut(_Out):
    id: str
    conversation_id: str
    at: datetime
    kind: Literal[
        "reply",
        "template_sent",
        "take_over",
        "give_back",
        "assign",
        "status",
        "link",
        "unlink",
        "mark_read",
        "note",
    ]
    actor: ActorOut
    private: bool = Field(description="a private note: never sent to WhatsApp")
    details: dict[str, str | int | bool | None]


class ActivityPage(_Out):
    items: list[ActivityOut]
    next_cursor: str | None


class AssigneeIn(_In):
    id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=200)


class AssignIn(_In):
    agent: AssigneeIn | Literal["me"] | None = Field(
        description="'me', an agent ({id, name}), or null for nobody"
    )


class StatusIn(_In):
    status: Literal["open", "pending", "resolved"]


class NoteIn(_In):
    text: str = Field(min_length=1, max_length=MAX_NOTE_LENGTH)


def actor_out(actor: Actor) -> ActorOut:
    return ActorOut(
        kind=actor.kind.value,
        id=actor.id,
        name=actor.name,
        on_behalf_of=actor.on_behalf_of,
        description=actor.describe(),
    )


def me_out(access: Access) -> MeOut:
    return MeOut(
        actor=actor_out(access.actor),
        scopes=sorted(s.value for s in access.scopes),
        client_id=access.client_id,
    )


def activity_out(activity: Activity) -> ActivityOut:
    details: dict[str, Detail] = dict(activity.details)
    return ActivityOut(
        id=activity.id,
        conversation_id=activity.conversation_id,
        at=activity.at,
        kind=activity.kind.value,
        actor=actor_out(activity.actor),
        private=activity.is_note,
        details=details,
    )
