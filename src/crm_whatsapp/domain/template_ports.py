"""Where templates come from (Meta) and where their synced copy lives (our storage)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from crm_whatsapp.domain.templates import Template, TemplateFilter


class TemplateCatalog(Protocol):
    """The synced copy of the catalogue, inside a unit of work (``uow.templates``), so a
    template-status webhook is applied in the same transaction that marks it handled."""

    def get(self, name: str, language: str) -> Template | None:
        """The template of that name and language, if synced."""
        ...

    def list(self, where: TemplateFilter) -> Sequence[Template]:
        """The templates it accepts, by name then language."""
        ...

    def save(self, template: Template) -> None:
        """Insert or replace the template of that name and language."""
        ...

    def remove(self, name: str, language: str) -> None:
        """Forget it (Meta no longer lists it); nothing if it is not stored."""
        ...

    def synced_at(self) -> datetime | None:
        """When the last complete sync finished; None if never: sends are then unchecked."""
        ...

    def mark_synced(self, at: datetime) -> None: ...


@dataclass(frozen=True, slots=True)
class FetchedCatalogue:
    """Every page Meta gave, read; ``unreadable`` names templates whose shape we could not
    read (kept out of the catalogue rather than half-understood)."""

    templates: tuple[Template, ...]
    pages: int
    unreadable: tuple[str, ...] = ()


@runtime_checkable
class TemplateSource(Protocol):
    """Meta's catalogue: ``GET /{waba-id}/message_templates``, every page."""

    async def fetch_templates(self, waba_id: str) -> FetchedCatalogue:
        """All templates; raises ``TemplateSyncFailed`` when any page cannot be had."""
        ...


@dataclass(frozen=True, slots=True)
class TemplateUpdate:
    """A template webhook: its status, quality or category changed at Meta.

    ``status`` comes from ``message_template_status_update`` (``event``), ``quality`` from
    ``message_template_quality_update``, ``category`` from ``template_category_update``.
    """

    name: str
    language: str
    status: str | None = None
    reason: str | None = None
    quality: str | None = None
    category: str | None = None
