"""Meta's template catalogue, every page, read into our ``Template``.

``GET /{version}/{waba-id}/message_templates`` answers pages of ``data`` with
``paging.next``, an absolute address to follow. We follow it only to the Graph API host
we were configured with (the access token goes along), and give up after ``MAX_PAGES``.
A template whose shape we cannot read is left out and named in ``unreadable``, not half
understood: a send naming it is then refused as unknown, never sent wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from crm_whatsapp.adapters.whatsapp.graph_api.errors import (
    classify_graph_error,
    classify_transport_error,
    scrubbed,
)
from crm_whatsapp.adapters.whatsapp.graph_api.media import Lease
from crm_whatsapp.adapters.whatsapp.graph_api.settings import GraphApiSettings
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.template_errors import TemplateSyncFailed
from crm_whatsapp.domain.template_ports import FetchedCatalogue
from crm_whatsapp.domain.templates import (
    ButtonType,
    HeaderFormat,
    ParameterFormat,
    Placeholder,
    Template,
    TemplateButton,
    TemplateHeader,
    placeholders,
    variables_in,
)

logger = logging.getLogger("crm_whatsapp.graph_api")

PAGE_SIZE = 100
MAX_PAGES = 500
"""50,000 templates: far past Meta's per-account limit, so only a loop stops here."""
FIELDS = (
    "id,name,language,status,category,parameter_format,components,quality_score,rejected_reason"
)


class GraphTemplates:
    """The ``TemplateSource`` port over the Graph API, sharing the gateway's connections."""

    def __init__(self, settings: GraphApiSettings, lease: Lease, timeout: httpx.Timeout) -> None:
        self._settings = settings
        self._lease = lease
        self._timeout = timeout

    async def fetch_templates(self, waba_id: str) -> FetchedCatalogue:
        try:
            url: str | None = self._settings.templates_url(waba_id)
        except ValueError:
            raise TemplateSyncFailed(
                "the WhatsApp Business Account id is not valid", False
            ) from None
        params: dict[str, str] | None = {"limit": str(PAGE_SIZE), "fields": FIELDS}
        templates: list[Template] = []
        unreadable: list[str] = []
        pages = 0
        while url is not None:
            if pages == MAX_PAGES:
                raise TemplateSyncFailed(f"more than {MAX_PAGES} pages", False)
            answer = await self._page(url, params)
            pages += 1
            for raw in _list(answer.get("data")):
                template = template_from_meta(raw)
                if template is None:
                    unreadable.append(str(raw.get("name") or raw.get("id") or "?")[:200])
                else:
                    templates.append(template)
            url, params = self._next(answer), None  # ``next`` carries its own query
        if unreadable:
            logger.warning("templates left out, unreadable: %s", ", ".join(unreadable))
        return FetchedCatalogue(tuple(templates), pages, tuple(unreadable))

    async def _page(self, url: str, params: Mapping[str, str] | None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._settings.access_token}"}
        with self._lease() as client:
            try:
                response = await client.get(
                    url, params=params, headers=headers, timeout=self._timeout
                )
            except httpx.TransportError as exc:
                raise self._failed(classify_transport_error(exc)) from None
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        if not response.is_success:
            raise self._failed(classify_graph_error(response.status_code, answer))
        if not isinstance(answer, dict):
            raise TemplateSyncFailed(
                f"a page was not a JSON object (HTTP {response.status_code})", True
            )
        return answer

    def _next(self, answer: Mapping[str, Any]) -> str | None:
        paging = answer.get("paging")
        following = paging.get("next") if isinstance(paging, dict) else None
        if not isinstance(following, str) or not following:
            return None
        ours, theirs = urlsplit(self._settings.base_url), urlsplit(following)
        if (theirs.scheme, theirs.netloc) != (ours.scheme, ours.netloc):
            raise TemplateSyncFailed("paging.next points away from the Graph API host", False)
        return following

    def _failed(self, error: GatewayError) -> TemplateSyncFailed:
        clean = scrubbed(error, self._settings.access_token)
        logger.warning("template sync failed: %s", clean)
        return TemplateSyncFailed(str(clean), clean.retryable)


def _list(value: object) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def template_from_meta(raw: Mapping[str, Any]) -> Template | None:
    """Our template from Meta's JSON; None when a required part is missing or odd."""
    name, language = _text(raw.get("name")), _text(raw.get("language"))
    status, category = _text(raw.get("status")), _text(raw.get("category"))
    if not name or not language or not status or not category:
        return None
    named = str(raw.get("parameter_format", "")).upper() == "NAMED"
    body_text, footer = "", None
    header: TemplateHeader | None = None
    buttons: tuple[TemplateButton, ...] = ()
    body_examples: tuple[str, ...] = ()
    for component in _list(raw.get("components")):
        kind = str(component.get("type", "")).upper()
        if kind == "BODY":
            body_text = _text(component.get("text")) or ""
            body_examples = _examples(component.get("example"), "body", named)
        elif kind == "HEADER":
            header = _header(component, named)
            if header is None:
                return None
        elif kind == "FOOTER":
            footer = _text(component.get("text"))
        elif kind == "BUTTONS":
            buttons = tuple(_button(i, b) for i, b in enumerate(_list(component.get("buttons"))))
    if not body_text:
        return None
    quality = raw.get("quality_score")
    return Template(
        name=name,
        language=language,
        status=status.upper(),
        category=category.upper(),
        body=body_text,
        parameter_format=ParameterFormat.NAMED if named else ParameterFormat.POSITIONAL,
        header=header,
        footer=footer,
        buttons=buttons,
        body_parameters=placeholders(body_text, body_examples) if body_text else (),
        meta_id=_text(raw.get("id")),
        quality=_text(quality.get("score")) if isinstance(quality, dict) else None,
        reason=_reason(raw.get("rejected_reason")),
    )


def _reason(value: object) -> str | None:
    text = _text(value)
    return None if not text or text.upper() == "NONE" else text


def _examples(example: object, part: str, named: bool) -> tuple[str, ...]:
    """Meta's example values of a body or header, in the order of the variables."""
    if not isinstance(example, dict):
        return ()
    if named:
        pairs = example.get(f"{part}_text_named_params")
        return (
            tuple(str(p.get("example", "")) for p in pairs if isinstance(p, dict))
            if isinstance(pairs, list)
            else ()
        )
    values = example.get(f"{part}_text")
    if part == "body" and isinstance(values, list) and values and isinstance(values[0], list):
        values = values[0]  # the body's examples are a list of rows
    return tuple(str(v) for v in values) if isinstance(values, list) else ()


def _header(component: Mapping[str, Any], named: bool) -> TemplateHeader | None:
    try:
        header_format = HeaderFormat(str(component.get("format", "TEXT")).lower())
    except ValueError:
        return None
    if header_format is not HeaderFormat.TEXT:
        return TemplateHeader(header_format)
    text = _text(component.get("text")) or ""
    found = placeholders(text, _examples(component.get("example"), "header", named))
    return TemplateHeader(header_format, text, found[0] if found else None)


_BUTTON_TYPES = {
    "QUICK_REPLY": ButtonType.QUICK_REPLY,
    "URL": ButtonType.URL,
    "COPY_CODE": ButtonType.COPY_CODE,
    "PHONE_NUMBER": ButtonType.PHONE_NUMBER,
}


def _button(index: int, raw: Mapping[str, Any]) -> TemplateButton:
    kind = _BUTTON_TYPES.get(str(raw.get("type", "")).upper(), ButtonType.OTHER)
    url = _text(raw.get("url"))
    parameter: Placeholder | None = None
    example = _first(raw.get("example"))
    if kind is ButtonType.URL and variables_in(url):
        parameter = Placeholder(variables_in(url)[0], example)
    elif kind is ButtonType.COPY_CODE:
        parameter = Placeholder("1", example)
    return TemplateButton(
        index=index,
        type=kind,
        text=_text(raw.get("text")) or "",
        url=url,
        phone_number=_text(raw.get("phone_number")),
        parameter=parameter,
    )


def _first(value: object) -> str | None:
    if isinstance(value, list) and value:
        return str(value[0])
    return _text(value)
