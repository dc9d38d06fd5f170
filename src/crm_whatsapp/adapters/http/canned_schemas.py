"""The JSON of canned responses ("respuestas rápidas") and of one expanded for a chat."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from crm_whatsapp.adapters.http.team_schemas import ActorOut, actor_out
from crm_whatsapp.domain.canned_responses import (
    MAX_SHORTCUT_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    CannedResponse,
)
from crm_whatsapp.domain.use_cases.canned_responses import Expansion

SHORTCUT = (
    f"1 to {MAX_SHORTCUT_LENGTH} lower-case letters, digits, _ or - (a leading / is dropped, "
    "upper case is lowered); unique ignoring case and accents"
)
TEXT = (
    "the text, with {placeholders}: {nombre}, {cliente_id}, {perfil}, {numero} and the CRM "
    "fields the service offers (CRM_WHATSAPP_CLIENTS_FIELDS); any other is refused (422)"
)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CannedResponseIn(_In):
    shortcut: str = Field(min_length=1, max_length=MAX_SHORTCUT_LENGTH + 1, description=SHORTCUT)
    title: str = Field(default="", max_length=MAX_TITLE_LENGTH, description="shown in the list")
    text: str = Field(min_length=1, max_length=MAX_TEXT_LENGTH, description=TEXT)


class CannedResponseChangeIn(_In):
    """Only the fields given change; the others stay."""

    shortcut: str | None = Field(
        default=None, min_length=1, max_length=MAX_SHORTCUT_LENGTH + 1, description=SHORTCUT
    )
    title: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    text: str | None = Field(
        default=None, min_length=1, max_length=MAX_TEXT_LENGTH, description=TEXT
    )


class CannedResponseOut(_Out):
    id: str
    shortcut: str = Field(description="typed after / in the composer")
    title: str
    text: str = Field(description="as stored, placeholders unfilled")
    placeholders: list[str] = Field(description="the placeholders the text quotes, in order")
    created_at: datetime
    updated_at: datetime
    created_by: ActorOut


class CannedResponseList(_Out):
    items: list[CannedResponseOut] = Field(
        description="shortcuts starting with q first, then those with all of q's words"
    )


class ExpandedCannedResponseOut(_Out):
    shortcut: str
    text: str = Field(description="filled for this conversation, each value as it is")
    missing: list[str] = Field(
        description="placeholders with no value in this conversation (left empty in text)"
    )


def canned_response_out(response: CannedResponse) -> CannedResponseOut:
    return CannedResponseOut(
        id=response.id,
        shortcut=response.shortcut,
        title=response.title,
        text=response.text,
        placeholders=response.placeholders,
        created_at=response.created_at,
        updated_at=response.updated_at,
        created_by=actor_out(response.created_by),
    )


def expanded_out(expansion: Expansion) -> ExpandedCannedResponseOut:
    return ExpandedCannedResponseOut(
        shortcut=expansion.shortcut, text=expansion.text, missing=list(expansion.missing)
    )
