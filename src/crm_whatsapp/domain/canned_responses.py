"""Canned responses ("respuestas rápidas"): texts the team reuses, found by a shortcut.

An agent types ``/pago`` in the composer and gets the stored text with its
``{placeholders}`` filled for the conversation at hand (``domain/policy/placeholders.py``,
the bot's own values). Shortcuts are unique ignoring case and accents, so ``/envío`` and
``/envio`` cannot be two different answers; placeholders are checked when a response is
saved, so a typo is refused then rather than sent to a customer as an empty gap.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from crm_whatsapp.domain.access import Actor
from crm_whatsapp.domain.errors import InvalidCannedResponse, UnknownPlaceholders
from crm_whatsapp.domain.policy.placeholders import placeholders_in
from crm_whatsapp.domain.policy.text import normalize

MAX_SHORTCUT_LENGTH = 32
MAX_TITLE_LENGTH = 80
MAX_TEXT_LENGTH = 4096
"""WhatsApp's limit for the body of a text message."""
_PUNCTUATION = frozenset("_-")
_DIGITS = frozenset("0123456789")


def shortcut_key(text: str) -> str:
    """What makes two shortcuts the same: lower case, accents dropped (``Envío`` ->
    ``envio``); the unique index of every backend is on it."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_shortcut(text: str) -> str:
    """The shortcut as stored: without the ``/`` a person may type, in lower case; 1 to 32
    lower-case letters (accents allowed), digits, ``_`` or ``-``."""
    shortcut = text.strip().removeprefix("/").lower()
    if not 1 <= len(shortcut) <= MAX_SHORTCUT_LENGTH:
        raise InvalidCannedResponse("shortcut", f"1 to {MAX_SHORTCUT_LENGTH} characters")
    wrong = [ch for ch in shortcut if not _allowed(ch)]
    if wrong:
        raise InvalidCannedResponse(
            "shortcut",
            f"only lower-case letters, digits, _ and - (not {''.join(dict.fromkeys(wrong))!r})",
        )
    return shortcut


def _allowed(ch: str) -> bool:
    return ch in _DIGITS or ch in _PUNCTUATION or (ch.isalpha() and ch == ch.lower())


@dataclass(frozen=True, slots=True)
class CannedResponse:
    """One stored answer. ``created_by`` is who saved it first (from their token)."""

    id: str
    shortcut: str
    title: str
    text: str
    created_at: datetime
    updated_at: datetime
    created_by: Actor

    def __post_init__(self) -> None:
        if clean_shortcut(self.shortcut) != self.shortcut:
            raise InvalidCannedResponse("shortcut", "must be stored clean (clean_shortcut)")
        _check_text("title", self.title, 0, MAX_TITLE_LENGTH)
        _check_text("text", self.text, 1, MAX_TEXT_LENGTH)
        if not self.text.strip():
            raise InvalidCannedResponse("text", "must not be blank")

    @property
    def key(self) -> str:
        return shortcut_key(self.shortcut)

    @property
    def placeholders(self) -> list[str]:
        """The names its text quotes, in order, each once."""
        return placeholders_in(self.text)

    @property
    def search_text(self) -> str:
        """Its words as a search compares them: shortcut, title and text, normalized."""
        return normalize(f"{self.shortcut} {self.title} {self.text}")

    def changed(
        self,
        at: datetime,
        *,
        shortcut: str | None = None,
        title: str | None = None,
        text: str | None = None,
    ) -> CannedResponse:
        """The response with the fields given replaced (``None``: unchanged)."""
        return CannedResponse(
            id=self.id,
            shortcut=self.shortcut if shortcut is None else clean_shortcut(shortcut),
            title=self.title if title is None else title.strip(),
            text=self.text if text is None else text,
            created_at=self.created_at,
            updated_at=at,
            created_by=self.created_by,
        )


def _check_text(field: str, value: str, shortest: int, longest: int) -> None:
    if "\x00" in value:
        raise InvalidCannedResponse(field, "must not contain NUL characters")
    if not shortest <= len(value) <= longest:
        raise InvalidCannedResponse(field, f"{shortest} to {longest} characters")


def check_placeholders(text: str, known: Collection[str]) -> None:
    """UnknownPlaceholders naming every ``{name}`` of ``text`` that is not ``known``."""
    unknown = [name for name in placeholders_in(text) if name not in known]
    if unknown:
        raise UnknownPlaceholders(unknown, sorted(known))


@dataclass(frozen=True, slots=True)
class SearchTerms:
    """What a search for canned responses looks for: shortcuts starting with ``prefix``
    (``/pag`` finds ``pago_pendiente``), or every one of ``words`` in the shortcut, the
    title or the text (``pendiente pago``). Empty terms find every response."""

    prefix: str
    words: tuple[str, ...]

    @classmethod
    def of(cls, query: str) -> SearchTerms:
        wanted = query.strip().removeprefix("/")
        return cls(shortcut_key(wanted), tuple(normalize(wanted).split()[:8]))

    @property
    def is_everything(self) -> bool:
        return not self.prefix

    def by_prefix(self, response: CannedResponse) -> bool:
        return response.key.startswith(self.prefix)

    def by_words(self, response: CannedResponse) -> bool:
        found = response.search_text
        return bool(self.words) and all(word in found for word in self.words)

    def matches(self, response: CannedResponse) -> bool:
        return self.is_everything or self.by_prefix(response) or self.by_words(response)

    def order(self, response: CannedResponse) -> tuple[bool, str]:
        """Shortcuts that start with the prefix first, then by shortcut."""
        return (not self.by_prefix(response), response.key)
