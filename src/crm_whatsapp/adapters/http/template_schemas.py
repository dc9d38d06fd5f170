"""The API's templates: the catalogue as a form needs it, and a template send's values."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_whatsapp.domain.template_message import (
    ButtonKind,
    HeaderKind,
    TemplateButtonValue,
    TemplateHeaderValue,
    TemplateMessage,
)
from crm_whatsapp.domain.templates import (
    HeaderFormat,
    Placeholder,
    SyncReport,
    Template,
    TemplateButton,
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class TemplateHeaderIn(_In):
    type: Literal["text", "image", "document", "video"]
    text: str | None = Field(default=None, min_length=1, max_length=60)
    media_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="a message whose file we keep (the id in /api/v1/medios/{id}); or upload "
        "the file with multipart/form-data",
    )


class TemplateButtonIn(_In):
    index: int = Field(ge=0, le=9, description="the button's position in the template")
    parameter: str = Field(
        min_length=1, max_length=2000, description="the URL's suffix, the code, or a payload"
    )
    sub_type: Literal["url", "copy_code", "quick_reply"] | None = Field(
        default=None, description="only before the catalogue is synced; else the template says"
    )


class TemplateIn(_In):
    name: str = Field(min_length=1, max_length=512)
    language: str = Field(default="es", min_length=2, max_length=15)
    parameters: list[str] | dict[str, str] = Field(
        default_factory=list,
        description="the body's values: a list for {{1}}, {{2}}…; an object for named ones",
    )
    header: TemplateHeaderIn | None = None
    buttons: list[TemplateButtonIn] = Field(default_factory=list, max_length=10)

    def to_domain(self) -> TemplateMessage:
        values = self.parameters
        header = None
        if self.header is not None:
            kind = HeaderKind(self.header.type)
            header = TemplateHeaderValue(
                kind, text=self.header.text, media_message_id=self.header.media_id
            )
        buttons = tuple(
            TemplateButtonValue(b.index, b.parameter, ButtonKind(b.sub_type or "url"))
            for b in self.buttons
        )
        return TemplateMessage(
            self.name,
            self.language,
            parameters=tuple(values) if isinstance(values, list) else (),
            named_parameters=tuple(values.items()) if isinstance(values, dict) else (),
            header=header,
            buttons=buttons,
        )


class PlaceholderOut(_Out):
    name: str = Field(description='"1" for {{1}}, or the name of a named value')
    example: str | None


class CatalogueHeaderOut(_Out):
    format: Literal["text", "image", "document", "video", "location"]
    text: str | None
    parameter: PlaceholderOut | None


class CatalogueButtonOut(_Out):
    index: int
    type: Literal["quick_reply", "url", "copy_code", "phone_number", "other"]
    text: str
    url: str | None
    parameter: PlaceholderOut | None


class CatalogueTemplateOut(_Out):
    name: str
    language: str
    status: str = Field(description="APPROVED, PENDING, REJECTED, PAUSED, DISABLED…")
    category: str = Field(description="MARKETING, UTILITY or AUTHENTICATION")
    parameter_format: Literal["positional", "named"]
    header: CatalogueHeaderOut | None
    body: str
    footer: str | None
    buttons: list[CatalogueButtonOut]
    parameters: list[PlaceholderOut] = Field(description="the body's values, in order")
    sendable: bool
    not_sendable_reason: str | None
    quality: str | None
    updated_at: datetime | None


class TemplateCatalogueOut(_Out):
    items: list[CatalogueTemplateOut]
    synced_at: datetime | None = Field(description="the last complete sync; null: never")
    configured: bool = Field(description="a WhatsApp Business Account id is set to sync from")


class TemplateSyncOut(_Out):
    templates: int
    pages: int
    created: int
    updated: int
    removed: int
    synced_at: datetime
    rule_problems: list[str] = Field(
        description="what Meta would refuse of a bot rule's template, naming the rule; "
        "empty when every rule's template can be sent"
    )


def _placeholder(p: Placeholder | None) -> PlaceholderOut | None:
    return None if p is None else PlaceholderOut(name=p.name, example=p.example)


def _button(b: TemplateButton) -> CatalogueButtonOut:
    return CatalogueButtonOut(
        index=b.index,
        type=b.type.value,
        text=b.text,
        url=b.url,
        parameter=_placeholder(b.parameter),
    )


def catalogue_template_out(t: Template) -> CatalogueTemplateOut:
    header = (
        CatalogueHeaderOut(
            format=t.header.format.value,
            text=t.header.text,
            parameter=_placeholder(t.header.parameter),
        )
        if t.header is not None
        else None
    )
    reason = None if t.is_sendable else f"{t.status}" + (f": {t.reason}" if t.reason else "")
    if reason is None and t.header is not None and t.header.format is HeaderFormat.LOCATION:
        reason = "its location header cannot be sent from here"
    return CatalogueTemplateOut(
        name=t.name,
        language=t.language,
        status=t.status,
        category=t.category,
        parameter_format=t.parameter_format.value,
        header=header,
        body=t.body,
        footer=t.footer,
        buttons=[_button(b) for b in t.buttons],
        parameters=[PlaceholderOut(name=p.name, example=p.example) for p in t.body_parameters],
        sendable=reason is None,
        not_sendable_reason=reason,
        quality=t.quality,
        updated_at=t.updated_at,
    )


def sync_out(report: SyncReport) -> TemplateSyncOut:
    return TemplateSyncOut(
        templates=report.templates,
        pages=report.pages,
        created=report.created,
        updated=report.updated,
        removed=report.removed,
        synced_at=report.synced_at,
        rule_problems=list(report.rule_problems),
    )
