"""What every webhook model shares: lenient about new fields, strict about the ones we read.

Meta adds fields to webhooks all the time (BSUIDs in 2026, usernames, group ids); a field we
do not know is ignored, never an error, and it is still kept in ``IncomingMessage.raw``. A
field we read must have the documented type, otherwise the body is refused as a whole.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
_LATEST = int(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp())


class WebhookModel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


def _from_unix_seconds(value: object) -> datetime:
    """Meta writes timestamps as strings of unix seconds ("1749416383"); integers also pass.

    Anything else (a float, an ISO date, a bool) is refused rather than guessed at: a wrong
    time would put the message in the wrong place of the conversation and of the 24-hour
    service window.
    """
    if isinstance(value, bool):
        raise ValueError("expected unix seconds, got a boolean")
    if isinstance(value, int):
        seconds = value
    elif isinstance(value, str) and _UNIX_SECONDS.fullmatch(value):
        seconds = int(value)
    else:
        raise ValueError("expected unix seconds as a string of digits")
    if not 0 <= seconds <= _LATEST:
        raise ValueError("unix seconds out of range")
    return datetime.fromtimestamp(seconds, UTC)


UnixTimestamp = Annotated[datetime, BeforeValidator(_from_unix_seconds)]
"""A UTC-aware datetime read from Meta's unix-seconds timestamp."""

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]

# Ids are bounded by the columns that store them: PostgreSQL refuses a longer value with an
# error, after the body's earlier messages were stored, and again on every retry. Meta's own
# ids are far shorter (a wamid is about 60 characters, a phone number id 15 digits).
WamidStr = Annotated[str, StringConstraints(min_length=1, max_length=255)]
"""A message id (``wamid``) or a media id."""
WamidRefStr = Annotated[str, StringConstraints(max_length=255)]
"""A reference to a message: the one a reply answers."""
WaIdStr = Annotated[str, StringConstraints(max_length=32)]
UserIdStr = Annotated[str, StringConstraints(max_length=128)]
"""A business-scoped user id (BSUID), or a status's recipient id."""
BusinessNumberIdStr = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ErrorCode = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]
"""Meta's error codes are small integers; the stored failure code is at most 64 characters."""


class MetaErrorData(WebhookModel):
    details: str | None = None


class MetaError(WebhookModel):
    """An error as Meta reports it in a webhook (on a value, a message or a status)."""

    code: ErrorCode
    title: str | None = None
    message: str | None = None
    error_data: MetaErrorData | None = None
    href: str | None = None

    @property
    def details(self) -> str | None:
        return self.error_data.details if self.error_data else None

    def describe(self) -> str:
        """The most telling words Meta gave.

        ``title`` and ``message`` are often the same short phrase ("Re-engagement message")
        and ``error_data.details`` is the explanation; both are kept when they differ.
        """
        headline = self.message or self.title or ""
        explanation = self.details or ""
        if headline and explanation and explanation != headline:
            return f"{headline}: {explanation}"
        return headline or explanation or f"error {self.code}"

    def as_details(self) -> dict[str, object]:
        """JSON-compatible form for ``details`` and problems (absent fields left out)."""
        described = {
            "code": self.code,
            "title": self.title,
            "message": self.message,
            "details": self.details,
            "href": self.href,
        }
        return {key: value for key, value in described.items() if value is not None}
