"""A template's row and its ``definition``, our own JSON form of what Meta approved.

The definition is ours, not Meta's ``components`` list, so it says each thing once and
needs no parsing on the way out::

    {"body": "Hola {{1}}", "footer": "…", "body_parameters": [{"name": "1", "example": "Ana"}],
     "header": {"format": "text", "text": "…", "parameter": {"name": "1", "example": null}},
     "buttons": [{"index": 0, "type": "url", "text": "Ver", "url": "…", "phone_number": null,
                  "parameter": {…}}]}

Reading tolerates what an older or newer writer left out or added: a missing key is its
default (no header, no buttons…), an unknown button type is ``other``, an unknown header
format drops the header, and keys we do not know are ignored, so a row written by another
version never makes the catalogue unreadable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_whatsapp.domain.templates import (
    ButtonType,
    HeaderFormat,
    ParameterFormat,
    Placeholder,
    Template,
    TemplateButton,
    TemplateHeader,
)

Row = Mapping[Any, Any]


def template_values(t: Template) -> dict[str, Any]:
    return {
        "name": t.name,
        "language": t.language,
        "status": t.status,
        "category": t.category,
        "parameter_format": t.parameter_format.value,
        "meta_id": t.meta_id,
        "quality": t.quality,
        "reason": t.reason,
        "updated_at": t.updated_at,
        "definition": definition_json(t),
    }


def template_from_row(row: Row) -> Template:
    definition = row["definition"]
    d: Mapping[str, Any] = definition if isinstance(definition, Mapping) else {}
    return Template(
        name=row["name"],
        language=row["language"],
        status=row["status"],
        category=row["category"],
        body=_text(d.get("body")) or "",
        parameter_format=_parameter_format(row["parameter_format"]),
        header=_header(d.get("header")),
        footer=_text(d.get("footer")),
        buttons=tuple(_buttons(d.get("buttons"))),
        body_parameters=tuple(_placeholders(d.get("body_parameters"))),
        meta_id=row["meta_id"],
        quality=row["quality"],
        reason=row["reason"],
        updated_at=row["updated_at"],
    )


def definition_json(t: Template) -> dict[str, Any]:
    header = t.header
    return {
        "body": t.body,
        "header": None
        if header is None
        else {
            "format": header.format.value,
            "text": header.text,
            "parameter": _placeholder_json(header.parameter),
        },
        "footer": t.footer,
        "buttons": [
            {
                "index": b.index,
                "type": b.type.value,
                "text": b.text,
                "url": b.url,
                "phone_number": b.phone_number,
                "parameter": _placeholder_json(b.parameter),
            }
            for b in t.buttons
        ],
        "body_parameters": [_placeholder_json(p) for p in t.body_parameters],
    }


def _placeholder_json(p: Placeholder | None) -> dict[str, Any] | None:
    return None if p is None else {"name": p.name, "example": p.example}


# -- reading, tolerantly -----------------------------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _parameter_format(value: object) -> ParameterFormat:
    try:
        return ParameterFormat(value)
    except ValueError:
        return ParameterFormat.POSITIONAL


def _placeholder(value: object) -> Placeholder | None:
    if not isinstance(value, Mapping):
        return None
    name = value.get("name")
    if isinstance(name, int) and not isinstance(name, bool):
        name = str(name)
    if not isinstance(name, str):
        return None
    return Placeholder(name, _text(value.get("example")))


def _placeholders(value: object) -> list[Placeholder]:
    items = value if isinstance(value, list) else []
    return [p for p in (_placeholder(item) for item in items) if p is not None]


def _header(value: object) -> TemplateHeader | None:
    if not isinstance(value, Mapping):
        return None
    try:
        header_format = HeaderFormat(value.get("format"))
    except ValueError:
        return None
    return TemplateHeader(
        header_format, _text(value.get("text")), _placeholder(value.get("parameter"))
    )


def _buttons(value: object) -> list[TemplateButton]:
    items = value if isinstance(value, list) else []
    buttons = []
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        index = item.get("index")
        try:
            button_type = ButtonType(item.get("type"))
        except ValueError:
            button_type = ButtonType.OTHER
        buttons.append(
            TemplateButton(
                index=index if isinstance(index, int) and not isinstance(index, bool) else position,
                type=button_type,
                text=_text(item.get("text")) or "",
                url=_text(item.get("url")),
                phone_number=_text(item.get("phone_number")),
                parameter=_placeholder(item.get("parameter")),
            )
        )
    return buttons
