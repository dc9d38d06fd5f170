"""Reply buttons and lists over the real service (SQLite and PostgreSQL, the fake Graph API
on loopback behind the real httpx gateway):

- an agent sends buttons through ``POST .../mensajes``; Meta receives its interactive shape,
  the message reads back with them; what WhatsApp would refuse is a 422 naming the part,
  and nothing is stored;
- the bot: a rules file with buttons, a customer writes the keyword, the bot's buttons
  reach Meta, the customer taps one (Meta's ``button_reply`` webhook), and the rule with
  that id answers.
"""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from http_service_kit import (
    API,
    AUTH,
    BUSINESS_NUMBER_ID,
    LiveServer,
    make_settings,
    rules_file,
    text_webhook,
    wait_for,
)

from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import customer_message_webhook_body
from crm_whatsapp.app import Settings

ANA = "5215512345678"
_wamids = itertools.count(1)
RULES = """
greeting_unknown = false
fallback_reply = false

[[rules]]
name = "menu"
keywords = ["menu", "menú"]
reply = "¡Hola! ¿En qué te ayudamos?"
footer = "Ferretería El Tornillo"
buttons = [
  { id = "precios", title = "Precios" },
  { id = "horario", title = "Horario" },
]

[[rules]]
name = "precios"
reply_ids = ["precios"]
reply = "El taladro cuesta $1,299."

[[rules]]
name = "horario"
keywords = ["horario"]
reply_ids = ["horario"]
reply = "Abrimos de 9 a 18 h."
"""
BUTTONS = {
    "kind": "buttons",
    "body": "¿Confirmas tu cita de mañana?",
    "footer": "Clínica Sonrisa",
    "buttons": [{"id": "cita_si", "title": "Sí"}, {"id": "cita_no", "title": "Cambiarla"}],
}


@pytest.fixture
def settings(
    service_database: Database, fake_graph: RunningFakeGraphApi, tmp_path: Path
) -> Settings:
    url = service_database.url.render_as_string(hide_password=False)
    return make_settings(url, fake_graph.base_url, bot_rules_file=rules_file(tmp_path, RULES))


def customer_sends(live_server: LiveServer, part: dict[str, Any]) -> None:
    body = customer_message_webhook_body(
        wa_id=ANA,
        part=part,
        wamid=f"wamid.interactive.{next(_wamids)}.{time.monotonic_ns()}",
        timestamp=int(time.time()),
        phone_number_id=BUSINESS_NUMBER_ID,
    )
    answer = live_server.post_webhook(json.dumps(body, ensure_ascii=False).encode())
    assert answer.status_code == 200, answer.text


def sent_bodies(fake_graph: RunningFakeGraphApi) -> list[dict[str, Any]]:
    return [r["body"] for r in fake_graph.state.requests() if "to" in (r["body"] or {})]


def conversation_id(live_server: LiveServer) -> str:
    found: str = live_server.http.get(API, headers=AUTH).json()["items"][0]["id"]
    return found


def messages(live_server: LiveServer, conversation: str) -> list[dict[str, Any]]:
    answer = live_server.http.get(f"{API}/{conversation}/mensajes", headers=AUTH)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_the_bots_buttons_reach_meta_and_a_tapped_button_finds_its_rule(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    live_server.post_webhook(text_webhook(ANA, "Hola, ¿me pasas el menú?"))

    (menu,) = wait_for(lambda: sent_bodies(fake_graph) or None, what="the bot's buttons")
    assert menu["type"] == "interactive"
    assert menu["interactive"] == {
        "type": "button",
        "body": {"text": "¡Hola! ¿En qué te ayudamos?"},
        "footer": {"text": "Ferretería El Tornillo"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "precios", "title": "Precios"}},
                {"type": "reply", "reply": {"id": "horario", "title": "Horario"}},
            ]
        },
    }

    # "Precios" is not a keyword of any rule: only the button's id can find the answer
    tap = {"id": "precios", "title": "Precios"}
    customer_sends(
        live_server,
        {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": tap}},
    )

    bodies = wait_for(lambda: b if len(b := sent_bodies(fake_graph)) == 2 else None)
    assert bodies[1]["type"] == "text"
    assert bodies[1]["text"]["body"] == "El taladro cuesta $1,299."

    conversation = conversation_id(live_server)
    stored = messages(live_server, conversation)  # newest first
    tapped = next(m for m in stored if m["direction"] == "inbound" and m["kind"] == "interactive")
    assert tapped["text"] == "Precios"
    assert tapped["details"]["reply_id"] == "precios"
    assert tapped["processing"]["rule"] == "keyword:precios"
    bot_buttons = next(m for m in stored if m["direction"] == "outbound" and m["interactive"])
    assert bot_buttons["kind"] == "interactive"
    assert bot_buttons["text"] == "¡Hola! ¿En qué te ayudamos?"
    assert [b["id"] for b in bot_buttons["interactive"]["buttons"]] == ["precios", "horario"]
    assert "interactive" not in bot_buttons["details"]


def test_a_templates_quick_reply_finds_its_rule_by_payload(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    live_server.post_webhook(text_webhook(ANA, "menú"))
    wait_for(lambda: sent_bodies(fake_graph) or None)

    customer_sends(
        live_server, {"type": "button", "button": {"payload": "horario", "text": "Ver horario"}}
    )

    bodies = wait_for(lambda: b if len(b := sent_bodies(fake_graph)) == 2 else None)
    assert bodies[1]["text"]["body"] == "Abrimos de 9 a 18 h."


def test_an_agent_sends_buttons_that_read_back_and_reach_meta(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi
) -> None:
    live_server.post_webhook(text_webhook(ANA, "Hola"))
    conversation = conversation_id(live_server)

    answer = live_server.http.post(
        f"{API}/{conversation}/mensajes",
        json={"agent": "Laura", "interactive": BUTTONS},
        headers=AUTH,
    )

    assert answer.status_code == 201, answer.text
    sent = answer.json()
    assert (sent["kind"], sent["text"]) == ("interactive", BUTTONS["body"])
    assert sent["interactive"] == {
        **BUTTONS,
        "header": None,
        "button_label": None,
        "sections": [],
    }
    document = live_server.http.get("/openapi.json").json()
    schema = {"$ref": "#/components/schemas/MessageOut", "components": document["components"]}
    jsonschema_rs.validator_for(schema).validate(sent)

    def at_meta() -> dict[str, Any] | None:
        return next((b for b in sent_bodies(fake_graph) if b["type"] == "interactive"), None)

    interactive = wait_for(at_meta)["interactive"]
    assert interactive["action"]["buttons"][1] == {
        "type": "reply",
        "reply": {"id": "cita_no", "title": "Cambiarla"},
    }
    listed = [m for m in messages(live_server, conversation) if m["id"] == sent["id"]]
    assert listed[0]["interactive"] == sent["interactive"]


REFUSED = {
    "four buttons": (
        {**BUTTONS, "buttons": [{"id": f"b{n}", "title": f"B{n}"} for n in range(4)]},
        "interactive.buttons: give 1 to 3 buttons",
    ),
    "a long title": (
        {**BUTTONS, "buttons": [{"id": "a", "title": "Confirmar mi cita ahora"}]},
        "interactive.buttons[0].title: at most 20 characters (WhatsApp's limit), not 23",
    ),
    "a list of eleven rows": (
        {
            "kind": "list",
            "body": "Elige",
            "button_label": "Ver",
            "sections": [{"rows": [{"id": f"r{n}", "title": f"R{n}"} for n in range(11)]}],
        },
        "interactive.sections: at most 10 rows in all, not 11",
    ),
    "a list without its button": (
        {"kind": "list", "body": "Elige", "sections": [{"rows": [{"id": "a", "title": "A"}]}]},
        "interactive.button_label: a list needs the button that opens it",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_what_whatsapp_would_refuse_is_a_422_naming_the_part_and_stores_nothing(
    live_server: LiveServer, fake_graph: RunningFakeGraphApi, case: str
) -> None:
    live_server.post_webhook(text_webhook(ANA, "Hola"))
    conversation = conversation_id(live_server)
    before = messages(live_server, conversation)
    interactive, message = REFUSED[case]

    answer = live_server.http.post(
        f"{API}/{conversation}/mensajes",
        json={"agent": "Laura", "interactive": interactive},
        headers=AUTH,
    )

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"] == {"code": "invalid_outbound_message", "message": message}
    assert messages(live_server, conversation) == before


def test_buttons_go_alone(live_server: LiveServer) -> None:
    live_server.post_webhook(text_webhook(ANA, "Hola"))
    conversation = conversation_id(live_server)
    answer = live_server.http.post(
        f"{API}/{conversation}/mensajes",
        json={"agent": "Laura", "text": "Hola", "interactive": BUTTONS},
        headers=AUTH,
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"] == (
        "interactive: give one of text, a template or interactive, not several"
    )
