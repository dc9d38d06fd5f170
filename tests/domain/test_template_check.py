"""A template send checked against the catalogue: whatever Meta would refuse is refused
here, naming it; what fits is completed with what Meta needs."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.adapters.whatsapp.graph_api.template_components import template_object
from crm_whatsapp.domain.template_check import checked_template
from crm_whatsapp.domain.template_errors import InvalidTemplateParameters, TemplateNotSendable
from crm_whatsapp.domain.template_message import (
    ButtonKind,
    HeaderKind,
    TemplateButtonValue,
    TemplateHeaderValue,
    TemplateMessage,
)
from crm_whatsapp.domain.templates import (
    ButtonType,
    HeaderFormat,
    Placeholder,
    Template,
    TemplateButton,
    fill,
)
from crm_whatsapp.testing.strategies import templates

_VALUE = st.text(st.characters(categories=("L", "N")), min_size=1, max_size=8)


def _complete_request(template: Template, value: str) -> tuple[TemplateMessage, bool]:
    """The request that gives the template exactly what it needs, and whether a file goes."""
    names = [p.name for p in template.body_parameters]
    header = None
    has_file = False
    if template.header is not None and template.header.format is HeaderFormat.TEXT:
        if template.header.parameter is not None:
            header = TemplateHeaderValue(HeaderKind.TEXT, text=value)
    elif template.header is not None and template.header.format is not HeaderFormat.LOCATION:
        header = TemplateHeaderValue(HeaderKind(template.header.format.value))
        has_file = True
    buttons = tuple(
        TemplateButtonValue(b.index, value) for b in template.buttons if b.parameter is not None
    )
    return (
        TemplateMessage(
            template.name,
            template.language,
            parameters=() if template.is_named else tuple(value for _ in names),
            named_parameters=tuple((n, value) for n in names) if template.is_named else (),
            header=header,
            buttons=buttons,
        ),
        has_file,
    )


def _sendable(template: Template) -> bool:
    header = template.header
    return header is None or header.format is not HeaderFormat.LOCATION


@given(templates().filter(_sendable), _VALUE)
def test_a_complete_request_passes_and_leaving_out_any_value_is_named(
    template: Template, value: str
) -> None:
    template = replace(template, status="APPROVED")
    request, has_file = _complete_request(template, value)
    checked = checked_template(template, request, has_file=has_file)
    assert checked.category == template.category
    assert checked.body_values() == tuple(value for _ in template.body_parameters)
    kinds = {b.index: b.kind for b in checked.buttons}
    for button in template.buttons:
        if button.parameter is not None:
            wanted = ButtonKind.COPY_CODE if button.type is ButtonType.COPY_CODE else ButtonKind.URL
            assert kinds[button.index] is wanted

    if template.body_parameters:
        first = template.body_parameters[-1].name
        shorter = (
            replace(request, named_parameters=request.named_parameters[:-1])
            if template.is_named
            else replace(request, parameters=request.parameters[:-1])
        )
        with pytest.raises(InvalidTemplateParameters) as refused:
            checked_template(template, shorter, has_file=has_file)
        assert f"missing {{{{{first}}}}}" in str(refused.value)
    if request.buttons:
        with pytest.raises(InvalidTemplateParameters, match="missing the value of button"):
            checked_template(template, replace(request, buttons=()), has_file=has_file)


@given(templates(), st.sampled_from(["PAUSED", "PENDING", "REJECTED", "DISABLED"]))
def test_only_an_approved_template_is_sent(template: Template, status: str) -> None:
    with pytest.raises(TemplateNotSendable, match=status):
        checked_template(replace(template, status=status), TemplateMessage(template.name))


INVOICE = Template(
    name="factura",
    language="es",
    status="APPROVED",
    category="UTILITY",
    body="Tu factura {{1}} está lista.",
    header=None,
    buttons=(
        TemplateButton(0, ButtonType.QUICK_REPLY, "Gracias"),
        TemplateButton(1, ButtonType.COPY_CODE, "Copiar", parameter=Placeholder("1")),
    ),
)


def test_every_problem_is_named_at_once() -> None:
    request = TemplateMessage(
        "factura",
        parameters=("F-1", "sobra"),
        header=TemplateHeaderValue(HeaderKind.TEXT, text="x"),
        buttons=(TemplateButtonValue(1, "ABC"), TemplateButtonValue(1, "otra")),
    )
    with pytest.raises(InvalidTemplateParameters) as refused:
        checked_template(INVOICE, request)
    problems = refused.value.problems
    assert "body: {{2}} is not in the template (it takes 1)" in problems
    assert "header: this template's header takes no value" in problems
    assert "buttons: index 1 given twice" in problems


def test_a_body_value_with_a_line_break_is_refused_as_meta_would() -> None:
    with pytest.raises(InvalidTemplateParameters, match="line break"):
        checked_template(INVOICE, TemplateMessage("factura", parameters=("F-1\nF-2",)))


def test_buttons_go_as_meta_names_them_a_quick_reply_with_its_payload() -> None:
    request = TemplateMessage(
        "factura",
        parameters=("F-1",),
        buttons=(TemplateButtonValue(1, "ABC-123"), TemplateButtonValue(0, "gracias-f1")),
    )
    checked = checked_template(INVOICE, request)
    assert template_object(checked)["components"][1:] == [
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": "0",
            "parameters": [{"type": "payload", "payload": "gracias-f1"}],
        },
        {
            "type": "button",
            "sub_type": "copy_code",
            "index": "1",
            "parameters": [{"type": "coupon_code", "coupon_code": "ABC-123"}],
        },
    ]


def test_fill_inserts_values_literally_once() -> None:
    assert fill("Hola {{1}} y {{2}}", {"1": "{{2}}", "2": "Ana"}) == "Hola {{2}} y Ana"
    assert fill("Hola {{nombre}}", {}) == "Hola {{nombre}}"
