"""How the bot reads a customer's words: case-, accent- and punctuation-insensitive."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from crm_whatsapp.domain.policy.placeholders import PLACEHOLDER

_NON_WORD = re.compile(r"[^\w]+")


def normalize(text: str) -> str:
    """Lower case, no accents, words separated by one space: "¡ASESÓR!" -> "asesor"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold()).replace("_", " ").split())


def contains_phrase(normalized_text: str, phrases: Iterable[str]) -> bool:
    """Whether any (normalized) phrase appears in the text as whole words."""
    padded = f" {normalized_text} "
    return any(f" {phrase} " in padded for phrase in phrases)


def is_exactly(normalized_text: str, phrases: Iterable[str]) -> bool:
    return normalized_text in set(phrases)


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; unknown names become empty.

    Deliberately not ``str.format``: a rules file must not reach attributes
    (``{nombre.__class__}``) and a stray brace must not crash the bot.
    """
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), ""), template)
