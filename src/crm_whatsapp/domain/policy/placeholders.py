"""``{placeholders}`` in texts for a customer: which exist, their values, and filling them.

The bot's replies and the agents' canned responses quote the same values through this one
module, so ``{nombre}`` means the same in both: the linked client's fields (``{nombre}``,
``{name}``, ``{cliente_id}`` and the CRM columns the host names), the customer's WhatsApp
profile name (``{perfil}``) and number (``{numero}``).

Filling is one pass over the template and never ``str.format``: a value is inserted as it
is and never read for placeholders again, so a client called ``{cliente_id}`` or
``{{1}}`` is quoted literally, and no text can reach an attribute (``{nombre.__class__}``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.identity import ClientRef

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
"""``{name}``: a letter or ``_``, then letters, digits or ``_``; anything else is text."""

CONVERSATION_PLACEHOLDERS = ("perfil", "numero")
"""Known from the conversation itself, linked or not."""
CLIENT_PLACEHOLDERS = ("nombre", "name", "cliente_id")
"""Known from the linked CRM client (``ClientRef.placeholders``)."""
BUILT_IN_PLACEHOLDERS = frozenset(CONVERSATION_PLACEHOLDERS + CLIENT_PLACEHOLDERS)
"""What every deployment offers; the CRM columns a host configures come on top."""


def placeholders_in(template: str) -> list[str]:
    """The names the template quotes, in order of first appearance, each once."""
    return list(dict.fromkeys(PLACEHOLDER.findall(template)))


def placeholder_values(conversation: Conversation, client: ClientRef | None) -> dict[str, str]:
    """What each placeholder stands for in this conversation (the bot's and the agents')."""
    values = {
        "perfil": conversation.profile_name or "",
        "numero": conversation.customer.describe(),
    }
    if client is not None:
        values.update(client.placeholders())
    return values


@dataclass(frozen=True, slots=True)
class Filled:
    """A filled template, and the placeholders it quotes that had no value here (left
    empty), in order of first appearance."""

    text: str
    missing: tuple[str, ...] = ()


def fill(template: str, values: Mapping[str, str]) -> Filled:
    """Each ``{name}`` replaced, in one pass, by its value exactly as given; a name with
    no value (or an empty one) becomes empty and is reported in ``missing``."""
    missing: dict[str, None] = {}

    def value_of(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        if not value:
            missing[match.group(1)] = None
        return value

    return Filled(PLACEHOLDER.sub(value_of, template), tuple(missing))
