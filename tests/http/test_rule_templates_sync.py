"""A sync checks the bot rules' templates against the catalogue it just stored (the real
service on SQLite and PostgreSQL, the fake's Spanish demo catalogue over loopback): the
sync's answer and the log name each rule whose template Meta would refuse."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from http_service_kit import (
    AUTH,
    BUSINESS_NUMBER_ID,
    make_settings,
    rules_file,
    signed,
    text_webhook,
)
from starlette.testclient import TestClient

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import DEFAULT_WABA_ID, RunningFakeGraphApi
from crm_whatsapp.app import Settings
from polling import processed, wait_until

RULES = """
[[rules]]
name = "precios"
keywords = ["precios"]
template = { name = "lista_de_precios", language = "es_MX", parameters = ["{nombre}"] }

[[rules]]
name = "verano"
keywords = ["verano"]
template = { name = "oferta_verano", language = "es", parameters = ["{nombre}", "30%"] }

[[rules]]
name = "pago"
keywords = ["pago"]
template = { name = "recordatorio_pago", language = "es", parameters = ["{nombre}"] }

[[rules]]
name = "catalogo"
keywords = ["catalogo"]
template = { name = "catalogo_2027", language = "es" }

# a named template: its values as a table, like the API's
[[rules]]
name = "cita"
keywords = ["cita"]
[rules.template]
name = "confirmacion_cita"
language = "es"
parameters = { nombre = "{perfil}", fecha = "martes 12 de marzo", hora = "10:30" }
"""


@pytest.fixture
def settings(
    service_database: Database, fake_graph: RunningFakeGraphApi, tmp_path: Path
) -> Settings:
    return make_settings(
        service_database.url.render_as_string(hide_password=False),
        fake_graph.base_url,
        bot_rules_file=rules_file(tmp_path, RULES),
        waba_id=DEFAULT_WABA_ID,
        phone_number_id=BUSINESS_NUMBER_ID,
        template_sync_minutes=0,
    )


def test_the_sync_names_each_rule_whose_template_meta_would_refuse(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="crm_whatsapp.templates"):
        answer = client.post("/api/v1/plantillas/sincronizar", headers=AUTH)

    assert answer.status_code == 200, answer.text
    assert answer.json()["rule_problems"] == [
        "rule 'verano': template 'oferta_verano' (es): PAUSED, not approved for sending",
        "rule 'pago': template 'recordatorio_pago' (es): body: missing {{2}}",
        "rule 'pago': template 'recordatorio_pago' (es): body: missing {{3}}",
        # a rule sends no button values: this template can never be the bot's as it is
        "rule 'pago': template 'recordatorio_pago' (es): buttons: missing the value of "
        "button 0 (Pagar)",
        "rule 'catalogo': template 'catalogo_2027' (es): not in the catalogue",
    ]
    logged = {
        r.getMessage().split(": ", 1)[1]
        for r in caplog.records
        if r.getMessage().startswith("a bot rule's template would be refused by Meta: ")
    }
    # the sync at start-up logs them too: each problem is logged, nothing else is
    assert logged == set(answer.json()["rule_problems"])


def test_a_rule_sends_a_named_template_with_its_values_filled_as_meta_expects(
    client: TestClient, fake_graph: RunningFakeGraphApi
) -> None:
    """The sync above reports nothing of rule 'cita': a table of values fits a named
    template. The customer's message then gets it, each value under its name."""
    body = text_webhook("5215577778888", "Quiero confirmar mi cita", name="Lucía")
    assert client.post("/webhook", content=body, headers=signed(body)).status_code == 200
    processed(client.app)

    def sent() -> list[dict[str, object]]:
        return [
            r["body"]["template"]
            for r in fake_graph.state.requests()
            if r["body"].get("template", {}).get("name") == "confirmacion_cita"
        ]

    wait_until(lambda: bool(sent()), timeout=15)
    [template] = sent()
    assert template["language"] == {"code": "es"}
    assert template["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "parameter_name": "nombre", "text": "Lucía"},
                {"type": "text", "parameter_name": "fecha", "text": "martes 12 de marzo"},
                {"type": "text", "parameter_name": "hora", "text": "10:30"},
            ],
        }
    ]
