"""A checked template as Meta's ``template`` object: name, language and ``components``.

Meta matches values to a template by position within each component, and by
``parameter_name`` in a named template; buttons by ``sub_type`` and ``index`` (a string).
A component appears only when it carries values: a template without variables is sent
by name and language alone.
"""

from __future__ import annotations

from typing import Any

from crm_whatsapp.domain.template_message import (
    ButtonKind,
    HeaderKind,
    TemplateButtonValue,
    TemplateHeaderValue,
    TemplateMessage,
)


def template_object(
    template: TemplateMessage,
    *,
    header_media_id: str | None = None,
    header_filename: str | None = None,
) -> dict[str, Any]:
    """``header_media_id`` is the file Meta holds for a media header (uploaded just
    before); ``header_filename`` is shown for a document header."""
    content: dict[str, Any] = {"name": template.name, "language": {"code": template.language}}
    components: list[dict[str, Any]] = []
    if template.header is not None:
        header = _header(template.header, header_media_id, header_filename)
        if header is not None:
            components.append(header)
    body = _body(template)
    if body:
        components.append({"type": "body", "parameters": body})
    components.extend(_button(button) for button in template.buttons)
    if components:
        content["components"] = components
    return content


def _text(value: str, name: str | None) -> dict[str, Any]:
    parameter: dict[str, Any] = {"type": "text", "text": value}
    if name is not None:
        parameter["parameter_name"] = name
    return parameter


def _body(template: TemplateMessage) -> list[dict[str, Any]]:
    if template.is_named:
        return [_text(value, name) for name, value in template.named_parameters]
    return [_text(value, None) for value in template.parameters]


def _header(
    header: TemplateHeaderValue, media_id: str | None, filename: str | None
) -> dict[str, Any] | None:
    if header.kind is HeaderKind.TEXT:
        if header.text is None:
            return None
        return {"type": "header", "parameters": [_text(header.text, header.parameter_name)]}
    if media_id is None:
        raise ValueError(f"a {header.kind.value} header needs its file uploaded first")
    media: dict[str, Any] = {"id": media_id}
    if header.kind is HeaderKind.DOCUMENT and filename:
        media["filename"] = filename
    kind = header.kind.value
    return {"type": "header", "parameters": [{"type": kind, kind: media}]}


def _button(button: TemplateButtonValue) -> dict[str, Any]:
    if button.kind is ButtonKind.COPY_CODE:
        parameter: dict[str, Any] = {"type": "coupon_code", "coupon_code": button.value}
    elif button.kind is ButtonKind.QUICK_REPLY:
        parameter = {"type": "payload", "payload": button.value}
    else:
        parameter = {"type": "text", "text": button.value}
    return {
        "type": "button",
        "sub_type": button.kind.value,
        "index": str(button.index),
        "parameters": [parameter],
    }
