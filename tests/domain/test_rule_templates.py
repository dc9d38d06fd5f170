"""The bot rules' templates checked against the synced catalogue: each template Meta would
refuse is named with its rule, and a rule whose template fits says nothing."""

from __future__ import annotations

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.domain.policy.rules import BotRules, KeywordRule
from crm_whatsapp.domain.rule_templates import rule_template_problems
from crm_whatsapp.domain.template_message import TemplateMessage
from crm_whatsapp.domain.template_ports import FetchedCatalogue
from crm_whatsapp.domain.templates import (
    HeaderFormat,
    ParameterFormat,
    Template,
    TemplateHeader,
)
from crm_whatsapp.domain.use_cases.templates import store_catalogue
from crm_whatsapp.testing import NOW

CATALOGUE = {
    t.key: t
    for t in (
        Template("precios", "es_MX", "APPROVED", "UTILITY", "Hola {{1}}, precios: {{2}}"),
        Template(
            "cita",
            "es",
            "APPROVED",
            "UTILITY",
            "Hola {{nombre}}, tu cita es el {{dia}}",
            parameter_format=ParameterFormat.NAMED,
        ),
        Template("oferta", "es", "PAUSED", "MARKETING", "Solo hoy"),
        Template(
            "factura",
            "es",
            "APPROVED",
            "UTILITY",
            "Tu factura",
            header=TemplateHeader(HeaderFormat.DOCUMENT),
        ),
    )
}


def rule(name: str, template: TemplateMessage) -> KeywordRule:
    return KeywordRule(name, keywords=(name,), template=template)


def problems_of(*rules: KeywordRule) -> tuple[str, ...]:
    return rule_template_problems(
        BotRules(rules=rules), lambda name, language: CATALOGUE.get((name, language))
    )


def test_rules_whose_templates_fit_report_nothing() -> None:
    fitting = (
        rule("precios", TemplateMessage("precios", "es_MX", ("{nombre}", "{lista}"))),
        rule(
            "cita",
            TemplateMessage(
                "cita", "es", named_parameters=(("nombre", "{nombre}"), ("dia", "lunes"))
            ),
        ),
        KeywordRule("hola", keywords=("hola",), reply="¡Hola!"),
    )
    assert problems_of(*fitting) == ()


def test_each_template_meta_would_refuse_is_named_with_its_rule() -> None:
    problems = problems_of(
        rule("sin", TemplateMessage("no_existe", "es")),
        rule("idioma", TemplateMessage("precios", "es", ("a", "b"))),
        rule("pausada", TemplateMessage("oferta", "es")),
        rule("corta", TemplateMessage("precios", "es_MX", ("{nombre}",))),
        rule("archivo", TemplateMessage("factura", "es")),
    )

    assert problems[0] == "rule 'sin': template 'no_existe' (es): not in the catalogue"
    assert problems[1] == "rule 'idioma': template 'precios' (es): not in the catalogue"
    assert problems[2] == "rule 'pausada': template 'oferta' (es): PAUSED, not approved for sending"
    assert problems[3].startswith("rule 'corta': template 'precios' (es_MX): body:")
    assert "{{2}}" in problems[3]
    assert problems[4].startswith("rule 'archivo': template 'factura' (es): header")
    assert len(problems) == 5


def test_a_sync_reports_the_rules_against_the_catalogue_it_stored() -> None:
    rules = BotRules(
        rules=(
            rule("precios", TemplateMessage("precios", "es_MX", ("{nombre}", "x"))),
            rule("pausada", TemplateMessage("oferta", "es")),
        )
    )
    setup = build_in_memory(rules=rules, now=NOW)

    report = store_catalogue(setup.deps, FetchedCatalogue(tuple(CATALOGUE.values()), pages=1))

    assert report.templates == len(CATALOGUE)
    assert report.rule_problems == (
        "rule 'pausada': template 'oferta' (es): PAUSED, not approved for sending",
    )
