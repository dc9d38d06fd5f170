"""Templates end to end: the catalogue synced from the fake Graph API over several pages,
sends checked before Meta, Meta's ``components`` as it receives them, conversations the
CRM starts, and a MARKETING template refused after the customer said stop."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from http_service_kit import (
    ACCESS_TOKEN,
    API,
    AUTH,
    BUSINESS_NUMBER_ID,
    make_settings,
    signed,
    text_webhook,
)
from starlette.applications import Starlette
from starlette.testclient import TestClient

from crm_whatsapp.adapters.memory.client_lookup import InMemoryClientLookup
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import DEFAULT_WABA_ID, RunningFakeGraphApi
from crm_whatsapp.app import Settings, create_app
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.ports import ClientLookup
from crm_whatsapp.testing.media_samples import pdf
from polling import processed, wait_until

WABA = DEFAULT_WABA_ID
TEMPLATES = "/api/v1/plantillas"


def _catalogue() -> list[dict[str, Any]]:
    return [
        {
            "name": "ubicacion_tienda",
            "language": "es",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [
                {"type": "HEADER", "format": "LOCATION"},
                {"type": "BODY", "text": "Pasa por tu pedido a esta sucursal."},
            ],
        },
        {
            "name": "bienvenida_cliente",
            "language": "es",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "¡Hola! Te escribimos de la tienda."}],
        },
        {
            "name": "factura_disponible",
            "language": "es",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [
                {"type": "HEADER", "format": "DOCUMENT"},
                {"type": "BODY", "text": "Tu factura {{1}} está lista."},
            ],
        },
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
def app(settings: Settings, service_database: Database) -> Starlette:
    """The service with a CRM of one client, Ana (C-7), who never wrote on WhatsApp."""
    crm = InMemoryClientLookup(default_region="MX")
    crm.add(ClientRef("C-7", "Ana Ruiz"), "no tiene", "(55) 1234-9999")
    return create_app(settings, overrides={Database: service_database, ClientLookup: crm})


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
    assert report["templates"] == 237
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

    where = client.get(TEMPLATES, params={"q": "ubicacion"}, headers=AUTH).json()["items"][0]
    assert (where["status"], where["sendable"]) == ("APPROVED", False)
    assert "location header" in where["not_sendable_reason"]

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


def test_template_webhooks_update_the_catalogue_and_a_pause_stops_sends_at_once(
    api: TestClient,
) -> None:
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
                        },
                        {
                            "field": "message_template_quality_update",
                            "value": {
                                "previous_quality_score": "GREEN",
                                "new_quality_score": "RED",
                                "message_template_id": 1234,
                                "message_template_name": "promocion_mensual",
                                "message_template_language": "es",
                            },
                        },
                        {
                            "field": "template_category_update",
                            "value": {
                                "message_template_id": 1234,
                                "message_template_name": "recordatorio_pago",
                                "message_template_language": "es",
                                "previous_category": "UTILITY",
                                "new_category": "MARKETING",
                            },
                        },
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
    assert listed[0]["quality"] == "RED"
    moved = api.get(TEMPLATES, params={"q": "recordatorio"}, headers=AUTH).json()["items"]
    assert moved[0]["category"] == "MARKETING"
    promo = {"name": "promocion_mensual", "parameters": ["Ana"]}
    answer = api.post(API, json={"to": "+34 612 000 111", "template": promo}, headers=AUTH)
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "template_not_sendable"


def test_a_conversation_started_by_client_id_goes_to_the_client_s_crm_number_and_is_linked(
    api: TestClient, fake_graph: RunningFakeGraphApi
) -> None:
    template = {
        "name": "recordatorio_pago",
        "parameters": ["Ana", "$120", "hoy"],
        "buttons": [{"index": 0, "parameter": "F-9"}],
    }
    answer = api.post(API, json={"client_id": "C-7", "template": template}, headers=AUTH)
    assert answer.status_code == 201, answer.text
    started = answer.json()
    assert started["created"] is True
    assert started["conversation"]["customer"]["wa_id"] == "525512349999"
    assert started["conversation"]["client"]["id"] == "C-7"
    assert _sent(fake_graph, "recordatorio_pago")["to"] == "525512349999"
    kinds = [
        a["kind"]
        for a in api.get(f"{API}/{started['conversation']['id']}/actividad", headers=AUTH).json()[
            "items"
        ]
    ]
    assert kinds == ["template_sent", "link"]

    again = api.post(API, json={"client_id": "C-7", "template": template}, headers=AUTH).json()
    assert (again["created"], again["conversation"]["id"]) == (
        False,
        started["conversation"]["id"],
    )
    unknown = api.post(API, json={"client_id": "C-404", "template": template}, headers=AUTH)
    assert unknown.status_code == 404


def test_a_document_header_is_uploaded_with_the_send_and_meta_gets_its_file(
    api: TestClient, fake_graph: RunningFakeGraphApi
) -> None:
    body = text_webhook("5215533334444", "hola")
    api.post("/webhook", content=body, headers=signed(body))
    processed(api.app)
    conversation = api.get(API, headers=AUTH).json()["items"][0]["id"]
    template = {"name": "factura_disponible", "parameters": ["F-12"]}
    answer = api.post(
        f"{API}/{conversation}/mensajes",
        data={"template": json.dumps(template)},
        files={"file": ("factura-F-12.pdf", pdf("Factura F-12"), "application/pdf")},
        headers=AUTH,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["kind"] == "template"
    assert answer.json()["media"]["mime_type"] == "application/pdf"
    header = _sent(fake_graph, "factura_disponible")["template"]["components"][0]
    document = header["parameters"][0]["document"]
    assert header["parameters"][0]["type"] == "document"
    assert document["filename"] == "factura-F-12.pdf"
    assert document["id"]  # uploaded first, as Meta requires

    wrong = api.post(
        f"{API}/{conversation}/mensajes",
        data={"template": json.dumps({"name": "recordatorio_pago", "parameters": ["a", "b", "c"]})},
        files={"file": ("f.pdf", pdf(), "application/pdf")},
        headers=AUTH,
    )
    assert wrong.status_code == 422, wrong.text


def test_a_failed_page_keeps_the_stored_catalogue(
    api: TestClient, fake_graph: RunningFakeGraphApi
) -> None:
    before = api.get(TEMPLATES, headers=AUTH).json()
    failure = {"code": 2, "http_status": 503, "times": 1, "endpoint": "templates"}
    assert httpx.post(f"{fake_graph.base_url}/__fail_next", json=failure).status_code == 200
    answer = api.post(f"{TEMPLATES}/sincronizar", headers=AUTH)
    assert answer.status_code == 502, answer.text
    assert answer.json()["error"]["code"] == "template_sync_failed"
    assert ACCESS_TOKEN not in answer.text
    after = api.get(TEMPLATES, headers=AUTH).json()
    assert after == before


def test_a_customer_answering_from_another_spelling_of_the_number_lands_in_the_same_chat(
    api: TestClient,
) -> None:
    """The CRM wrote to +52 55 9876 5432; an account from before 2019 answers as 521…"""
    template = {"name": "bienvenida_cliente", "parameters": []}
    answer = api.post(API, json={"to": "55 9876 5432", "template": template}, headers=AUTH)
    assert answer.status_code == 201, answer.text
    started = answer.json()["conversation"]
    assert started["customer"]["wa_id"] == "525598765432"

    body = text_webhook("5215598765432", "¡Gracias!")
    assert api.post("/webhook", content=body, headers=signed(body)).status_code == 200
    processed(api.app)
    listed = api.get(API, headers=AUTH).json()["items"]
    assert [c["id"] for c in listed] == [started["id"]]
    assert listed[0]["customer"]["wa_id"] == "5215598765432"  # Meta's spelling from now on
    texts = [
        m["text"] for m in api.get(f"{API}/{started['id']}/mensajes", headers=AUTH).json()["items"]
    ]
    assert "¡Gracias!" in texts
