"""Reply buttons and lists as the Graph API takes them: the ``interactive`` object.

``{"type": "button", "body": {"text"}, "action": {"buttons": [{"type": "reply", "reply":
{"id", "title"}}]}}`` for buttons; ``{"type": "list", ..., "action": {"button", "sections":
[{"title", "rows": [{"id", "title", "description"}]}]}}`` for a list. A text header is
``{"type": "text", "text"}``, a footer ``{"text"}``; what the content leaves out (header,
footer, a lone section's title, a row's description) is left out of the request too. The
content was checked against Meta's limits when it was built (``domain/interactive.py``).
"""

from __future__ import annotations

from typing import Any

from crm_whatsapp.domain.interactive import InteractiveContent, ListRow


def interactive_message_content(content: InteractiveContent) -> dict[str, Any]:
    """The object a message of ``"type": "interactive"`` carries under ``interactive``."""
    message: dict[str, Any] = {"type": "button" if content.kind == "buttons" else "list"}
    if content.header is not None:
        message["header"] = {"type": "text", "text": content.header}
    message["body"] = {"text": content.body}
    if content.footer is not None:
        message["footer"] = {"text": content.footer}
    if content.kind == "buttons":
        message["action"] = {
            "buttons": [
                {"type": "reply", "reply": {"id": button.id, "title": button.title}}
                for button in content.buttons
            ]
        }
        return message
    sections: list[dict[str, Any]] = []
    for section in content.sections:
        part: dict[str, Any] = {}
        if section.title is not None:
            part["title"] = section.title
        part["rows"] = [_row(row) for row in section.rows]
        sections.append(part)
    message["action"] = {"button": content.button_label, "sections": sections}
    return message


def _row(row: ListRow) -> dict[str, str]:
    data = {"id": row.id, "title": row.title}
    if row.description is not None:
        data["description"] = row.description
    return data
