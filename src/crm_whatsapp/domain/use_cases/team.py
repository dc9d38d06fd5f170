"""The team's work on a conversation: who has it, where it stands, private notes, and the
activity log that records every change with the person who made it.

Every use case that changes a conversation on someone's behalf appends its entry with
``record_activity`` inside its own unit of work, so the log is exactly as durable as the
change: both are committed, or neither is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from crm_whatsapp.domain.access import Actor, actor_from
from crm_whatsapp.domain.activity import Activity, ActivityKind, Detail, note_text
from crm_whatsapp.domain.conversation import Conversation, ConversationStatus
from crm_whatsapp.domain.errors import InvalidActor
from crm_whatsapp.domain.events import ActivityRecorded, ConversationChanged, Event
from crm_whatsapp.domain.ports import UnitOfWork
from crm_whatsapp.domain.use_cases.dependencies import Dependencies

ActorLike = Actor | str | None
"""An ``Actor``; a library caller may name a person with a string, or give nobody (the
service itself acts)."""


@dataclass(frozen=True, slots=True)
class Assignee:
    """The person a conversation is given to: the host CRM's id when known, and a name."""

    name: str
    id: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip() or len(self.name) > 200:
            raise InvalidActor("agent", "an assignee needs a name of 1 to 200 characters")
        if self.id is not None and (not self.id.strip() or len(self.id) > 200):
            raise InvalidActor("agent_id", "must be 1 to 200 characters")

    @classmethod
    def of(cls, actor: Actor) -> Assignee:
        """The person acting, as an assignee ("assign to me")."""
        person = actor.person
        if person is None:
            raise InvalidActor("agent", "say who takes the conversation (a service has no name)")
        return cls(person, actor.person_id)


def acting(actor: ActorLike) -> Actor:
    return Actor.system() if actor is None else actor_from(actor)


def record_activity(
    uow: UnitOfWork,
    deps: Dependencies,
    conversation_id: str,
    kind: ActivityKind,
    actor: Actor,
    *,
    details: Mapping[str, Detail] | None = None,
) -> Activity:
    activity = Activity(
        id=deps.ids.new_id(),
        conversation_id=conversation_id,
        at=deps.clock.now(),
        kind=kind,
        actor=actor,
        details=dict(details or {}),
    )
    uow.activity.record(activity)
    return activity


def change_conversation(
    deps: Dependencies,
    conversation_id: str,
    change: Callable[[Conversation], Conversation],
    kind: ActivityKind,
    actor: Actor,
    *,
    details: Callable[[Conversation, Conversation], Mapping[str, Detail]] | None = None,
    only_if_changed: bool = False,
) -> Conversation:
    """One conversation changed by one person, and the entry that says so;
    ``only_if_changed`` skips the entry (and the write) when nothing changed."""
    with deps.unit_of_work() as uow:
        before = uow.conversations.get(conversation_id)
        after = change(before)
        if only_if_changed and after == before:
            return before
        uow.conversations.save(after)
        entry = record_activity(
            uow, deps, after.id, kind, actor, details=details(before, after) if details else None
        )
        uow.commit()
    publish_change(deps, [after], [entry])
    return after


def publish_change(
    deps: Dependencies, changed: list[Conversation], entries: list[Activity]
) -> None:
    events: list[Event] = [ConversationChanged(c.id) for c in changed]
    events += [ActivityRecorded(a.conversation_id, a.id, a.kind.value) for a in entries]
    deps.events.publish(events)


def assign(
    deps: Dependencies, conversation_id: str, assignee: Assignee | None, actor: ActorLike = None
) -> Conversation:
    """Give the conversation to a person (who answers from now on: the bot is paused), or
    to nobody (it waits in the unassigned queue; the bot stays paused)."""
    who = acting(actor)

    def change(c: Conversation) -> Conversation:
        return c.unassigned() if assignee is None else c.taken_over_by(assignee.name, assignee.id)

    def details(before: Conversation, after: Conversation) -> Mapping[str, Detail]:
        return {
            "from": before.assigned_agent,
            "from_id": before.assigned_agent_id,
            "to": after.assigned_agent,
            "to_id": after.assigned_agent_id,
        }

    return change_conversation(
        deps, conversation_id, change, ActivityKind.ASSIGN, who, details=details
    )


def set_status(
    deps: Dependencies, conversation_id: str, status: ConversationStatus, actor: ActorLike = None
) -> Conversation:
    def details(before: Conversation, after: Conversation) -> Mapping[str, Detail]:
        return {"from": before.status.value, "to": after.status.value}

    return change_conversation(
        deps,
        conversation_id,
        lambda c: c.with_status(status),
        ActivityKind.STATUS,
        acting(actor),
        details=details,
    )


def add_note(
    deps: Dependencies, conversation_id: str, text: str, actor: ActorLike = None
) -> Activity:
    """A private note for the team: stored with the conversation, never sent to WhatsApp."""
    body = note_text(text)
    with deps.unit_of_work() as uow:
        conversation = uow.conversations.get(conversation_id)  # 404 before anything else
        entry = record_activity(
            uow, deps, conversation.id, ActivityKind.NOTE, acting(actor), details={"text": body}
        )
        uow.commit()
    publish_change(deps, [], [entry])
    return entry
