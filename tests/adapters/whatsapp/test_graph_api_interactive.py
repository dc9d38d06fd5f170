"""Reply buttons and lists leave the httpx gateway exactly as Meta documents them, and the
fake Graph API refuses what Meta would (131008 for a missing part, 131009 past a limit)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway
from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.graph_api import (
    DEFAULT_API_VERSION,
    GraphApiGateway,
    GraphApiSettings,
)
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent, ListRow, ListSection, ReplyButton

TOKEN = "EAAG-test-token-interactive-42"
BUSINESS = "106540352242922"
WA_ID = "5215512345678"
CUSTOMER = CustomerIdentity.from_wa_id(WA_ID)

BUTTONS = InteractiveContent.with_buttons(
    "¿Confirmas tu cita de mañana a las 10:00?",
    [ReplyButton("cita_si", "Sí, confirmo"), ReplyButton("cita_cambiar", "Cambiar hora")],
    header="Clínica Dental Sonrisa",
    footer="Responde con un botón",
)
LIST = InteractiveContent.with_list(
    "¿Qué sucursal te queda más cerca?",
    "Ver sucursales",
    [
        ListSection(
            "Ciudad de México",
            (
                ListRow("suc_centro", "Centro", "Av. Juárez 10"),
                ListRow("suc_polanco", "Polanco"),
            ),
        ),
        ListSection("Guadalajara", (ListRow("suc_gdl", "Chapultepec", "Av. Chapultepec 480"),)),
    ],
)


@pytest.fixture(scope="module")
def server() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api(access_token=TOKEN) as running:
        yield running


@pytest.fixture
def fake(server: RunningFakeGraphApi) -> RunningFakeGraphApi:
    server.state.reset()
    return server


def send(fake: RunningFakeGraphApi, content: InteractiveContent, **options: Any) -> str:
    async def scenario() -> str:
        settings = GraphApiSettings(TOKEN, base_url=fake.base_url, read_timeout=2.0)
        async with GraphApiGateway(settings) as gateway:
            return await gateway.send_interactive(BUSINESS, CUSTOMER, content, **options)

    return asyncio.run(scenario())


def sent_body(fake: RunningFakeGraphApi) -> dict[str, Any]:
    (request,) = fake.state.requests()
    body: dict[str, Any] = request["body"]
    return body


def test_reply_buttons_are_metas_interactive_button_message(fake: RunningFakeGraphApi) -> None:
    wamid = send(fake, BUTTONS, reply_to_wamid="wamid.pregunta")

    assert sent_body(fake) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "text", "text": "Clínica Dental Sonrisa"},
            "body": {"text": "¿Confirmas tu cita de mañana a las 10:00?"},
            "footer": {"text": "Responde con un botón"},
            "action": {
                "buttons": [
                    {"type": "reply", "reply": {"id": "cita_si", "title": "Sí, confirmo"}},
                    {"type": "reply", "reply": {"id": "cita_cambiar", "title": "Cambiar hora"}},
                ]
            },
        },
        "context": {"message_id": "wamid.pregunta"},
    }
    (accepted,) = fake.state.accepted()
    assert accepted.wamid == wamid
    assert accepted.type == "interactive"


def test_a_list_is_metas_interactive_list_message(fake: RunningFakeGraphApi) -> None:
    send(fake, LIST)

    interactive = sent_body(fake)["interactive"]
    assert interactive == {
        "type": "list",
        "body": {"text": "¿Qué sucursal te queda más cerca?"},
        "action": {
            "button": "Ver sucursales",
            "sections": [
                {
                    "title": "Ciudad de México",
                    "rows": [
                        {"id": "suc_centro", "title": "Centro", "description": "Av. Juárez 10"},
                        {"id": "suc_polanco", "title": "Polanco"},
                    ],
                },
                {
                    "title": "Guadalajara",
                    "rows": [
                        {
                            "id": "suc_gdl",
                            "title": "Chapultepec",
                            "description": "Av. Chapultepec 480",
                        }
                    ],
                },
            ],
        },
    }
    assert "context" not in sent_body(fake)


def test_a_lone_sections_missing_title_is_left_out(fake: RunningFakeGraphApi) -> None:
    lone = InteractiveContent.with_list("Elige", "Ver", [ListSection(None, (ListRow("a", "A"),))])
    send(fake, lone)
    assert sent_body(fake)["interactive"]["action"]["sections"] == [
        {"rows": [{"id": "a", "title": "A"}]}
    ]


def post(fake: RunningFakeGraphApi, interactive: dict[str, Any]) -> httpx.Response:
    body = {
        "messaging_product": "whatsapp",
        "to": WA_ID,
        "type": "interactive",
        "interactive": interactive,
    }
    return httpx.post(
        f"{fake.base_url}/{DEFAULT_API_VERSION}/{BUSINESS}/messages",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


def buttons(*titles: str, body: str = "¿Confirmas?") -> dict[str, Any]:
    return {
        "type": "button",
        "body": {"text": body},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": f"b{n}", "title": title}}
                for n, title in enumerate(titles)
            ]
        },
    }


def rows(count: int, sections: int = 1) -> dict[str, Any]:
    per = [count // sections + (1 if s < count % sections else 0) for s in range(sections)]
    made, start = [], 0
    for s, n in enumerate(per):
        rows = [{"id": f"r{start + i}", "title": f"Fila {start + i}"} for i in range(n)]
        made.append({"title": f"Sección {s}", "rows": rows})
        start += n
    return {
        "type": "list",
        "body": {"text": "Elige"},
        "action": {"button": "Ver", "sections": made},
    }


REFUSED = {
    "a 21-character button title": (
        buttons("Consultar precios hoy"),
        131009,
        "Button title length invalid. Min length: 1, Max length: 20",
    ),
    "four buttons": (
        buttons("Uno", "Dos", "Tres", "Cuatro"),
        131009,
        "Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3",
    ),
    "two buttons with one title": (
        buttons("Sí", "Sí"),
        131009,
        "Duplicate buttons. Button titles and ids must be unique.",
    ),
    "a body of 1025 characters": (
        buttons("Sí", body="a" * 1025),
        131009,
        "Body text length invalid. Min length: 1, Max length: 1024",
    ),
    "a list body of 4097 characters": (
        {**rows(1), "body": {"text": "a" * 4097}},
        131009,
        "Body text length invalid. Min length: 1, Max length: 4096",
    ),
    "no body": (
        {k: v for k, v in buttons("Sí").items() if k != "body"},
        131008,
        "The parameter interactive['body']['text'] is required.",
    ),
    "no buttons": (
        {"type": "button", "body": {"text": "x"}, "action": {"buttons": []}},
        131008,
        "The parameter interactive['action']['buttons'] is required.",
    ),
    "eleven rows": (
        rows(11, sections=2),
        131009,
        "Total row count exceed max allowed count: 10",
    ),
    "a 25-character row title": (
        {
            **rows(1),
            "action": {"button": "Ver", "sections": [{"rows": [{"id": "x", "title": "y" * 25}]}]},
        },
        131009,
        "Row title length invalid. Min length: 1, Max length: 24",
    ),
    "two sections, one untitled": (
        {
            **rows(2),
            "action": {
                "button": "Ver",
                "sections": [
                    {"rows": [{"id": "a", "title": "A"}]},
                    {"title": "B", "rows": [{"id": "b", "title": "B"}]},
                ],
            },
        },
        131008,
        "Section title is required when there is more than one section "
        "(interactive['action']['sections'][0]).",
    ),
    "a 21-character list button": (
        {**rows(1), "action": {**rows(1)["action"], "button": "Ver todas las opciones"}},
        131009,
        "Button text length invalid. Min length: 1, Max length: 20",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_the_fake_refuses_what_meta_refuses(fake: RunningFakeGraphApi, case: str) -> None:
    interactive, code, details = REFUSED[case]

    answer = post(fake, interactive)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"].startswith(f"(#{code}) ")
    assert error["error_data"]["details"] == details
    assert fake.state.accepted() == []


def test_the_fake_takes_ten_rows_in_ten_sections_and_three_buttons(
    fake: RunningFakeGraphApi,
) -> None:
    assert post(fake, rows(10, sections=10)).status_code == 200
    assert post(fake, buttons("Uno", "Dos", "Tres")).status_code == 200
    assert post(fake, {**rows(1), "body": {"text": "a" * 4096}}).status_code == 200


def test_a_refusal_reaches_the_outbox_as_a_final_gateway_error(fake: RunningFakeGraphApi) -> None:
    """Content is checked when built, so this takes a hand-made object past that check."""
    broken = object.__new__(InteractiveContent)
    for name, value in vars_of(BUTTONS).items():
        object.__setattr__(broken, name, value)
    object.__setattr__(broken, "buttons", (ReplyButton("a", "x" * 21),))

    with pytest.raises(GatewayError) as refused:
        send(fake, broken)

    assert refused.value.error_code == "131009"
    assert refused.value.retryable is False


def vars_of(content: InteractiveContent) -> dict[str, Any]:
    return {name: getattr(content, name) for name in InteractiveContent.__slots__}


def test_the_memory_gateway_records_the_content() -> None:
    gateway = InMemoryMessagingGateway()
    wamid = asyncio.run(gateway.send_interactive(BUSINESS, CUSTOMER, LIST, reply_to_wamid="w1"))
    (sent,) = gateway.sent
    assert (sent.wamid, sent.interactive, sent.reply_to_wamid, sent.text) == (
        wamid,
        LIST,
        "w1",
        None,
    )
