"""A conversation: one thread per business number and customer, and what the inbox shows of it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.message import Message

SERVICE_WINDOW = timedelta(hours=24)
"""Meta allows free-form text only this long after the customer's last message."""


class ConversationStatus(StrEnum):
    """Where the team's work on a conversation stands: ``open`` needs someone, ``pending``
    waits (on the customer, on another team), ``resolved`` is done until the customer
    writes again."""

    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Conversation:
    """State of one thread; every change returns a new value (the repository stores it).

    ``recent_bot_replies`` and ``after_hours_notice_at`` are the bot's memory: with them
    ``decide`` stays a pure function of its arguments.
    """

    id: str
    business_number_id: str
    customer: CustomerIdentity
    started_at: datetime
    last_activity_at: datetime
    profile_name: str | None = None
    client_id: str | None = None
    client_name: str | None = None
    client_linked_manually: bool = False
    last_inbound_at: datetime | None = None
    last_preview: str = ""
    unread_count: int = 0
    bot_paused: bool = False
    assigned_agent: str | None = None
    """The name of the person who answers (shown in the inbox)."""
    assigned_agent_id: str | None = None
    """Their id in the host CRM, when a signed agent token said it ("mine" filters by it)."""
    status: ConversationStatus = ConversationStatus.OPEN
    opted_out: bool = False
    recent_bot_replies: tuple[datetime, ...] = ()
    after_hours_notice_at: datetime | None = None
    marketing_opt_out: bool = False
    """The customer stopped marketing messages in WhatsApp (``user_preferences``)."""
    marketing_preference_at: datetime | None = None
    """When the customer last stopped or resumed them; an older report changes nothing."""

    @classmethod
    def start(
        cls, id: str, business_number_id: str, customer: CustomerIdentity, now: datetime
    ) -> Conversation:
        return cls(
            id=id,
            business_number_id=business_number_id,
            customer=customer,
            started_at=now,
            last_activity_at=now,
        )

    @property
    def is_linked(self) -> bool:
        return self.client_id is not None

    @property
    def display_name(self) -> str:
        """Client name, else WhatsApp profile name, else the number."""
        return self.client_name or self.profile_name or self.customer.describe()

    # -- the 24-hour customer service window -------------------------------------------
    @property
    def service_window_closes_at(self) -> datetime | None:
        if self.last_inbound_at is None:
            return None
        if self.last_inbound_at > datetime.max.replace(tzinfo=UTC) - SERVICE_WINDOW:
            # stored before times were bounded at ingest: never overflow a listing
            return datetime.max.replace(tzinfo=UTC)
        return self.last_inbound_at + SERVICE_WINDOW

    def service_window_open(self, now: datetime) -> bool:
        closes_at = self.service_window_closes_at
        return closes_at is not None and now < closes_at

    # -- messages ----------------------------------------------------------------------
    def with_inbound(self, message: Message, profile_name: str | None = None) -> Conversation:
        """After a customer's message: window, unread badge, preview, and ids learnt."""
        sent_at = message.sent_at
        last_inbound = max(self.last_inbound_at, sent_at) if self.last_inbound_at else sent_at
        return replace(
            self._with_activity(message),
            status=ConversationStatus.OPEN if self.is_resolved else self.status,
            last_inbound_at=last_inbound,
            unread_count=self.unread_count + 1,
            profile_name=profile_name or self.profile_name,
        )

    def with_outbound(self, message: Message) -> Conversation:
        return self._with_activity(message)

    def _with_activity(self, message: Message) -> Conversation:
        if message.sent_at < self.last_activity_at:
            return self
        return replace(self, last_activity_at=message.sent_at, last_preview=message.preview())

    def with_customer(
        self, customer: CustomerIdentity, profile_name: str | None = None
    ) -> Conversation:
        """Who wrote, as this message says: the ids and the profile name it brings are
        known before the bot answers it, so its reply can quote ``{perfil}``."""
        return replace(
            self,
            customer=self.customer.merged_with(customer),
            profile_name=profile_name or self.profile_name,
        )

    # -- CRM client --------------------------------------------------------------------
    def linked_to(self, client: ClientRef, *, manually: bool) -> Conversation:
        return replace(
            self, client_id=client.id, client_name=client.name, client_linked_manually=manually
        )

    def unlinked(self) -> Conversation:
        """Unlinked by a person: the automatic lookup must not link it again."""
        return replace(self, client_id=None, client_name=None, client_linked_manually=True)

    # -- who answers -------------------------------------------------------------------
    def taken_over_by(self, agent: str, agent_id: str | None = None) -> Conversation:
        """Assigned to a person, who answers from now on: assignment and take-over are one
        thing, so the bot stays silent while someone is assigned."""
        return replace(self, bot_paused=True, assigned_agent=agent, assigned_agent_id=agent_id)

    def unassigned(self) -> Conversation:
        """Nobody is assigned, but the bot stays paused: the conversation waits for a
        person in the "unassigned" queue until someone takes it or gives it back."""
        return replace(self, bot_paused=True, assigned_agent=None, assigned_agent_id=None)

    def handed_off(self) -> Conversation:
        """The customer asked for a person: the bot steps back until someone gives it back."""
        return self.unassigned()

    def given_back_to_bot(self) -> Conversation:
        return replace(self, bot_paused=False, assigned_agent=None, assigned_agent_id=None)

    @property
    def is_assigned(self) -> bool:
        return self.assigned_agent is not None or self.assigned_agent_id is not None

    # -- the team's status -------------------------------------------------------------
    @property
    def is_resolved(self) -> bool:
        return self.status is ConversationStatus.RESOLVED

    def with_status(self, status: ConversationStatus) -> Conversation:
        return replace(self, status=status)

    def marked_read(self) -> Conversation:
        return replace(self, unread_count=0)

    def with_opt_out(self, opted_out: bool) -> Conversation:
        return replace(self, opted_out=opted_out)

    def with_marketing_preference(self, opt_out: bool, at: datetime) -> Conversation:
        """The customer's latest choice about marketing messages; reports arrive out of
        order, so one older than the choice we know is ignored."""
        if self.marketing_preference_at is not None and at < self.marketing_preference_at:
            return self
        return replace(self, marketing_opt_out=opt_out, marketing_preference_at=at)

    # -- the bot's memory --------------------------------------------------------------
    def bot_replies_since(self, since: datetime) -> int:
        return sum(1 for at in self.recent_bot_replies if at > since)

    def with_bot_reply(self, at: datetime, remember: timedelta) -> Conversation:
        """Record a bot reply; forget those older than ``remember`` (the flood window)."""
        kept = tuple(t for t in self.recent_bot_replies if t > at - remember)
        return replace(self, recent_bot_replies=(*kept, at))

    def with_after_hours_notice(self, at: datetime) -> Conversation:
        return replace(self, after_hours_notice_at=at)
