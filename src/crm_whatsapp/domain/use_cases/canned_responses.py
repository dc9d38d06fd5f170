"""The team's canned responses: saved, changed, found as an agent types, and expanded for
one conversation.

They belong to no conversation, so no activity entry records them; the person who saved
one is kept on it (``created_by``). Expanding fills the bot's own placeholder values
(``placeholder_values``) from the conversation and its linked CRM client, once and
literally (``fill``), and names what had no value rather than guessing it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_whatsapp.domain.canned_responses import (
    CannedResponse,
    check_placeholders,
    clean_shortcut,
)
from crm_whatsapp.domain.errors import CannedResponseNotFound, DuplicateShortcut
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.policy.placeholders import (
    BUILT_IN_PLACEHOLDERS,
    fill,
    placeholder_values,
)
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.team import ActorLike, acting

MAX_SEARCH_LIMIT = 100


def known_placeholders(deps: Dependencies) -> frozenset[str]:
    """What a canned response may quote: the bot's placeholders and the CRM columns the
    client lookup offers."""
    return BUILT_IN_PLACEHOLDERS | deps.client_fields


def create_canned_response(
    deps: Dependencies, shortcut: str, text: str, title: str = "", actor: ActorLike = None
) -> CannedResponse:
    """Save a new response; InvalidCannedResponse (or UnknownPlaceholders) if it cannot be
    one, DuplicateShortcut if its shortcut is taken."""
    check_placeholders(text, known_placeholders(deps))
    now = deps.clock.now()
    response = CannedResponse(
        id=deps.ids.new_id(),
        shortcut=clean_shortcut(shortcut),
        title=title.strip(),
        text=text,
        created_at=now,
        updated_at=now,
        created_by=acting(actor),
    )
    with deps.unit_of_work() as uow:
        if uow.canned_responses.by_shortcut(response.shortcut) is not None:
            raise DuplicateShortcut(response.shortcut)
        uow.canned_responses.add(response)
        uow.commit()
    return response


def update_canned_response(
    deps: Dependencies,
    response_id: str,
    *,
    shortcut: str | None = None,
    title: str | None = None,
    text: str | None = None,
) -> CannedResponse:
    """Change the fields given (``None``: unchanged), checked as when it was created."""
    if text is not None:
        check_placeholders(text, known_placeholders(deps))
    with deps.unit_of_work() as uow:
        before = uow.canned_responses.get(response_id)
        after = before.changed(deps.clock.now(), shortcut=shortcut, title=title, text=text)
        holder = uow.canned_responses.by_shortcut(after.shortcut)
        if holder is not None and holder.id != after.id:
            raise DuplicateShortcut(after.shortcut)
        uow.canned_responses.update(after)
        uow.commit()
    return after


def delete_canned_response(deps: Dependencies, response_id: str) -> None:
    """Forget the response; CannedResponseNotFound if there is none with that id."""
    with deps.unit_of_work() as uow:
        uow.canned_responses.delete(response_id)
        uow.commit()


def canned_response(deps: Dependencies, response_id: str) -> CannedResponse:
    with deps.unit_of_work() as uow:
        return uow.canned_responses.get(response_id)


def find_canned_responses(
    deps: Dependencies, query: str = "", limit: int = 20
) -> Sequence[CannedResponse]:
    """Responses whose shortcut starts with ``query`` (a leading ``/`` is ignored) first,
    then those with all its words; every response for an empty query; by shortcut."""
    with deps.unit_of_work() as uow:
        return uow.canned_responses.search(query, max(1, min(limit, MAX_SEARCH_LIMIT)))


@dataclass(frozen=True, slots=True)
class Expansion:
    """A canned response filled for one conversation: ``missing`` names the placeholders
    it quotes that have no value there (left empty, for the agent to complete)."""

    shortcut: str
    text: str
    missing: tuple[str, ...]


def expand_canned_response(deps: Dependencies, conversation_id: str, shortcut: str) -> Expansion:
    """The response with this shortcut, filled with the conversation's values: its linked
    client's fields, the profile name and the number. ConversationNotFound,
    CannedResponseNotFound."""
    with deps.unit_of_work() as uow:
        conversation = uow.conversations.get(conversation_id)
        response = uow.canned_responses.by_shortcut(shortcut.strip().removeprefix("/"))
    if response is None:
        raise CannedResponseNotFound(f"with the shortcut /{shortcut.strip().removeprefix('/')}")
    client: ClientRef | None = None
    if conversation.client_id is not None:
        client = deps.clients.by_id(conversation.client_id)
        if client is None and conversation.client_name:  # gone from the CRM since linked
            client = ClientRef(conversation.client_id, conversation.client_name)
    filled = fill(response.text, placeholder_values(conversation, client))
    return Expansion(response.shortcut, filled.text, filled.missing)
