"""Who is acting, and what they may do: the actor of every change, and a caller's access.

An ``Actor`` is recorded with every change a person or a system makes to a conversation
(the activity log), so that "who did this" is a fact taken from a verified credential, not
a name typed into a request. An ``Access`` is what a credential grants: its actor, its
scopes and, for a token minted for one CRM page, the one client whose conversations it
may see. The HTTP adapter builds both from a token; the domain only reads them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import InvalidActor


class Scope(StrEnum):
    """What a token may do: ``read`` lists and watches, ``reply`` writes to customers and
    changes who answers, ``manage`` links clients and operates the channel."""

    READ = "read"
    REPLY = "reply"
    MANAGE = "manage"


DEFAULT_AGENT_SCOPES = frozenset({Scope.READ, Scope.REPLY})
ALL_SCOPES = frozenset(Scope)


class ActorKind(StrEnum):
    AGENT = "agent"
    """A person identified by the host CRM's signed token."""
    SERVICE = "service"
    """A server-to-server token (the CRM's backend), possibly acting for a named agent."""
    SYSTEM = "system"
    """The service itself: the bot, a library call without a person."""


MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something. ``id`` is the host CRM's id for an agent (a token's ``sub``);
    ``on_behalf_of`` is the agent a service token acts for, as the CRM's backend says."""

    kind: ActorKind
    name: str
    id: str | None = None
    on_behalf_of: str | None = None

    def __post_init__(self) -> None:
        for field_name, value in (
            ("name", self.name),
            ("sub", self.id),
            ("agent", self.on_behalf_of),
        ):
            if value is not None and "\x00" in value:
                raise InvalidActor(field_name, "must not contain NUL characters")
        if not self.name.strip():
            raise InvalidActor("name", "must not be empty")
        if len(self.name) > MAX_NAME_LENGTH:
            raise InvalidActor("name", f"at most {MAX_NAME_LENGTH} characters")
        if self.kind is ActorKind.AGENT and not (self.id or "").strip():
            raise InvalidActor("sub", "an agent needs an id")
        if self.on_behalf_of is not None and self.kind is not ActorKind.SERVICE:
            raise InvalidActor("agent", "only a service acts on behalf of someone")
        if self.on_behalf_of is not None and not self.on_behalf_of.strip():
            raise InvalidActor("agent", "must not be empty")

    @classmethod
    def agent(cls, agent_id: str, name: str) -> Actor:
        return cls(ActorKind.AGENT, name, agent_id)

    @classmethod
    def named(cls, name: str) -> Actor:
        """A person known by name only, as a library caller or a service names them: the
        service acting on their behalf."""
        return cls(ActorKind.SERVICE, "service", on_behalf_of=name.strip() or None)

    @classmethod
    def service(cls, on_behalf_of: str | None = None) -> Actor:
        return cls(ActorKind.SERVICE, "service", on_behalf_of=on_behalf_of)

    @classmethod
    def system(cls, name: str = "crm_whatsapp") -> Actor:
        return cls(ActorKind.SYSTEM, name)

    @property
    def person(self) -> str | None:
        """The person behind the action, as the inbox names who answers: the agent, or the
        agent a service acts for; ``None`` for the service or the system alone."""
        if self.kind is ActorKind.AGENT:
            return self.name
        return self.on_behalf_of

    @property
    def person_id(self) -> str | None:
        return self.id if self.kind is ActorKind.AGENT else None

    def describe(self) -> str:
        """``Ana López``, ``service, on behalf of Ana López``, ``service``."""
        if self.on_behalf_of:
            return f"{self.name}, on behalf of {self.on_behalf_of}"
        return self.name


def actor_from(actor: Actor | str) -> Actor:
    """Library callers may name the agent with a string, as before actors existed."""
    if isinstance(actor, Actor):
        return actor
    if not actor.strip():
        raise InvalidActor("agent", "must name the person answering")
    return Actor.named(actor)


@dataclass(frozen=True, slots=True)
class Access:
    """What one credential grants. ``client_id`` confines it to the conversations linked to
    that CRM client (a token minted for one client's page in the CRM)."""

    actor: Actor
    scopes: frozenset[Scope] = field(default=DEFAULT_AGENT_SCOPES)
    client_id: str | None = None
    credential: str = field(default="", repr=False)
    """A stable, non-secret key of the credential (a digest), for per-token limits."""

    @classmethod
    def service(cls, credential: str = "") -> Access:
        return cls(Actor.service(), ALL_SCOPES, None, credential)

    def allows(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def is_confined(self) -> bool:
        return self.client_id is not None

    def sees(self, conversation: Conversation) -> bool:
        """A confined token sees only its client's conversations; any other is, to it, a
        conversation that does not exist."""
        return self.client_id is None or conversation.client_id == self.client_id


def parse_scopes(text: str | Iterable[str]) -> frozenset[Scope]:
    """``"read reply"`` (a token's space-separated claim) or a list of names."""
    names = text.split() if isinstance(text, str) else list(text)
    scopes: set[Scope] = set()
    for name in names:
        try:
            scopes.add(Scope(name))
        except ValueError:
            raise InvalidActor("scope", f"unknown scope {name!r} (read, reply, manage)") from None
    if not scopes:
        raise InvalidActor("scope", "names no scope (read, reply, manage)")
    return frozenset(scopes)
