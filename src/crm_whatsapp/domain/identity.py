"""Who a conversation is with: the WhatsApp customer, and the CRM client they may be."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from crm_whatsapp.domain.errors import InvalidCustomerIdentity
from crm_whatsapp.domain.phone import PhoneNumber


@dataclass(frozen=True, slots=True)
class CustomerIdentity:
    """A WhatsApp customer as Meta names them.

    ``wa_id`` is the digits-only WhatsApp id; since 2026 Meta may send only a business-scoped
    user id (``user_id``, BSUID) with no phone number at all, so both are optional but not
    both absent. ``phone`` is what client lookup uses, when there is one.
    """

    wa_id: str | None = None
    user_id: str | None = None
    phone: PhoneNumber | None = None
    aliases: tuple[str, ...] = field(default=(), compare=False)
    """Other spellings WhatsApp may give this number as a wa_id (Mexico's 521..., Argentina's
    549..., Brazil's ninth digit), for a conversation the CRM starts: it is found by each
    when the customer answers. Only claimed when the conversation starts; not stored."""

    def __post_init__(self) -> None:
        if not self.wa_id and not self.user_id:
            raise InvalidCustomerIdentity("a customer needs a wa_id or a business-scoped user_id")

    @classmethod
    def from_wa_id(cls, wa_id: str, user_id: str | None = None) -> CustomerIdentity:
        """The usual case: Meta's wa_id is also the customer's phone number in digits."""
        return cls(wa_id=wa_id, user_id=user_id, phone=PhoneNumber.from_wa_id(wa_id))

    @property
    def key(self) -> str:
        """Stable key of the customer within one business number (wa_id preferred)."""
        if self.wa_id:
            return self.wa_id
        return f"bsuid:{self.user_id}"

    def conversation_keys(self) -> tuple[str, ...]:
        """The keys a conversation is found by, in the order they decide: the
        business-scoped user id first (it survives a change of number), then the wa_id."""
        keys = []
        if self.user_id:
            keys.append(f"u:{self.user_id}")
        if self.wa_id:
            keys.append(f"w:{self.wa_id}")
        keys.extend(f"w:{alias}" for alias in self.aliases if alias != self.wa_id)
        return tuple(keys)

    def is_same_customer(self, other: CustomerIdentity) -> bool:
        """Same person when the ids Meta gave agree.

        The business-scoped user id is the stable one (it survives a change of number), so it
        decides when both sides have it; a later webhook may carry only one of the two ids.
        """
        if self.user_id and other.user_id:
            return self.user_id == other.user_id
        if not self.wa_id or not other.wa_id:
            return False
        if self.wa_id == other.wa_id:
            return True
        # one subscriber spelt two ways (521... and 52...): the same person on WhatsApp
        mine, theirs = self.phone, other.phone
        return mine is not None and theirs is not None and mine.matches(theirs)

    def merged_with(self, newer: CustomerIdentity) -> CustomerIdentity:
        """Every id learnt about the same customer; the newer webhook wins where both have one
        (after a change of number the business-scoped id stays and the wa_id moves on)."""
        return CustomerIdentity(
            wa_id=newer.wa_id or self.wa_id,
            user_id=newer.user_id or self.user_id,
            phone=newer.phone or self.phone,
        )

    def describe(self) -> str:
        """What to show a person when nothing better (client or profile name) is known."""
        if self.phone is not None:
            return str(self.phone)
        return self.wa_id or f"usuario {self.user_id}"


@dataclass(frozen=True, slots=True)
class ClientRef:
    """A client of the host CRM: its id, its name, and fields the bot may quote.

    ``fields`` are exposed to reply texts as ``{placeholders}`` (``{nombre}`` is the name).
    """

    id: str
    name: str
    fields: Mapping[str, str] = field(default_factory=dict)

    def placeholders(self) -> dict[str, str]:
        values = {"nombre": self.name, "name": self.name, "cliente_id": self.id}
        values.update(self.fields)
        return values


@dataclass(frozen=True, slots=True)
class ClientMatch:
    """What a client lookup by phone found: nobody, one client, or several (ambiguous).

    Several CRM clients sharing one number is common (family phones, duplicates); linking
    one of them silently would show a conversation in the wrong client's page.
    """

    candidates: tuple[ClientRef, ...] = ()

    @property
    def client(self) -> ClientRef | None:
        return self.candidates[0] if len(self.candidates) == 1 else None

    @property
    def is_ambiguous(self) -> bool:
        return len(self.candidates) > 1
