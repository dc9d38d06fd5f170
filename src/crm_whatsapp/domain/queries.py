"""The inbox's questions (read side): filters shared by every query adapter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from crm_whatsapp.domain.conversation import Conversation, ConversationStatus
from crm_whatsapp.domain.errors import InvalidQueryParameter
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.policy.text import normalize


@dataclass(frozen=True, slots=True)
class ConversationFilter:
    """Which conversations to list; ``None`` means "any". Dates bound the last activity.

    ``text`` searches message bodies, case- and accent-insensitively.
    """

    client_id: str | None = None
    number: PhoneNumber | None = None
    since: datetime | None = None
    until: datetime | None = None
    linked: bool | None = None
    bot_paused: bool | None = None
    opted_out: bool | None = None
    text: str | None = None
    assigned_agent_id: str | None = None
    """Only conversations assigned to this agent (the inbox's "mine")."""
    assigned: bool | None = None
    """Assigned to someone (true) or to nobody (false, the "unassigned" queue)."""
    status: ConversationStatus | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise InvalidQueryParameter(name, "needs a timezone (e.g. 2026-01-31T00:00:00Z)")
        if self.since and self.until and self.since >= self.until:
            raise InvalidQueryParameter("since", "must be before until")
        if self.text is not None and not self.text.strip():
            raise InvalidQueryParameter("q", "must not be blank")
        if self.text is not None and not normalize(self.text):
            # Search ignores punctuation, so "%" or "_" would be the empty pattern and match
            # every conversation, as a LIKE wildcard would.
            raise InvalidQueryParameter("q", "needs a letter or a digit (punctuation is ignored)")

    def admits(self, conversation: Conversation) -> bool:
        """Every condition but the text search, which needs the messages."""
        c = conversation
        phone = c.customer.phone
        return (
            (self.client_id is None or c.client_id == self.client_id)
            and (self.number is None or (phone is not None and phone.matches(self.number)))
            and (self.since is None or c.last_activity_at >= self.since)
            and (self.until is None or c.last_activity_at < self.until)
            and (self.linked is None or c.is_linked == self.linked)
            and (self.bot_paused is None or c.bot_paused == self.bot_paused)
            and (self.opted_out is None or c.opted_out == self.opted_out)
            and (self.assigned_agent_id is None or c.assigned_agent_id == self.assigned_agent_id)
            and (self.assigned is None or c.is_assigned == self.assigned)
            and (self.status is None or c.status is self.status)
        )
