"""The ``<crm-whatsapp-conversations>`` widget on a CRM's own client page.

``/inbox/examples/clientes.html`` stands in for the CRM: three of the demo CRM's clients,
a card for the chosen one, and the widget with its ``client-id``. It is given what a CRM's
backend mints for a client's page: an agent token confined to that client
(``widget_kit.client_token``). Playwright's CSS and text locators pierce the widget's
(open) shadow root.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from browser_kit import DemoService, wait_until
from widget_kit import (
    AGENT_ID,
    AGENT_NAME,
    AGENT_SECRET,
    authors_and_actors,
    client_token,
    expired_client_token,
    linked_conversation,
    start_agent_demo,
)

from crm_whatsapp.adapters.http.agent_tokens import AgentTokens

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "inbox.md"
CLIENT_ID = "3"
CLIENT_NAME = "Miguel López Reyes"
OTHER_CLIENT_NAME = "Juan Flores Torres"  # client 1


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoService]:
    """This module's own demo: the session's has no agent token secret."""
    service = start_agent_demo(tmp_path_factory.mktemp("widget-demo"))
    yield service
    service.stop()


def open_client(page: Any, demo: DemoService, token: str, name: str = CLIENT_NAME) -> Any:
    page.goto(f"{demo.inbox_url}examples/clientes.html?token={token}")
    assert "token" not in page.url
    page.get_by_role("button", name=name).click()
    return page.locator("crm-whatsapp-conversations")


def test_the_widget_shows_only_its_clients_conversations(page: Any, demo: DemoService) -> None:
    mine, _ = linked_conversation(demo, CLIENT_ID, "Hola, soy del widget")
    other, _ = linked_conversation(demo, "4", "Yo soy de otro cliente")
    widget = open_client(page, demo, client_token(CLIENT_ID))
    widget.locator(f"[data-conversation-id='{mine}']").wait_for()
    assert widget.locator(f"[data-conversation-id='{other}']").count() == 0

    expected = {c["id"] for c in demo.api(f"/cliente/{CLIENT_ID}", limit=50)["items"]}

    def shown() -> set[str]:
        ids: list[str] = widget.locator(".conversation-row").evaluate_all(
            "rows => rows.map(r => r.dataset.conversationId)"
        )
        return set(ids)

    wait_until(lambda: shown() == expected)
    assert page.evaluate("document.querySelectorAll('.conversation-row').length") == 0


def test_the_widget_replies_as_the_agent_its_token_names(page: Any, demo: DemoService) -> None:
    """Stops a reply signed with a name typed in the page: the author is the token's agent
    (the composer has no name field, and the request carries no ``agent``)."""
    conversation_id, _ = linked_conversation(demo, CLIENT_ID, "¿Ya salió mi pedido?")
    widget = open_client(page, demo, client_token(CLIENT_ID))
    widget.get_by_text(f"Respondes como {AGENT_NAME}").wait_for()
    widget.locator(f"[data-conversation-id='{conversation_id}']").click()
    widget.locator("[data-direction='inbound']", has_text="¿Ya salió mi pedido?").wait_for()
    assert not widget.locator(".composer-agent").is_visible()
    assert not widget.locator(".action-link").is_visible()  # linking needs the manage scope
    widget.get_by_label("Mensaje", exact=True).fill("Sí, sale hoy por la tarde")
    widget.get_by_role("button", name="Enviar", exact=True).click()
    sent = widget.locator("[data-direction='outbound']", has_text="Sí, sale hoy por la tarde")
    sent.wait_for()
    sent.locator(".tick[data-status='read']").wait_for()
    author, actor = authors_and_actors(demo, conversation_id, "Sí, sale hoy por la tarde")
    assert author == {"kind": "agent", "name": AGENT_NAME}
    assert (actor["kind"], actor["id"], actor["name"]) == ("agent", AGENT_ID, AGENT_NAME)


def test_a_token_for_another_client_is_an_error_not_an_empty_list(
    page: Any, demo: DemoService
) -> None:
    """Stops a page that shows client 1 with client 3's token from looking like client 1 has
    no conversations: the widget compares client-id with the token's client (/api/v1/yo)."""
    widget = open_client(page, demo, client_token(CLIENT_ID), name=OTHER_CLIENT_NAME)
    widget.get_by_text("El token de WhatsApp es del cliente 3, no del cliente 1").wait_for()
    assert widget.locator(".conversation-row").count() == 0
    page.get_by_role("button", name=CLIENT_NAME).click()
    widget.get_by_text("Conversaciones de WhatsApp").wait_for()


def test_get_token_gives_the_widget_a_token_for_each_client(page: Any, demo: DemoService) -> None:
    """A page whose own code fetches tokens sets ``getToken``: the widget calls it when the
    page opens a client its token is not for, instead of showing an error."""
    mine, _ = linked_conversation(demo, "1", "Hola desde el cliente uno")
    widget = open_client(page, demo, client_token(CLIENT_ID))
    widget.get_by_text("Conversaciones de WhatsApp").wait_for()
    tokens = {client_id: client_token(client_id) for client_id in ("1", "2")}
    page.evaluate(
        "tokens => { document.querySelector('crm-whatsapp-conversations').getToken ="
        " async (clientId) => { (window.asked ||= []).push(clientId); return tokens[clientId]; };"
        " }",
        tokens,
    )
    page.get_by_role("button", name=OTHER_CLIENT_NAME).click()
    widget.locator(f"[data-conversation-id='{mine}']").wait_for()
    assert page.evaluate("window.asked") == ["1"]


def test_an_expired_token_says_so(page: Any, demo: DemoService) -> None:
    """Stops a token kept from an old page view from working: the service refuses it, and
    the widget, with no token-url to renew it, says it expired."""
    widget = open_client(page, demo, expired_client_token(CLIENT_ID))
    widget.get_by_text("El acceso a las conversaciones de WhatsApp caducó").wait_for()
    assert widget.locator(".conversation-row").count() == 0


def test_the_widget_follows_its_attributes_and_language(page: Any, demo: DemoService) -> None:
    widget = open_client(page, demo, client_token(CLIENT_ID))
    widget.get_by_text("Conversaciones de WhatsApp").wait_for()
    page.evaluate("document.querySelector('crm-whatsapp-conversations').setAttribute('lang', 'en')")
    widget.get_by_text("WhatsApp conversations").wait_for()
    widget.get_by_text(f"You reply as {AGENT_NAME}").wait_for()
    page.evaluate(
        "document.querySelector('crm-whatsapp-conversations').setAttribute('token', 'wrong')"
    )
    widget.get_by_text("Invalid").wait_for()  # "Invalid token", whatever follows


def test_without_a_client_id_the_widget_says_so(page: Any, demo: DemoService) -> None:
    page.goto(f"{demo.inbox_url}examples/clientes.html?token={client_token(CLIENT_ID)}")
    page.evaluate(
        "() => { const w = document.querySelector('crm-whatsapp-conversations');"
        " w.removeAttribute('client-id'); document.getElementById('client-card').hidden = false; }"
    )
    page.locator("crm-whatsapp-conversations").get_by_text(
        "Falta el atributo client-id."
    ).wait_for()


def test_the_guides_minting_function_signs_a_token_the_service_accepts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """docs/inbox.md's Python function mints what the widget needs: one client, read and
    reply, an hour, for the user of the page."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("### The widget's token") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    monkeypatch.setenv("CRM_WHATSAPP_AGENT_TOKEN_SECRET", AGENT_SECRET)
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    user = SimpleNamespace(id=AGENT_ID, name=AGENT_NAME)
    access = AgentTokens(AGENT_SECRET.encode()).verify(namespace["whatsapp_token"](user, 1042))
    assert access.client_id == "1042"
    assert (access.actor.id, access.actor.name) == (AGENT_ID, AGENT_NAME)
    assert sorted(access.scopes) == ["read", "reply"]
