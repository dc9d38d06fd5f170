"""Templates end to end: the catalogue synced from the fake Graph API over several pages,
sends checked before Meta, Meta's ``components`` as it receives them, conversations the
CRM starts, and a MARKETING template refused after the customer said stop."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from http_service_kit import API, AUTH, BUSINESS_NUMBER_ID, make_settings, signed, text_webhook
from starlette.testclient import TestClient

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi
from crm_whatsapp.app import Settings
from polling import processed, wait_until

WABA = "fake-waba"
TEMPLATES = "/api/v1/plantillas"


def _catalogue() -> list[dict[str, Any]]:
    return [
        {
            "name": "recordatorio_pago",
            "language": "es",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [
                {
                    "type": "BODY",
                    "text": "Hola {{1}}, tu pago de {{2}} vence el {{3}}.",
                    "example": {"body_text": [["Ana", "$120", "5 de mayo"]]},
                },
                {
                    "type": "BUTTONS",
                    "buttons": [
                        {
                            "type": "URL",
                            "text": "Pagar",
                            "url": "https://pagos.example.com/{{1}}",
                            "example": ["F-1"],
                        }
                    ],
                },
            ],
        },
        {
            "name": "confirmacion_cita",
            "language": "es",
            "status": "APPROVED",
            "category": "UTILITY",
            "parameter_format": "NAMED",
            "components": [
                {
                    "type": "HEADER",
                    "format": "TEXT",
                    "text": "Cita en {{sucursal}}",
                    "example": {
                        "header_text_named_params": [
                            {"param_name": "sucursal", "example": "Centro"}
                        ]
                    },
                },
                {
                    "type": "BODY",
                    "text": "Hola {{nombre}}, te esperamos el {{fecha}}.",
                    "example": {
                        "body_text_named_params": [
                            {"param_name": "nombre", "example": "Ana"},
                            {"param_name": "fecha", "example": "lunes"},
                        ]
                    },
                },
                {"type": "FOOTER", "text": "Responde CAMBIAR para otra fecha"},
            ],
        },
        {
            "name": "promocion_mensual",
            "language": "es",
            "status": "APPROVED",
            "category": "MARKETING",
            "components": [{"type": "BODY", "text": "Hola {{1}}, este mes tienes 20% menos."}],
        },
        {
            "name": "oferta_verano",
            "language": "es",
            "status": "PAUSED",
            "category": "MARKETING",
            "components": [{"type": "BODY", "text": "¡Verano!"}],
        },
    ]


def _filler(count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"relleno_{i:03d}",
            "language": "es",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": f"Aviso {i}"}],
        }
        for i in range(count)
    ]


@pytest.fixture
def settings(service_database: Database, fake_graph: RunningFakeGraphApi) -> Settings:
    url = service_database.url.render_as_string(hide_password=False)
    return make_settings(
        url,
        fake_graph.base_url,
        waba_id=WABA,
        phone_number_id=BUSINESS_NUMBER_ID,
        template_sync_minutes=0,
    )


@pytest.fixture
def catalogue(fake_graph: RunningFakeGraphApi) -> None:
    answer = httpx.post(
        f"{fake_graph.base_url}/__templates",
        json={"waba_id": WABA, "replace": True, "templates": _catalogue() + _filler(230)},
    )
    assert answer.status_code == 200, answer.text


@pytest.fixture
def api(client: TestClient, catalogue: None) -> TestClient:
    answer = client.post(f"{TEMPLATES}/sincronizar", headers=AUTH)
    assert answer.status_code == 200, answer.text
    return client


def _sent(fake: RunningFakeGraphApi, name: str) -> dict[str, Any]:
    def found() -> list[dict[str, Any]]:
        return [
            r["body"]
            for r in fake.state.requests()
            if r["body"].get("template", {}).get("name") == name
        ]

    wait_until(lambda: bool(found()), timeout=15)
    return found()[0]


def test_the_catalogue_syncs_over_every_page_and_lists_with_filters(
    client: TestClient, catalogue: None
) -> None:
    answer = client.post(f"{TEMPLATES}/sincronizar", headers=AUTH)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["templates"] == 234
    assert report["pages"] >= 3  # 100 a page: 234 need three

    listed = client.get(TEMPLATES, params={"category": "MARKETING"}, headers=AUTH).json()
    assert listed["configured"] is True
    assert listed["synced_at"] is not None
    assert [(t["name"], t["status"], t["sendable"]) for t in listed["items"]] == [
        ("oferta_verano", "PAUSED", False),
        ("promocion_mensual", "APPROVED", True),
    ]
    cita = client.get(TEMPLATES, params={"q": "esperamos"}, headers=AUTH).json()["items"]
    assert len(cita) == 1
    assert cita[0]["parameter_format"] == "named"
    assert [p["name"] for p in cita[0]["parameters"]] == ["nombre", "fecha"]
    assert cita[0]["header"]["parameter"] == {"name": "sucursal", "example": "Centro"}

    again = client.post(f"{TEMPLATES}/sincronizar", headers=AUTH).json()
    assert (again["created"], again["updated"], again["removed"]) == (0, 0, 0)


@pytest.mark.parametrize(
    ("template", "refusal"),
    [
        ({"name": "no_existe", "parameters": []}, (404, "template_not_found", "no_existe")),
        ({"name": "oferta_verano"}, (409, "template_not_sendable", "PAUSED")),
        ({"name": "recordatorio_pago", "parameters": ["Ana", "$1"]}, (422, "", "missing {{3}}")),
        (
            {"name": "recordatorio_pago", "parameters": ["Ana", "$1", "hoy", "extra"]},
            (422, "invalid_template_parameters", "{{4}} is not in the template"),
        ),
        (
            {
                "name": "confirmacion_cita",
                "parameters": {"nombre": "Ana", "dia": "lunes"},
                "header": {"type": "text", "text": "Centro"},
            },
            (422, "invalid_template_parameters", "missing {{fecha}}"),
        ),
        (
            {
                "name": "confirmacion_cita",
                "parameters": {"nombre": "Ana", "fecha": "lunes"},
                "header": {"type": "image"},
            },
            (422, "invalid_template_parameters", "header is text, not image"),
        ),
        (
            {"name": "recordatorio_pago", "parameters": ["Ana", "$1", "hoy"]},
            (422, "invalid_template_parameters", "missing the value of button 0"),
        ),
    ],
)
def test_each_wrong_template_is_refused_before_meta_and_stores_nothing(
    api: TestClient,
    fake_graph: RunningFakeGraphApi,
    template: dict[str, Any],
    refusal: tuple[int, str, str],
) -> None:
    status, code, named = refusal
    before = len(api.get(API, headers=AUTH).json()["items"])
    answer = api.post(API, json={"to": "+52 55 1234 5678", "template": template}, headers=AUTH)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert code in error["code"]
    assert named in error["message"]
    assert len(api.get(API, headers=AUTH).json()["items"]) == before  # nothing partial
    assert not [r for r in fake_graph.state.requests() if "template" in r["body"]]


def test_a_conversation_started_by_number_reuses_the_customer_s_and_meta_gets_exact_components(
    api: TestClient, fake_graph: RunningFakeGraphApi
) -> None:
    body = text_webhook("5215512345678", "hola")  # Mexico: WhatsApp's 521 spelling
    assert api.post("/webhook", content=body, headers=signed(body)).status_code == 200
    processed(api.app)
    existing = api.get(API, headers=AUTH).json()["items"][0]["id"]

    named = {
        "name": "confirmacion_cita",
        "parameters": {"fecha": "lunes 9", "nombre": "Ana"},
        "header": {"type": "text", "text": "Centro"},
    }
    answer = api.post(API, json={"to": "+52 55 1234 5678", "template": named}, headers=AUTH)
    assert answer.status_code == 201, answer.text
    started = answer.json()
    assert started["created"] is False
    assert started["conversation"]["id"] == existing
    assert started["message"]["template"]["category"] == "UTILITY"

    assert _sent(fake_graph, "confirmacion_cita")["template"] == {
        "name": "confirmacion_cita",
        "language": {"code": "es"},
        "components": [
            {
                "type": "header",
                "parameters": [{"type": "text", "parameter_name": "sucursal", "text": "Centro"}],
            },
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "parameter_name": "nombre", "text": "Ana"},
                    {"type": "text", "parameter_name": "fecha", "text": "lunes 9"},
                ],
            },
        ],
    }

    positional = {
        "name": "recordatorio_pago",
        "parameters": ["Ana", "$120", "5 de mayo"],
        "buttons": [{"index": 0, "parameter": "F-77"}],
    }
    answer = api.post(API, json={"to": "0034 612 34 56 78", "template": positional}, headers=AUTH)
    assert answer.status_code == 201, answer.text
    assert answer.json()["created"] is True
    assert answer.json()["conversation"]["customer"]["wa_id"] == "34612345678"
    assert _sent(fake_graph, "recordatorio_pago")["template"]["components"] == [
        {
            "type": "body",
            "parameters": [
                {"type": "text", "text": "Ana"},
                {"type": "text", "text": "$120"},
                {"type": "text", "text": "5 de mayo"},
            ],
        },
        {
            "type": "button",
            "sub_type": "url",
            "index": "0",
            "parameters": [{"type": "text", "text": "F-77"}],
        },
    ]


def test_a_marketing_template_is_refused_after_the_customer_stops_marketing(
    api: TestClient,
) -> None:
    body = text_webhook("5215511112222", "hola")
    api.post("/webhook", content=body, headers=signed(body))
    processed(api.app)
    conversation = api.get(API, headers=AUTH).json()["items"][0]["id"]
    stop = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA,
                    "changes": [
                        {
                            "field": "user_preferences",
                            "value": {
                                "messaging_product": "whatsapp",
                                "metadata": {
                                    "display_phone_number": "15550000000",
                                    "phone_number_id": BUSINESS_NUMBER_ID,
                                },
                                "contacts": [{"wa_id": "5215511112222", "profile": {"name": "A"}}],
                                "user_preferences": [
                                    {
                                        "wa_id": "5215511112222",
                                        "detail": "User requested to stop marketing messages",
                                        "category": "marketing_messages",
                                        "value": "stop",
                                        "timestamp": 1764900000,
                                    }
                                ],
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    assert api.post("/webhook", content=stop, headers=signed(stop)).status_code == 200
    processed(api.app)
    assert api.get(f"{API}/{conversation}", headers=AUTH).json()["marketing_opt_out"] is True

    promo = {"name": "promocion_mensual", "parameters": ["Ana"]}
    answer = api.post(f"{API}/{conversation}/mensajes", json={"template": promo}, headers=AUTH)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "marketing_opt_out"

    utility = {
        "name": "recordatorio_pago",
        "parameters": ["Ana", "$1", "hoy"],
        "buttons": [{"index": 0, "parameter": "F-1"}],
    }
    answer = api.post(f"{API}/{conversation}/mensajes", json={"template": utility}, headers=AUTH)
    assert answer.status_code == 201, answer.text


def test_a_paused_template_webhook_stops_its_sends_at_once(api: TestClient) -> None:
    paused = json.dumps(
        {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": WABA,
                    "time": 1764900000,
                    "changes": [
                        {
                            "field": "message_template_status_update",
                            "value": {
                                "event": "PAUSED",
                                "message_template_id": 1234,
                                "message_template_name": "promocion_mensual",
                                "message_template_language": "es",
                                "reason": "QUALITY_PAUSED",
                            },
                        }
                    ],
                }
            ],
        }
    ).encode()
    assert api.post("/webhook", content=paused, headers=signed(paused)).status_code == 200
    processed(api.app)
    listed = api.get(TEMPLATES, params={"q": "promocion"}, headers=AUTH).json()["items"]
    assert (listed[0]["status"], listed[0]["not_sendable_reason"]) == (
        "PAUSED",
        "PAUSED: QUALITY_PAUSED",
    )
    promo = {"name": "promocion_mensual", "parameters": ["Ana"]}
    answer = api.post(API, json={"to": "+34 612 000 111", "template": promo}, headers=AUTH)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "template_not_sendable"
