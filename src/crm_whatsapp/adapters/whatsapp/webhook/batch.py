"""Everything one webhook POST said, in domain terms, in the order Meta wrote it."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crm_whatsapp.domain.inbound import IncomingMessage, StatusUpdate


class ProblemKind(enum.Enum):
    WEBHOOK_ERROR = "webhook_error"
    """``value.errors``: Meta could not deliver something to us (not tied to a message)."""
    UNKNOWN_STATUS = "unknown_status"
    """A status value we do not know yet: kept for a person to look at, not applied."""


@dataclass(frozen=True, slots=True)
class WebhookProblem:
    """Something the webhook reported that is neither a message nor a status we can apply.

    Kept rather than dropped so that the application can log or show it; none of them makes
    the body invalid. ``details`` is JSON-compatible (Meta's error fields, or the status).
    """

    kind: ProblemKind
    business_number_id: str
    description: str
    code: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WebhookBatch:
    """The messages, statuses and problems of one POST body.

    ``ignored_changes`` counts changes of other webhook fields (template status, account
    updates...), which are not ours to handle but are worth a metric: a sudden rise means the
    app is subscribed to more than it needs.
    """

    messages: tuple[IncomingMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    problems: tuple[WebhookProblem, ...] = ()
    ignored_changes: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.messages or self.statuses or self.problems)
