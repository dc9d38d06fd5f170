"""A message's template as the JSON of its ``template`` column.

Rows stored before named values, headers and buttons existed hold only name, language and
parameters; they read back as the positional template they were.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_whatsapp.domain.template_message import (
    ButtonKind,
    HeaderKind,
    TemplateButtonValue,
    TemplateHeaderValue,
    TemplateMessage,
)


def template_message_json(template: TemplateMessage | None) -> dict[str, Any] | None:
    if template is None:
        return None
    data: dict[str, Any] = {
        "name": template.name,
        "language": template.language,
        "parameters": list(template.parameters),
    }
    if template.named_parameters:
        data["named_parameters"] = [list(pair) for pair in template.named_parameters]
    if template.header is not None:
        header = template.header
        data["header"] = {
            "kind": header.kind.value,
            "text": header.text,
            "parameter_name": header.parameter_name,
            "media_message_id": header.media_message_id,
        }
    if template.buttons:
        data["buttons"] = [
            {"index": b.index, "value": b.value, "kind": b.kind.value} for b in template.buttons
        ]
    if template.category is not None:
        data["category"] = template.category
    return data


def template_message_from_json(data: Mapping[str, Any] | None) -> TemplateMessage | None:
    if not data:
        return None
    header = data.get("header")
    return TemplateMessage(
        name=data["name"],
        language=data["language"],
        parameters=tuple(data.get("parameters") or ()),
        named_parameters=tuple((str(k), str(v)) for k, v in data.get("named_parameters") or ()),
        header=TemplateHeaderValue(
            HeaderKind(header["kind"]),
            text=header.get("text"),
            parameter_name=header.get("parameter_name"),
            media_message_id=header.get("media_message_id"),
        )
        if header
        else None,
        buttons=tuple(
            TemplateButtonValue(int(b["index"]), str(b["value"]), ButtonKind(b["kind"]))
            for b in data.get("buttons") or ()
        ),
        category=data.get("category"),
    )
