"""A template as one message carries it: the values to fill in, already checked.

The catalogue (``templates.py``) says what a template needs; this is what one send gives.
Meta refuses a send whose values do not fit the template (132000, 132012), and only after
the fact, so the API checks a request against the synced catalogue and stores the result
here, complete enough for the gateway to build Meta's ``components`` without the catalogue:
named values keep their names, buttons their kind (``sub_type``) and position.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class HeaderKind(enum.Enum):
    TEXT = "text"
    IMAGE = "image"
    DOCUMENT = "document"
    VIDEO = "video"

    @property
    def is_media(self) -> bool:
        return self is not HeaderKind.TEXT


class ButtonKind(enum.Enum):
    """Meta's ``sub_type`` of a button component that takes a value."""

    URL = "url"
    COPY_CODE = "copy_code"
    QUICK_REPLY = "quick_reply"


@dataclass(frozen=True, slots=True)
class TemplateHeaderValue:
    """The header's value: a text parameter, or a file.

    A file rides on the message itself (``Message.media``), uploaded with it or taken from
    another message's stored file (``media_message_id``), so the outbox uploads it to Meta
    at send time like any other file: Meta's media ids expire, ours do not.
    """

    kind: HeaderKind
    text: str | None = None
    parameter_name: str | None = None
    """Set for a named template's text header (``{{factura}}``); None for ``{{1}}``."""
    media_message_id: str | None = None


@dataclass(frozen=True, slots=True)
class TemplateButtonValue:
    """The value of one button: a URL's variable suffix, a code to copy, or a quick
    reply's payload. ``index`` is the button's position in the template (0-based)."""

    index: int
    value: str
    kind: ButtonKind = ButtonKind.URL


@dataclass(frozen=True, slots=True)
class TemplateMessage:
    """An approved WhatsApp template: the only thing allowed outside the 24-hour window.

    Body values are either positional (``parameters``, for ``{{1}}``, ``{{2}}``…) or named
    (``named_parameters``, for ``{{nombre}}``…), never both: a template has one format.
    ``category`` is the catalogue's (MARKETING, UTILITY, AUTHENTICATION) when it was checked
    against it, None for a template sent unchecked.
    """

    name: str
    language: str = "es"
    parameters: tuple[str, ...] = ()
    named_parameters: tuple[tuple[str, str], ...] = ()
    header: TemplateHeaderValue | None = None
    buttons: tuple[TemplateButtonValue, ...] = ()
    category: str | None = None

    @property
    def is_named(self) -> bool:
        return bool(self.named_parameters)

    def body_values(self) -> tuple[str, ...]:
        return tuple(v for _, v in self.named_parameters) if self.is_named else self.parameters

    def describe(self) -> str:
        """One line for previews and logs: ``[plantilla recordatorio_pago: Ana, 120 €]``."""
        values = [*(self.header.text for _ in (0,) if self.header and self.header.text)]
        values.extend(self.body_values())
        params = ", ".join(values)
        return f"[plantilla {self.name}{': ' + params if params else ''}]"
