"""A template send checked against the catalogue, and completed from it.

Every problem is collected before refusing, so the agent fixes the form once: a missing
``{{3}}``, an extra ``nombre``, an image where the template's header is a document. What
passes is completed with what Meta needs and the request does not say: the button kinds
(``sub_type``), the order of named values, the template's category.
"""

from __future__ import annotations

import re

from crm_whatsapp.domain.template_errors import InvalidTemplateParameters, TemplateNotSendable
from crm_whatsapp.domain.template_message import (
    ButtonKind,
    HeaderKind,
    TemplateButtonValue,
    TemplateHeaderValue,
    TemplateMessage,
)
from crm_whatsapp.domain.templates import ButtonType, HeaderFormat, Template, fill

MAX_HEADER_TEXT = 60
"""Meta's limit for a text header, once filled."""
MAX_BODY_TEXT = 1024
"""Meta's limit for a template body, once filled."""
_BODY_VALUE_REFUSED = re.compile(r"[\n\t]| {5,}")
"""Meta refuses a body value with a line break, a tab or more than four spaces (132018)."""
_BUTTON_KINDS = {
    ButtonType.URL: ButtonKind.URL,
    ButtonType.COPY_CODE: ButtonKind.COPY_CODE,
    ButtonType.QUICK_REPLY: ButtonKind.QUICK_REPLY,
}


def checked_template(
    template: Template, request: TemplateMessage, *, has_file: bool = False
) -> TemplateMessage:
    """The request, checked and completed; ``has_file`` says a file came with it (an
    upload or a stored file) for a media header.

    Raises ``TemplateNotSendable`` unless the template is approved, and
    ``InvalidTemplateParameters`` naming every missing, extra or misfitting value.
    """
    if not template.is_sendable:
        raise TemplateNotSendable(template.name, template.language, template.status)
    problems: list[str] = []
    positional, named = _body(template, request, problems)
    header = _header(template, request, has_file, problems)
    buttons = _buttons(template, request, problems)
    if not problems:
        values = dict(named) if template.is_named else _numbered(positional)
        if len(fill(template.body, values)) > MAX_BODY_TEXT:
            problems.append(f"body: longer than {MAX_BODY_TEXT} characters once filled")
    if problems:
        raise InvalidTemplateParameters(template.name, problems)
    return TemplateMessage(
        name=template.name,
        language=template.language,
        parameters=positional,
        named_parameters=named,
        header=header,
        buttons=buttons,
        category=template.category,
    )


def _numbered(values: tuple[str, ...]) -> dict[str, str]:
    return {str(i): v for i, v in enumerate(values, start=1)}


def _body(
    template: Template, request: TemplateMessage, problems: list[str]
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    wanted = [p.name for p in template.body_parameters]
    if template.is_named:
        if request.parameters:
            problems.append(
                "body: this template takes named values ("
                + ", ".join(f"{{{{{n}}}}}" for n in wanted)
                + "), not a list"
            )
            return (), ()
        given = dict(request.named_parameters)
        problems.extend(f"body: missing {{{{{n}}}}}" for n in wanted if n not in given)
        problems.extend(
            f"body: {{{{{n}}}}} is not in the template" for n in given if n not in wanted
        )
        for n in wanted:
            _check_body_value(n, given.get(n), problems)
        return (), tuple((n, given[n]) for n in wanted if n in given)
    if request.named_parameters:
        problems.append(
            f"body: this template takes {len(wanted)} values in order ({{{{1}}}}…), not names"
        )
        return (), ()
    values = request.parameters
    problems.extend(f"body: missing {{{{{i}}}}}" for i in range(len(values) + 1, len(wanted) + 1))
    problems.extend(
        f"body: {{{{{i}}}}} is not in the template (it takes {len(wanted)})"
        for i in range(len(wanted) + 1, len(values) + 1)
    )
    for i, value in enumerate(values[: len(wanted)], start=1):
        _check_body_value(str(i), value, problems)
    return values, ()


def _check_body_value(name: str, value: str | None, problems: list[str]) -> None:
    if value is None:
        return
    if not value.strip():
        problems.append(f"body: {{{{{name}}}}} is empty")
    elif _BODY_VALUE_REFUSED.search(value):
        problems.append(
            f"body: {{{{{name}}}}} has a line break, a tab or more than four spaces in a row, "
            "which WhatsApp refuses"
        )


def _header(
    template: Template, request: TemplateMessage, has_file: bool, problems: list[str]
) -> TemplateHeaderValue | None:
    wanted = template.header
    given = request.header
    if wanted is None or (wanted.format is HeaderFormat.TEXT and wanted.parameter is None):
        if given is not None or has_file:
            problems.append("header: this template's header takes no value")
        return None
    if wanted.format is HeaderFormat.LOCATION:
        problems.append("header: location headers cannot be sent from here")
        return None
    if wanted.format is HeaderFormat.TEXT and wanted.parameter is not None:
        text = given.text if given is not None and given.kind is HeaderKind.TEXT else None
        if given is not None and given.kind is not HeaderKind.TEXT:
            problems.append(f"header: the template's header is text, not {given.kind.value}")
        elif not text or not text.strip():
            problems.append("header: missing its text value")
        elif len(fill(wanted.text or "", {wanted.parameter.name: text})) > MAX_HEADER_TEXT:
            problems.append(f"header: longer than {MAX_HEADER_TEXT} characters once filled")
        elif "\n" in text:
            problems.append("header: a line break is not allowed")
        name = wanted.parameter.name if template.is_named else None
        return TemplateHeaderValue(HeaderKind.TEXT, text=text, parameter_name=name)
    kind = HeaderKind(wanted.format.value)
    if given is not None and given.kind is not kind:
        problems.append(f"header: the template's header is {kind.value}, not {given.kind.value}")
    elif not has_file:
        problems.append(f"header: missing its {kind.value} (upload a file or give media_id)")
    media = given.media_message_id if given is not None else None
    return TemplateHeaderValue(kind, media_message_id=media)


def _buttons(
    template: Template, request: TemplateMessage, problems: list[str]
) -> tuple[TemplateButtonValue, ...]:
    by_index = {b.index: b for b in template.buttons}
    given: dict[int, TemplateButtonValue] = {}
    for value in request.buttons:
        if value.index in given:
            problems.append(f"buttons: index {value.index} given twice")
        given[value.index] = value
    out: list[TemplateButtonValue] = []
    for index, value in sorted(given.items()):
        button = by_index.get(index)
        kind = _BUTTON_KINDS.get(button.type) if button is not None else None
        takes_value = kind is ButtonKind.QUICK_REPLY or (
            button is not None and button.parameter is not None
        )
        if button is None or kind is None or not takes_value:
            problems.append(f"buttons: button {index} takes no value")
        elif not value.value.strip():
            problems.append(f"buttons: button {index} ({button.text or kind.value}) is empty")
        else:
            out.append(TemplateButtonValue(index, value.value, kind))
    for button in template.buttons:
        if button.parameter is not None and button.index not in given:
            label = button.text or button.type.value
            problems.append(f"buttons: missing the value of button {button.index} ({label})")
    return tuple(out)
