"""The fake Graph API knows message templates as Meta does: it lists each WABA's catalogue
page by page (following ``paging.next`` as a client would), refuses a template send the
way Meta refuses it (132000, 132001, 132012, 132015, 132016), and posts Meta's signed
template webhooks when a test changes a template's status, quality or category."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    DEFAULT_WABA_ID,
    DEMO_TEMPLATES,
    RunningFakeGraphApi,
    running_asgi_app,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.webhook import verify_signature
from crm_whatsapp.adapters.whatsapp.webhook.routing import channel_event
from crm_whatsapp.domain.ingest import ChannelEventKind

APP_SECRET = "template-webhook-secret"
BUSINESS = "106540352242922"
OTHER_NUMBER = "106540352249999"
AUTH = {"Authorization": "Bearer EAAG-fake-test"}
LIST = f"/v23.0/{DEFAULT_WABA_ID}/message_templates"
FAKE_COMMAND = (sys.executable, "-m", "crm_whatsapp.app.cli", "fake-graph-api")


class Receiver:
    """Our webhook endpoint as the fake sees it: raw bodies and headers, in order."""

    def __init__(self) -> None:
        self.bodies: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/webhook", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        with self._lock:
            self.bodies.append((dict(request.headers), body))
        return Response(status_code=200)

    def taken(self) -> list[tuple[dict[str, str], bytes]]:
        """The template webhooks received since last asked (the status webhooks of the
        messages sends accept, which arrive when they will, are left out)."""
        with self._lock:
            taken, self.bodies = self.bodies, []
        return [(h, raw) for h, raw in taken if b'"field":"messages"' not in raw]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[RunningFakeGraphApi, Receiver]]:
    receiver = Receiver()
    with (
        running_asgi_app(receiver.app) as url,
        running_fake_graph_api(
            status_webhook_url=f"{url}/webhook",
            app_secret=APP_SECRET,
            status_delays=(0.0, 0.0, 0.0),
        ) as running,
    ):
        yield running, receiver


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def fake(servers: tuple[RunningFakeGraphApi, Receiver]) -> RunningFakeGraphApi:
    servers[0].state.reset()
    servers[1].taken()
    return servers[0]


@pytest.fixture
def receiver(servers: tuple[RunningFakeGraphApi, Receiver], fake) -> Receiver:
    return servers[1]


def send(http: httpx.Client, fake: RunningFakeGraphApi, template: dict[str, Any], number=BUSINESS):
    body = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "5215512345678",
        "type": "template",
        "template": template,
    }
    return http.post(f"{fake.base_url}/v23.0/{number}/messages", json=body, headers=AUTH)


def text(value: str, name: str | None = None) -> dict[str, Any]:
    parameter = {"type": "text", "text": value}
    return parameter if name is None else {**parameter, "parameter_name": name}


def body(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "body", "parameters": list(parameters)}


def button(sub_type: str, index: Any, *parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "button", "sub_type": sub_type, "index": index, "parameters": list(parameters)}


def put(http: httpx.Client, fake: RunningFakeGraphApi, spec: dict[str, Any]) -> httpx.Response:
    return http.post(f"{fake.base_url}/__templates", json=spec)


def numbered(count: int) -> list[dict[str, Any]]:
    return [
        {
            "name": f"aviso_{n:03d}",
            "language": "es",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": f"Aviso número {n} para {{{{1}}}}."}],
        }
        for n in range(count)
    ]


# -- the list ----------------------------------------------------------------------------


def test_the_demo_catalogue_is_one_page_of_metas_template_objects(fake, http) -> None:
    answer = http.get(fake.base_url + LIST, headers=AUTH)

    assert answer.status_code == 200
    page = answer.json()
    assert [t["name"] for t in page["data"]] == [t["name"] for t in DEMO_TEMPLATES]
    assert "next" not in page["paging"]
    assert page["paging"]["cursors"] == {"before": "MAZDZD", "after": "MTcZD"}
    reminder = next(t for t in page["data"] if t["name"] == "recordatorio_pago")
    assert list(reminder) == [
        "name",
        "parameter_format",
        "components",
        "language",
        "status",
        "category",
        "id",
    ]
    assert reminder["id"].isdigit()
    assert (reminder["language"], reminder["status"], reminder["category"]) == (
        "es",
        "APPROVED",
        "UTILITY",
    )
    assert [c["type"] for c in reminder["components"]] == ["BODY", "FOOTER", "BUTTONS"]
    statuses = {t["status"] for t in page["data"]}
    assert statuses == {"APPROVED", "PENDING", "REJECTED", "PAUSED", "DISABLED"}
    assert {t["category"] for t in page["data"]} == {"MARKETING", "UTILITY", "AUTHENTICATION"}
    assert {"es", "es_MX", "en_US"} <= {t["language"] for t in page["data"]}


def test_a_client_follows_paging_next_through_every_page(fake, http) -> None:
    assert put(http, fake, {"templates": numbered(40)}).status_code == 200
    url: str | None = fake.base_url + LIST + "?fields=name,status&status=APPROVED"
    pages = []
    while url is not None:
        answer = http.get(url, headers=AUTH)
        assert answer.status_code == 200
        pages.append(answer.json())
        url = pages[-1]["paging"].get("next")

    approved = [t for t in fake.state.templates.templates() if t["status"] == "APPROVED"]
    assert [len(p["data"]) for p in pages] == [25, 25, len(approved) - 50]
    assert [t["id"] for p in pages for t in p["data"]] == [t["id"] for t in approved]
    assert pages[1]["paging"]["next"].startswith(fake.base_url + LIST + "?")
    assert "status=APPROVED" in pages[1]["paging"]["next"]
    assert "previous" not in pages[0]["paging"]
    back = http.get(pages[2]["paging"]["previous"], headers=AUTH).json()
    assert back["data"] == pages[1]["data"]
    assert [r["response_status"] for r in fake.state.templates.requests()] == [200] * 4


def test_limit_cuts_smaller_pages_and_filters_narrow_them(fake, http) -> None:
    def names(query: str) -> list[str]:
        answer = http.get(f"{fake.base_url}{LIST}?{query}", headers=AUTH)
        assert answer.status_code == 200, answer.text
        return [t["name"] for t in answer.json()["data"]]

    first = http.get(f"{fake.base_url}{LIST}?limit=5", headers=AUTH).json()
    assert len(first["data"]) == 5
    assert "limit=5" in first["paging"]["next"]
    assert names("language=en_US") == ["bienvenida", "appointment_reminder"]
    assert names("status=paused,disabled") == ["oferta_verano", "liquidacion_invierno"]
    assert names("name=recordatorio") == ["recordatorio_pago", "recordatorio_cita"]
    assert names("category=AUTHENTICATION") == ["codigo_verificacion"]
    assert names("name=no_existe") == []
    total = http.get(f"{fake.base_url}{LIST}?summary=total_count&limit=1", headers=AUTH)
    assert total.json()["summary"] == {"total_count": len(DEMO_TEMPLATES)}


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (("/v23.0/123456789/message_templates", AUTH), 400, 100),
        ((LIST, {}), 401, 190),
        ((LIST + "?after=not-a-cursor", AUTH), 400, 100),
        ((LIST + "?limit=0", AUTH), 400, 100),
    ],
)
def test_the_list_refuses_as_meta_does(fake, http, call, status, code) -> None:
    path, headers = call
    answer = http.get(fake.base_url + path, headers=headers)

    assert answer.status_code == status
    assert answer.json()["error"]["code"] == code
    assert answer.json()["error"]["fbtrace_id"]


def test_an_unknown_waba_is_graphs_unsupported_get_request(fake, http) -> None:
    error = http.get(f"{fake.base_url}/v23.0/999/message_templates", headers=AUTH).json()

    assert error["error"]["message"].startswith("Unsupported get request. Object with ID '999'")
    assert error["error"]["type"] == "GraphMethodException"
    assert error["error"]["error_subcode"] == 33


def test_a_failure_can_be_injected_into_the_list(fake, http) -> None:
    queued = http.post(
        f"{fake.base_url}/__fail_next",
        json={"code": 2, "http_status": 503, "endpoint": "templates"},
    )
    assert queued.status_code == 200

    assert http.get(fake.base_url + LIST, headers=AUTH).status_code == 503
    assert http.get(fake.base_url + LIST, headers=AUTH).status_code == 200


def test_each_number_uses_its_wabas_catalogue(fake, http) -> None:
    only_there = {
        "name": "aviso_sucursal",
        "language": "es",
        "components": [{"type": "BODY", "text": "La sucursal abre a las 9."}],
    }
    added = put(
        http,
        fake,
        {"waba_id": "otra-waba", "templates": [only_there], "phone_number_ids": [OTHER_NUMBER]},
    )
    assert added.status_code == 200
    plain = {"name": "aviso_sucursal", "language": {"code": "es"}}

    assert send(http, fake, plain, number=OTHER_NUMBER).status_code == 200
    assert send(http, fake, plain).json()["error"]["code"] == 132001
    welcome = {"name": "bienvenida", "language": {"code": "es"}}
    assert send(http, fake, welcome, number=OTHER_NUMBER).json()["error"]["code"] == 132001
    listed = http.get(f"{fake.base_url}/v23.0/otra-waba/message_templates", headers=AUTH)
    assert [t["name"] for t in listed.json()["data"]] == ["aviso_sucursal"]


def test_the_waba_and_the_catalogue_are_options() -> None:
    with running_fake_graph_api(waba_id="230418776512345", templates=()) as fake:
        answer = httpx.get(f"{fake.base_url}/v23.0/230418776512345/message_templates", headers=AUTH)
        assert answer.json() == {"data": []}
        gone = httpx.get(fake.base_url + LIST, headers=AUTH)
        assert gone.status_code == 400


@pytest.mark.parametrize(
    ("template", "complaint"),
    [
        (
            {"name": "x", "language": "es", "components": [{"type": "BODY", "text": "{{2}}"}]},
            "POSITIONAL",
        ),
        (
            {
                "name": "x",
                "language": "es",
                "parameter_format": "NAMED",
                "components": [{"type": "BODY", "text": "Hola {{1}}"}],
            },
            "NAMED",
        ),
        ({"name": "x", "language": "es", "components": [{"type": "FOOTER", "text": "f"}]}, "BODY"),
        ({"name": "X", "language": "es", "components": []}, "name"),
        ({"name": "x", "language": "es", "status": "LIVE", "components": []}, "status"),
        (
            {
                "name": "x",
                "language": "es",
                "components": [
                    {"type": "BODY", "text": "Hola"},
                    {
                        "type": "BUTTONS",
                        "buttons": [{"type": "URL", "text": "Ir", "url": "https://a.mx/{{1}}/x"}],
                    },
                ],
            },
            "at the end",
        ),
        ({"name": "x", "language": "es", "components": [], "colour": "red"}, "colour"),
    ],
)
def test_the_catalogue_refuses_what_meta_would_not_approve(fake, http, template, complaint) -> None:
    answer = put(http, fake, {"templates": [template]})

    assert answer.status_code == 400
    assert complaint in answer.json()["error"]
    assert len(fake.state.templates.templates()) == len(DEMO_TEMPLATES)


# -- sends ---------------------------------------------------------------------------------


ACCEPTED_SENDS = {
    "positional body and a URL button's suffix": {
        "name": "recordatorio_pago",
        "language": {"code": "es"},
        "components": [
            body(text("Ana"), text("$1,250.00"), text("15 de marzo")),
            button("url", "0", text("F-10234")),
        ],
    },
    "named body and an optional quick-reply payload": {
        "name": "confirmacion_cita",
        "language": {"code": "es", "policy": "deterministic"},
        "components": [
            body(text("10:30", "hora"), text("Ana", "nombre"), text("martes", "fecha")),
            button("quick_reply", 1, {"type": "payload", "payload": "CAMBIAR"}),
        ],
    },
    "a document header": {
        "name": "factura_disponible",
        "language": {"code": "es"},
        "components": [
            {
                "type": "header",
                "parameters": [
                    {"type": "document", "document": {"id": "1234", "filename": "f.pdf"}}
                ],
            },
            body(text("Ana"), text("F-10234")),
        ],
    },
    "a code to copy": {
        "name": "codigo_verificacion",
        "language": {"code": "es"},
        "components": [
            body(text("482913")),
            button("copy_code", 0, {"type": "coupon_code", "coupon_code": "482913"}),
        ],
    },
    "an image header and named values": {
        "name": "promocion_mensual",
        "language": {"code": "es"},
        "components": [
            {
                "type": "HEADER",
                "parameters": [{"type": "image", "image": {"link": "https://a.mx/p.jpg"}}],
            },
            body(text("Ana", "nombre"), text("15 %", "descuento")),
        ],
    },
    "a text header, a URL suffix and a static phone button": {
        "name": "envio_en_camino",
        "language": {"code": "es"},
        "components": [
            {"type": "header", "parameters": [text("P-5531")]},
            body(text("Ana"), text("Estafeta"), text("7700123456")),
            button("url", 0, text("7700123456")),
        ],
    },
    "no parameters at all": {"name": "bienvenida", "language": {"code": "en_US"}},
}


@pytest.mark.parametrize("template", ACCEPTED_SENDS.values(), ids=list(ACCEPTED_SENDS))
def test_a_send_that_fits_its_template_is_accepted(fake, http, template) -> None:
    answer = send(http, fake, template)

    assert answer.status_code == 200, answer.text
    assert answer.json()["messages"][0]["message_status"] == "accepted"
    assert [m.type for m in fake.state.accepted()] == ["template"]


def recordatorio(*components: dict[str, Any]) -> dict[str, Any]:
    return {"name": "recordatorio_pago", "language": {"code": "es"}, "components": list(components)}


def cita(*parameters: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "confirmacion_cita",
        "language": {"code": "es"},
        "components": [body(*parameters)],
    }


FULL_BODY = body(text("Ana"), text("$1"), text("lunes"))
URL_SUFFIX = button("url", 0, text("F-1"))
REFUSED_SENDS = {
    "unknown name": ({"name": "no_existe", "language": {"code": "es"}}, 404, 132001),
    "no such language": ({"name": "bienvenida", "language": {"code": "fr"}}, 404, 132001),
    "pending": (
        {"name": "cumpleanos_cliente", "language": {"code": "es"}},
        404,
        132001,
    ),
    "rejected": ({"name": "aviso_mantenimiento", "language": {"code": "es"}}, 404, 132001),
    "paused": ({"name": "oferta_verano", "language": {"code": "es"}}, 400, 132015),
    "disabled": ({"name": "liquidacion_invierno", "language": {"code": "es"}}, 400, 132016),
    "a body value missing": (recordatorio(body(text("Ana")), URL_SUFFIX), 400, 132000),
    "a body value too many": (
        {"name": "bienvenida", "language": {"code": "es"}, "components": [body(text("x"))]},
        400,
        132000,
    ),
    "the URL suffix missing": (recordatorio(FULL_BODY), 400, 132000),
    "a header value for no header": (
        recordatorio({"type": "header", "parameters": [text("x")]}, FULL_BODY, URL_SUFFIX),
        400,
        132000,
    ),
    "positional values for a named template": (
        cita(text("Ana"), text("martes"), text("10:30")),
        400,
        132012,
    ),
    "named values for a positional template": (
        recordatorio(
            body(text("Ana", "nombre"), text("$1", "importe"), text("l", "fecha")), URL_SUFFIX
        ),
        400,
        132012,
    ),
    "a parameter_name the template lacks": (
        cita(text("Ana", "nombre"), text("martes", "dia"), text("10:30", "hora")),
        400,
        132012,
    ),
    "an image for a document header": (
        {
            "name": "factura_disponible",
            "language": {"code": "es"},
            "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"id": "1"}}]},
                body(text("Ana"), text("F-1")),
            ],
        },
        400,
        132012,
    ),
    "a button index with no button": (
        recordatorio(FULL_BODY, URL_SUFFIX, button("url", 3, text("x"))),
        400,
        132012,
    ),
    "the wrong sub_type for the button": (
        recordatorio(
            FULL_BODY, button("copy_code", 0, {"type": "coupon_code", "coupon_code": "x"})
        ),
        400,
        132012,
    ),
    "a payload where the URL wants text": (
        recordatorio(FULL_BODY, button("url", 0, {"type": "payload", "payload": "x"})),
        400,
        132012,
    ),
    "a button without sub_type": (
        recordatorio(FULL_BODY, {"type": "button", "index": 0, "parameters": [text("x")]}),
        400,
        100,
    ),
    "a text value without text": (
        recordatorio(body(text("Ana"), text("$1"), {"type": "text"}), URL_SUFFIX),
        400,
        131008,
    ),
}


@pytest.mark.parametrize(
    ("template", "http_status", "code"), REFUSED_SENDS.values(), ids=list(REFUSED_SENDS)
)
def test_a_send_that_does_not_fit_is_refused_with_metas_error(
    fake, http, template, http_status, code
) -> None:
    answer = send(http, fake, template)

    assert answer.status_code == http_status
    error = answer.json()["error"]
    assert error["message"].startswith(f"(#{code}) ")
    assert error["code"] == code
    assert error["type"] == "OAuthException"
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert error["error_data"]["details"]
    assert error["fbtrace_id"]
    assert fake.state.accepted() == []


def test_the_errors_say_what_is_wrong(fake, http) -> None:
    def details(template: dict[str, Any]) -> str:
        return str(send(http, fake, template).json()["error"]["error_data"]["details"])

    assert details({"name": "no_existe", "language": {"code": "es"}}) == (
        "template name (no_existe) does not exist in es"
    )
    assert details(recordatorio(body(text("Ana")), URL_SUFFIX)) == (
        "body: number of localizable_params (1) does not match the expected number of params (3)"
    )
    assert "expected DOCUMENT, received IMAGE" in details(
        REFUSED_SENDS["an image for a document header"][0]
    )


# -- template webhooks ----------------------------------------------------------------


def change(http: httpx.Client, fake: RunningFakeGraphApi, name: str, language: str, spec):
    return http.post(f"{fake.base_url}/__templates/{name}/{language}/status", json=spec)


def test_pausing_a_template_posts_metas_signed_status_webhook(fake, http, receiver) -> None:
    answer = change(http, fake, "recordatorio_pago", "es", {"status": "PAUSED", "reason": "NONE"})

    assert answer.status_code == 200
    assert answer.json()["template"]["status"] == "PAUSED"
    assert [w["response_status"] for w in answer.json()["webhooks"]] == [200]
    [(headers, raw)] = receiver.taken()
    verify_signature(raw, headers["x-hub-signature-256"], APP_SECRET)
    payload = json.loads(raw)
    assert payload["object"] == "whatsapp_business_account"
    [entry] = payload["entry"]
    assert entry["id"] == DEFAULT_WABA_ID
    assert isinstance(entry["time"], int)
    [update] = entry["changes"]
    assert update["field"] == "message_template_status_update"
    template = fake.state.templates.find(DEFAULT_WABA_ID, "recordatorio_pago", "es")
    assert template is not None
    assert update["value"] == {
        "event": "PAUSED",
        "message_template_id": int(template["id"]),
        "message_template_name": "recordatorio_pago",
        "message_template_language": "es",
        "reason": "NONE",
        "message_template_category": "UTILITY",
        "other_info": {
            "title": "FIRST_PAUSE",
            "description": "Your WhatsApp message template has been paused because of low quality.",
        },
    }
    event = channel_event(update["field"], update["value"], entry["id"])
    assert event.kind is ChannelEventKind.TEMPLATE
    assert "event=PAUSED" in event.summary
    paused = send(http, fake, recordatorio(FULL_BODY, URL_SUFFIX))
    assert paused.json()["error"]["code"] == 132015


def test_quality_and_category_changes_post_their_own_webhooks(fake, http, receiver) -> None:
    answer = change(
        http, fake, "encuesta_satisfaccion", "es", {"quality": "YELLOW", "category": "UTILITY"}
    )

    assert answer.status_code == 200
    after = answer.json()["template"]
    assert after["quality_score"]["score"] == "YELLOW"
    assert (after["category"], after["previous_category"]) == ("UTILITY", "MARKETING")
    quality, category = (json.loads(raw)["entry"][0]["changes"][0] for _, raw in receiver.taken())
    ident = {
        "message_template_id": int(after["id"]),
        "message_template_name": "encuesta_satisfaccion",
        "message_template_language": "es",
    }
    assert quality == {
        "field": "message_template_quality_update",
        "value": {"previous_quality_score": "UNKNOWN", "new_quality_score": "YELLOW", **ident},
    }
    assert category == {
        "field": "template_category_update",
        "value": {**ident, "previous_category": "MARKETING", "new_category": "UTILITY"},
    }
    for update in (quality, category):
        assert (
            channel_event(update["field"], update["value"], "w").kind is ChannelEventKind.TEMPLATE
        )
    assert [w.field for w in fake.state.templates.webhooks()] == [
        "message_template_quality_update",
        "template_category_update",
    ]


def test_approving_a_paused_template_lets_it_be_sent_again(fake, http, receiver) -> None:
    answer = change(http, fake, "oferta_verano", "es", {"status": "APPROVED"})

    value = json.loads(receiver.taken()[0][1])["entry"][0]["changes"][0]["value"]
    assert value["other_info"]["title"] == "UNPAUSE"
    assert answer.json()["template"]["status"] == "APPROVED"
    summer = {
        "name": "oferta_verano",
        "language": {"code": "es"},
        "components": [body(text("Ana"), text("30 %"))],
    }
    assert send(http, fake, summer).status_code == 200


@pytest.mark.parametrize(
    ("target", "status"),
    [
        (("no_existe", {"status": "PAUSED"}), 404),
        (("bienvenida", {"status": "ASLEEP"}), 400),
        (("bienvenida", {}), 400),
        (("bienvenida", {"status": "PAUSED", "colour": "red"}), 400),
    ],
)
def test_the_status_control_refuses_what_it_cannot_do(fake, http, receiver, target, status):
    name, spec = target
    answer = change(http, fake, name, "es", spec)

    assert answer.status_code == status
    assert "error" in answer.json()
    assert receiver.taken() == []


def test_without_a_webhook_url_the_change_is_made_and_nothing_is_posted(http) -> None:
    with running_fake_graph_api() as fake:
        answer = change(http, fake, "bienvenida", "es", {"status": "DISABLED"})

        assert answer.json()["template"]["status"] == "DISABLED"
        [webhook] = answer.json()["webhooks"]
        assert webhook["response_status"] is None
        assert "disable_info" in webhook["payload"]["entry"][0]["changes"][0]["value"]
        listed = httpx.get(fake.base_url + "/__templates").json()
        assert listed["default_waba_id"] == DEFAULT_WABA_ID
        assert len(listed["wabas"][DEFAULT_WABA_ID]) == len(DEMO_TEMPLATES)


# -- from a shell ------------------------------------------------------------------------


def test_the_command_takes_a_waba_id_and_a_catalogue_file(tmp_path) -> None:
    catalogue = tmp_path / "plantillas.json"
    catalogue.write_text(json.dumps(numbered(3)), encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            *FAKE_COMMAND,
            "--port",
            str(port),
            "--waba-id",
            "230418776512345",
            "--templates",
            str(catalogue),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        listed = _first_answer(f"http://127.0.0.1:{port}/v23.0/230418776512345/message_templates")
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)

    assert [t["name"] for t in listed["data"]] == ["aviso_000", "aviso_001", "aviso_002"]
    assert "templates of WABA 230418776512345" in out


def test_the_command_refuses_a_catalogue_meta_would_not_approve(tmp_path) -> None:
    catalogue = tmp_path / "plantillas.json"
    catalogue.write_text(json.dumps([{"name": "x", "language": "es"}]), encoding="utf-8")

    finished = subprocess.run(
        [*FAKE_COMMAND, "--port", "0", "--templates", str(catalogue)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert finished.returncode == 2
    assert "--templates: x (es): components must be a non-empty array" in finished.stderr


def _first_answer(url: str) -> Any:
    """The answer once the process serves (connections wait in its socket's backlog, but
    the socket exists only once the process is up)."""
    for _ in range(300):
        try:
            return httpx.get(url, headers=AUTH, timeout=5).json()
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("the fake did not start")
