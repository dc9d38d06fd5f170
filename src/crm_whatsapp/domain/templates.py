"""The template catalogue: what each approved template says and which values it needs.

Meta keeps the catalogue (``GET /{waba-id}/message_templates``); we keep a synced copy so
that a form can offer each template with its fields and a send can be checked before it
leaves. The values a template needs are read off its texts: ``{{1}}``, ``{{2}}``…
(positional) or ``{{nombre}}``… (``parameter_format: NAMED``), in the header, the body and
a URL button's address; a copy-code button always takes its code.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, replace
from datetime import datetime

APPROVED = "APPROVED"
PAUSED = "PAUSED"
MARKETING = "MARKETING"
STATUSES = ("APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED")
"""The statuses a form shows; Meta has more (IN_APPEAL, LIMIT_EXCEEDED…), kept as given."""
CATEGORIES = ("MARKETING", "UTILITY", "AUTHENTICATION")

_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_]+)\s*\}\}")


class ParameterFormat(enum.Enum):
    POSITIONAL = "positional"
    NAMED = "named"


class HeaderFormat(enum.Enum):
    TEXT = "text"
    IMAGE = "image"
    DOCUMENT = "document"
    VIDEO = "video"
    LOCATION = "location"


class ButtonType(enum.Enum):
    QUICK_REPLY = "quick_reply"
    URL = "url"
    COPY_CODE = "copy_code"
    PHONE_NUMBER = "phone_number"
    OTHER = "other"
    """Flows, catalogue, one-time passwords…: shown, never given a value by us."""


@dataclass(frozen=True, slots=True)
class Placeholder:
    """One value a template needs: ``name`` is ``"1"`` for ``{{1}}`` or ``"nombre"``."""

    name: str
    example: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateHeader:
    format: HeaderFormat
    text: str | None = None
    parameter: Placeholder | None = None


@dataclass(frozen=True, slots=True)
class TemplateButton:
    index: int
    type: ButtonType
    text: str = ""
    url: str | None = None
    phone_number: str | None = None
    parameter: Placeholder | None = None
    """The value it needs: the URL's variable suffix, or the code a copy-code button copies."""


@dataclass(frozen=True, slots=True)
class Template:
    """One template in one language, as Meta approved (or refused) it."""

    name: str
    language: str
    status: str
    category: str
    body: str
    parameter_format: ParameterFormat = ParameterFormat.POSITIONAL
    header: TemplateHeader | None = None
    footer: str | None = None
    buttons: tuple[TemplateButton, ...] = ()
    body_parameters: tuple[Placeholder, ...] = ()
    meta_id: str | None = None
    quality: str | None = None
    reason: str | None = None
    """Why Meta rejected, paused or disabled it, when it said."""
    updated_at: datetime | None = None

    def __post_init__(self) -> None:
        if not self.body_parameters and variables_in(self.body):
            # built by hand (a test, a host's own catalogue): read them off the body
            object.__setattr__(self, "body_parameters", placeholders(self.body))

    @property
    def key(self) -> tuple[str, str]:
        return (self.name, self.language)

    @property
    def is_sendable(self) -> bool:
        return self.status == APPROVED

    @property
    def is_marketing(self) -> bool:
        return self.category == MARKETING

    @property
    def is_named(self) -> bool:
        return self.parameter_format is ParameterFormat.NAMED

    def with_status(self, status: str, reason: str | None, at: datetime) -> Template:
        return replace(self, status=status, reason=reason, updated_at=at)

    def with_quality(self, quality: str, at: datetime) -> Template:
        return replace(self, quality=quality, updated_at=at)

    def with_category(self, category: str, at: datetime) -> Template:
        return replace(self, category=category, updated_at=at)


def variables_in(text: str | None) -> tuple[str, ...]:
    """The variables of a text, each once, in the order they first appear."""
    seen: dict[str, None] = {}
    for name in _VARIABLE.findall(text or ""):
        seen.setdefault(name, None)
    return tuple(seen)


def placeholders(text: str | None, examples: tuple[str, ...] = ()) -> tuple[Placeholder, ...]:
    """The placeholders of a text with Meta's examples beside them, in order."""
    names = variables_in(text)
    return tuple(
        Placeholder(name, examples[i] if i < len(examples) else None)
        for i, name in enumerate(names)
    )


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its variables replaced once, literally: a value holding ``{{2}}`` stays
    as typed, and a variable without a value keeps its ``{{…}}`` so it shows."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True, slots=True)
class TemplateFilter:
    status: str | None = None
    language: str | None = None
    category: str | None = None
    text: str | None = None
    """Words in the name or the body, ignoring case."""

    def accepts(self, template: Template) -> bool:
        if self.status is not None and template.status != self.status.upper():
            return False
        if self.language is not None and template.language != self.language:
            return False
        if self.category is not None and template.category != self.category.upper():
            return False
        if self.text:
            haystack = f"{template.name} {template.body}".casefold()
            return all(word in haystack for word in self.text.casefold().split())
        return True


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one sync changed; ``removed`` are templates Meta no longer lists.
    ``rule_problems`` says which bot rule's template Meta would refuse, and why."""

    templates: int
    pages: int
    created: int
    updated: int
    removed: int
    synced_at: datetime
    rule_problems: tuple[str, ...] = ()
