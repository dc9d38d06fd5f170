"""The TemplateCatalog port on the in-memory store: templates kept by (name, language) and
the last sync's time, every change in the unit of work's undo log, so leaving without a
commit (or a savepoint with an exception) takes it back like every other change."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from crm_whatsapp.domain.templates import Template, TemplateFilter

TemplateState = dict[tuple[str, str], Template]
"""The store's templates by their key, (name, language)."""

SYNCED = "catalogue"
"""The one key of the store's sync marker (a dict, as every part of the store's state)."""


class Undo(Protocol):
    """What the catalogue needs of the unit of work's ``UndoLog`` (``database`` builds the
    catalogue with it, so importing it here would make the two modules a cycle)."""

    def set(self, mapping: MutableMapping[Any, Any], key: Any, value: Any) -> None: ...

    def remove(self, mapping: MutableMapping[Any, Any], key: Any) -> None: ...


class InMemoryTemplateCatalog:
    def __init__(
        self,
        templates: MutableMapping[tuple[str, str], Template],
        synced: MutableMapping[str, datetime],
        undo: Undo,
    ) -> None:
        self._templates = templates
        self._synced = synced
        self._undo = undo

    def get(self, name: str, language: str) -> Template | None:
        return self._templates.get((name, language))

    def list(self, where: TemplateFilter) -> Sequence[Template]:
        return [
            self._templates[key]
            for key in sorted(self._templates)
            if where.accepts(self._templates[key])
        ]

    def save(self, template: Template) -> None:
        self._undo.set(self._templates, template.key, template)

    def remove(self, name: str, language: str) -> None:
        self._undo.remove(self._templates, (name, language))

    def synced_at(self) -> datetime | None:
        return self._synced.get(SYNCED)

    def mark_synced(self, at: datetime) -> None:
        self._undo.set(self._synced, SYNCED, at)
