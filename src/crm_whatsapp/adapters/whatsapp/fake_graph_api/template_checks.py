"""A template send checked the way Meta checks it, against the catalogue of the WABA that
owns the sending number: a client that passes the fake has sent what Meta would take.

What Meta answers (HTTP 400 unless said):

* no template of that name in that language, or one not approved (PENDING, REJECTED):
  132001 "Template name does not exist in the translation" (HTTP 404);
* PAUSED: 132015 "Template is Paused"; DISABLED: 132016 "Template is disabled";
* a component given more or fewer values than the template has placeholders (the header's
  variable or file, the body's variables, a URL button's suffix, a copy-code button's
  code): 132000 "Number of parameters does not match the expected number of params";
* a value of the wrong kind (an image for a DOCUMENT header, a payload for a URL button),
  named values for a positional template or the reverse, a ``parameter_name`` the
  template does not have, a button component whose ``index`` is not a button of its
  ``sub_type``: 132012 "Parameter format does not match format in the created template";
* a value without its content (a text parameter without ``text``): 131008;
* a component without ``sub_type`` or ``index``, or of a type a send cannot have: 100.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import JsonObject, sample_for
from crm_whatsapp.adapters.whatsapp.fake_graph_api.templates import (
    TemplateCatalogue,
    component,
    variables_in,
)

SENDABLE = "APPROVED"
SUB_TYPES = ("url", "quick_reply", "copy_code", "flow", "catalog", "mpm", "voice_call")
BUTTON_SUB_TYPES = {
    "URL": "url",
    "OTP": "url",
    "QUICK_REPLY": "quick_reply",
    "COPY_CODE": "copy_code",
}
TEXT_KINDS = ("text", "currency", "date_time")
REQUIRED_FIELDS = {
    "text": ("text",),
    "currency": ("fallback_value", "code", "amount_1000"),
    "date_time": ("fallback_value",),
    "payload": ("payload",),
    "coupon_code": ("coupon_code",),
}


@dataclass(frozen=True, slots=True)
class TemplateRefusal:
    """Meta's answer to a template send it refuses."""

    code: int
    message: str
    http_status: int
    details: str


class _Refused(Exception):
    def __init__(self, code: int, details: str, message: str | None = None) -> None:
        super().__init__(details)
        self.code = code
        self.details = details
        self.message = message


def template_refusal(
    catalogue: TemplateCatalogue, phone_number_id: str, content: Mapping[str, Any]
) -> TemplateRefusal | None:
    """Why Meta would refuse this ``template`` object sent from ``phone_number_id``, or
    None if Meta would take it."""
    try:
        _check_shape(content)
        name, language = str(content["name"]), str(content["language"]["code"])
        template = catalogue.find(catalogue.waba_of(phone_number_id), name, language)
        _check(template, name, language, content.get("components") or [])
    except _Refused as refused:
        sample = sample_for(refused.code)
        message = refused.message or sample.message
        http_status = 400 if refused.code == 100 else sample.http_status
        return TemplateRefusal(refused.code, message, http_status, refused.details or message)
    return None


def _check_shape(content: Mapping[str, Any]) -> None:
    """A name, a language code, and components that each have a type and typed
    parameters: else code 100, naming the parameter, as Meta words it."""
    if not isinstance(content.get("name"), str) or not content["name"]:
        raise _Refused(100, "", "(#100) The parameter template['name'] is required.")
    language = content.get("language")
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        raise _Refused(100, "", "(#100) The parameter template['language']['code'] is required.")
    components = content.get("components", [])
    if not isinstance(components, list):
        raise _Refused(100, "", "(#100) Param template['components'] must be an array.")
    for position, part in enumerate(components):
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise _Refused(
                100,
                "",
                f"(#100) The parameter template['components'][{position}]['type'] is required.",
            )
        parameters = part.get("parameters", [])
        if not isinstance(parameters, list) or any(
            not isinstance(parameter, dict) or "type" not in parameter for parameter in parameters
        ):
            raise _Refused(100, "Each template parameter needs a type.", "(#100) Invalid parameter")


def _check(template: JsonObject | None, name: str, language: str, sent: list[Any]) -> None:
    status = template["status"] if template is not None else None
    if template is None or status not in (SENDABLE, "PAUSED", "DISABLED"):
        raise _Refused(132001, f"template name ({name}) does not exist in {language}")
    if status != SENDABLE:
        code = 132015 if status == "PAUSED" else 132016
        raise _Refused(code, sample_for(code).details or "")
    header, body, buttons = _sent_parts(sent)
    named = template["parameter_format"] == "NAMED"
    _check_header(component(template, "HEADER"), header, named)
    body_text = (component(template, "BODY") or {}).get("text")
    _check_values("body", body, variables_in(body_text), named)
    _check_buttons((component(template, "BUTTONS") or {}).get("buttons", []), buttons)


def _sent_parts(
    sent: list[Any],
) -> tuple[list[JsonObject], list[JsonObject], dict[int, tuple[str, list[JsonObject]]]]:
    """The header's and the body's parameters, and each button's sub_type and parameters
    by index; a component a send cannot have is refused here."""
    found: dict[str, list[JsonObject]] = {}
    buttons: dict[int, tuple[str, list[JsonObject]]] = {}
    for position, part in enumerate(sent):
        where = f"template['components'][{position}]"
        kind = str(part["type"]).lower()
        parameters = list(part.get("parameters") or [])
        if kind in ("header", "body"):
            if kind in found:
                raise _Refused(100, f"more than one {kind} component", "(#100) Invalid parameter")
            found[kind] = parameters
        elif kind == "button":
            sub_type, index = part.get("sub_type"), _index(part.get("index"))
            if not isinstance(sub_type, str) or not sub_type:
                raise _Refused(100, "", f"(#100) The parameter {where}['sub_type'] is required.")
            if sub_type.lower() not in SUB_TYPES:
                raise _Refused(
                    100,
                    f"sub_type is one of {', '.join(SUB_TYPES)}",
                    f"(#100) Param {where}['sub_type'] is not valid - got \"{sub_type}\".",
                )
            if index is None:
                raise _Refused(100, "", f"(#100) The parameter {where}['index'] is required.")
            if index in buttons:
                raise _Refused(100, f"two button components for index {index}")
            buttons[index] = (sub_type.lower(), parameters)
        else:
            raise _Refused(
                100,
                "a template send takes header, body and button components",
                f"(#100) Param {where}['type'] is not valid - got \"{part['type']}\".",
            )
    return found.get("header", []), found.get("body", []), buttons


def _index(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) < 10:
        return int(value)
    return None


def _count(where: str, given: int, expected: int) -> None:
    if given != expected:
        raise _Refused(
            132000,
            f"{where}: number of localizable_params ({given}) does not match the expected "
            f"number of params ({expected})",
        )


def _check_header(header: JsonObject | None, sent: list[JsonObject], named: bool) -> None:
    header_format = str(header.get("format")) if header is not None else None
    if header is None or header_format == "TEXT":
        names = variables_in(header.get("text")) if header is not None else ()
        _check_values("header", sent, names, named)
        return
    _count("header", len(sent), 1)
    kind = str(sent[0]["type"]).lower()
    if kind != str(header_format).lower():
        raise _Refused(
            132012, f"header: Format mismatch, expected {header_format}, received {kind.upper()}"
        )
    media = sent[0].get(kind)
    if kind == "location":
        if not isinstance(media, dict) or not {"latitude", "longitude"} <= set(media):
            raise _Refused(131008, "header: a location needs its latitude and longitude")
        return
    given = [
        key
        for key in ("id", "link")
        if isinstance(media, dict) and isinstance(media.get(key), str) and media[key]
    ]
    if len(given) != 1:
        raise _Refused(131008, f"header: the {kind} needs exactly one of id or link")


def _check_values(
    where: str, sent: Sequence[JsonObject], names: tuple[str, ...], named: bool
) -> None:
    """Text values for ``names``: as many, of a text kind, each with its content, and
    named (``parameter_name``) exactly when the template is."""
    _count(where, len(sent), len(names))
    for position, parameter in enumerate(sent, start=1):
        kind = str(parameter["type"]).lower()
        if kind not in TEXT_KINDS:
            raise _Refused(
                132012, f"{where}: Format mismatch, expected TEXT, received {kind.upper()}"
            )
        _require_fields(f"{where}: parameter {position}", kind, parameter)
    given = [parameter.get("parameter_name") for parameter in sent]
    if not named:
        if any(name is not None for name in given):
            raise _Refused(132012, f"{where}: parameter_name given, but the template is POSITIONAL")
        return
    if not all(isinstance(name, str) and name for name in given):
        raise _Refused(
            132012, f"{where}: the template is NAMED: every parameter needs its parameter_name"
        )
    unknown = [name for name in given if name not in names]
    if unknown:
        raise _Refused(132012, f"{where}: the template has no parameter named {unknown[0]!r}")
    if len(set(given)) != len(given):
        raise _Refused(132012, f"{where}: a parameter_name is given twice")


def _require_fields(where: str, kind: str, parameter: JsonObject) -> None:
    for field in REQUIRED_FIELDS.get(kind, ()):
        value = parameter.get(kind) if kind in ("currency", "date_time") else parameter
        content = value.get(field) if isinstance(value, dict) else None
        if content is None or (isinstance(content, str) and not content.strip()):
            raise _Refused(131008, f"{where}: the {kind} parameter has no {field}")


def _check_buttons(
    template_buttons: list[JsonObject], sent: dict[int, tuple[str, list[JsonObject]]]
) -> None:
    for index, (sub_type, _) in sorted(sent.items()):
        button_type = (
            str(template_buttons[index].get("type")) if index < len(template_buttons) else None
        )
        if button_type is None:
            raise _Refused(132012, f"button at index {index}: the template has no such button")
        if BUTTON_SUB_TYPES.get(button_type) != sub_type:
            raise _Refused(
                132012,
                f"button at index {index}: Format mismatch, expected {button_type}, "
                f"received {sub_type.upper()}",
            )
    for index, button in enumerate(template_buttons):
        where = f"button at index {index}"
        button_type = str(button.get("type"))
        parameters = sent[index][1] if index in sent else []
        if button_type == "QUICK_REPLY":
            expected_kind, expected = "payload", 1 if index in sent else 0
        elif button_type == "COPY_CODE":
            expected_kind, expected = "coupon_code", 1
        elif button_type == "OTP" or (button_type == "URL" and variables_in(button.get("url"))):
            expected_kind, expected = "text", 1
        else:
            expected_kind, expected = "", 0
        _count(where, len(parameters), expected)
        if expected:
            kind = str(parameters[0]["type"]).lower()
            if kind != expected_kind:
                raise _Refused(
                    132012,
                    f"{where}: Format mismatch, expected {expected_kind.upper()}, "
                    f"received {kind.upper()}",
                )
            _require_fields(where, kind, parameters[0])
