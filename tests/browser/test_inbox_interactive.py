"""Reply buttons in the inbox, in real Chromium against the real service: an agent writes
buttons in the composer's "Botones", Meta (the fake Graph API, behind the real httpx
gateway) receives its interactive shape, and the customer's tap arrives by webhook and
shows in the chat as the chosen title with its mark.

The service runs in this process (``create_app`` with the demo's settings, SQLite, under
uvicorn on loopback) so the test can read what the fake Graph API accepted.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from browser_kit import API, API_TOKEN, ServiceClient, new_wa_id, prepared_demo_settings
from test_accessibility import axe_source, violations

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_asgi_app,
    running_fake_graph_api,
)
from crm_whatsapp.app.asgi import create_app
from polling import wait_until

__all__ = ["axe_source"]  # a fixture, used by name


@dataclass
class Service(ServiceClient):
    meta: RunningFakeGraphApi

    def customer_sends(self, wa_id: str, part: dict[str, Any]) -> None:
        """One message as Meta posts it, signed, read by the service before this returns."""
        self.customer_writes(wa_id, part, profile_name="Cliente Citas")

    def interactive_at_meta(self) -> list[dict[str, Any]]:
        return [m.body for m in self.meta.state.accepted() if m.type == "interactive"]


@pytest.fixture(scope="module")
def service() -> Iterator[Service]:
    with (
        tempfile.TemporaryDirectory(prefix="crm-whatsapp-buttons-browser-") as folder,
        running_fake_graph_api() as meta,
    ):
        settings = prepared_demo_settings(Path(folder), meta.base_url)
        with running_asgi_app(create_app(settings)) as base_url:
            running = Service(base_url, meta)
            try:
                yield running
            finally:
                running.close()


@pytest.fixture
def inbox(context: Any, page: Any) -> Any:
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")
    return page


def open_chat(page: Any, service: Service, conversation_id: str) -> None:
    page.goto(f"{service.base_url}/inbox/?conversation={conversation_id}")
    page.locator(".chat-title").filter(has_not_text="…").wait_for()
    page.locator("[data-message-id]").first.wait_for()
    page.locator(".live[data-state='live']").wait_for()


def test_an_agent_sends_buttons_and_the_customers_tap_shows_in_the_chat(
    inbox: Any, service: Service
) -> None:
    wa_id = new_wa_id()
    service.customer_sends(wa_id, {"type": "text", "text": {"body": "¿Puedo cambiar mi cita?"}})
    conversation_id = service.conversation_of(wa_id)["id"]
    open_chat(inbox, service, conversation_id)

    inbox.locator("summary", has_text="Botones").click()
    inbox.get_by_label("Texto del mensaje").fill("¿Qué prefieres hacer con tu cita?")
    inbox.get_by_label("Botón 1").fill("Confirmar")
    inbox.get_by_label("Botón 2").fill("Cambiar hora")
    inbox.get_by_role("button", name="Enviar botones").click()

    bubble = inbox.locator(".bubble-out.kind-interactive").last
    bubble.locator(".interactive-button").nth(1).wait_for()
    assert bubble.locator(".bubble-text").inner_text() == "¿Qué prefieres hacer con tu cita?"
    assert bubble.locator(".interactive-button").all_inner_texts() == ["Confirmar", "Cambiar hora"]
    assert bubble.locator("button, a").count() == 0  # shown, not clickable

    (sent,) = wait_until(service.interactive_at_meta, what="the buttons at Meta")
    assert sent["to"] == wa_id
    assert sent["interactive"] == {
        "type": "button",
        "body": {"text": "¿Qué prefieres hacer con tu cita?"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "1-confirmar", "title": "Confirmar"}},
                {"type": "reply", "reply": {"id": "2-cambiar-hora", "title": "Cambiar hora"}},
            ]
        },
    }

    tap = {"id": "2-cambiar-hora", "title": "Cambiar hora"}
    service.customer_sends(
        wa_id, {"type": "interactive", "interactive": {"type": "button_reply", "button_reply": tap}}
    )

    reply = inbox.locator(".bubble-in.kind-interactive").last
    reply.locator(".chosen-title").filter(has_text="Cambiar hora").wait_for()
    assert reply.locator(".choice-mark").inner_text() == "↩ respuesta a botón"


def test_the_form_says_what_whatsapp_would_refuse_before_sending(
    inbox: Any, service: Service
) -> None:
    wa_id = new_wa_id()
    service.customer_sends(wa_id, {"type": "text", "text": {"body": "Hola"}})
    open_chat(inbox, service, service.conversation_of(wa_id)["id"])
    inbox.locator("summary", has_text="Botones").click()

    inbox.get_by_role("button", name="Enviar botones").click()
    inbox.get_by_text("Escribe el mensaje y al menos un botón.").wait_for()

    inbox.get_by_label("Texto del mensaje").fill("¿Confirmas?")
    inbox.get_by_label("Botón 1").fill("Sí")
    inbox.get_by_label("Botón 2").fill("Sí")
    inbox.get_by_role("button", name="Enviar botones").click()
    inbox.get_by_text("Dos botones tienen el mismo texto.").wait_for()
    assert service.interactive_at_meta() == [] or all(
        m["to"] != wa_id for m in service.interactive_at_meta()
    )
    # at most 20 characters can be typed in a title (WhatsApp's limit)
    inbox.get_by_label("Botón 3").fill("x" * 30)
    assert len(inbox.get_by_label("Botón 3").input_value()) == 20


def test_a_list_and_a_choice_from_it_pass_axe(
    browser: Any, axe_source: str, service: Service
) -> None:
    """A list the bot sent (stored through the API as an agent would) and the customer's
    pick, with the "Botones" form open."""
    wa_id = new_wa_id()
    service.customer_sends(wa_id, {"type": "text", "text": {"body": "¿Dónde están?"}})
    conversation_id = service.conversation_of(wa_id)["id"]
    listed = {
        "kind": "list",
        "body": "¿Qué sucursal te queda más cerca?",
        "header": "Sucursales",
        "footer": "Ferretería El Tornillo",
        "button_label": "Ver sucursales",
        "sections": [
            {
                "title": "CDMX",
                "rows": [{"id": "centro", "title": "Centro", "description": "Av. Juárez 10"}],
            },
            {"title": "Jalisco", "rows": [{"id": "gdl", "title": "Guadalajara"}]},
        ],
    }
    answer = service.http.post(
        f"{API}/{conversation_id}/mensajes", json={"agent": "Laura", "interactive": listed}
    )
    assert answer.status_code == 201, answer.text
    pick = {"id": "centro", "title": "Centro", "description": "Av. Juárez 10"}
    service.customer_sends(
        wa_id, {"type": "interactive", "interactive": {"type": "list_reply", "list_reply": pick}}
    )

    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, bypass_csp=True, locale="es-MX"
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")
        open_chat(page, service, conversation_id)
        bubble = page.locator(".bubble-out.kind-interactive").last
        bubble.locator(".interactive-row").nth(1).wait_for()
        assert bubble.locator(".interactive-list-button").inner_text() == "☰ Ver sucursales"
        assert bubble.locator(".interactive-section-title").all_inner_texts() == ["CDMX", "Jalisco"]
        assert "Av. Juárez 10" in bubble.locator(".interactive-row").first.inner_text()
        mark = page.locator(".bubble-in .choice-mark").last
        assert mark.inner_text() == "↩ respuesta de lista"
        page.locator("summary", has_text="Botones").click()
        page.get_by_label("Botón 1").wait_for()
        assert violations(page, axe_source) == []
    finally:
        context.close()
