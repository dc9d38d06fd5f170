"""The ``<crm-whatsapp-conversations>`` widget on a CRM's own client page.

``/inbox/examples/clientes.html`` stands in for the CRM: three of the demo CRM's clients,
a card for the chosen one, and the widget with its ``client-id``. Playwright's CSS and
text locators pierce the widget's (open) shadow root.
"""

from __future__ import annotations

from typing import Any

from browser_kit import API, API_TOKEN, DemoService, new_wa_id, wait_until

CLIENT_ID = "3"
CLIENT_NAME = "Miguel López Reyes"


def linked_conversation(demo: DemoService, client_id: str, text: str) -> str:
    """A new customer writes; the CRM user links the conversation to ``client_id``."""
    wa_id = new_wa_id()
    demo.customer_writes(wa_id, text, profile_name="Widget")
    conversation_id: str = demo.conversation_of(wa_id)["id"]
    answer = demo.http.put(f"{API}/{conversation_id}/cliente", json={"client_id": client_id})
    answer.raise_for_status()
    return conversation_id


def test_the_widget_shows_only_its_clients_conversations(page: Any, demo: DemoService) -> None:
    mine = linked_conversation(demo, CLIENT_ID, "Hola, soy del widget")
    other = linked_conversation(demo, "4", "Yo soy de otro cliente")
    page.goto(f"{demo.inbox_url}examples/clientes.html?token={API_TOKEN}")
    assert "token" not in page.url
    page.get_by_role("button", name=CLIENT_NAME).click()
    widget = page.locator("crm-whatsapp-conversations")
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


def test_the_widget_opens_a_chat_and_sends_a_reply(page: Any, demo: DemoService) -> None:
    conversation_id = linked_conversation(demo, CLIENT_ID, "¿Ya salió mi pedido?")
    page.goto(f"{demo.inbox_url}examples/clientes.html?token={API_TOKEN}")
    page.get_by_role("button", name=CLIENT_NAME).click()
    widget = page.locator("crm-whatsapp-conversations")
    widget.locator(f"[data-conversation-id='{conversation_id}']").click()
    widget.locator("[data-direction='inbound']", has_text="¿Ya salió mi pedido?").wait_for()
    widget.get_by_label("Mensaje", exact=True).fill("Sí, sale hoy por la tarde")
    widget.get_by_role("button", name="Enviar", exact=True).click()
    sent = widget.locator("[data-direction='outbound']", has_text="Sí, sale hoy por la tarde")
    sent.wait_for()
    sent.locator(".tick[data-status='read']").wait_for()
    texts = [m["text"] for m in demo.messages(conversation_id)]
    assert "Sí, sale hoy por la tarde" in texts


def test_the_widget_follows_its_attributes_and_language(page: Any, demo: DemoService) -> None:
    page.goto(f"{demo.inbox_url}examples/clientes.html?token={API_TOKEN}")
    page.get_by_role("button", name=CLIENT_NAME).click()
    widget = page.locator("crm-whatsapp-conversations")
    widget.get_by_text("Conversaciones de WhatsApp").wait_for()
    page.evaluate("document.querySelector('crm-whatsapp-conversations').setAttribute('lang', 'en')")
    widget.get_by_text("WhatsApp conversations").wait_for()
    page.evaluate(
        "document.querySelector('crm-whatsapp-conversations').setAttribute('token', 'wrong')"
    )
    widget.get_by_text("Invalid token").wait_for()


def test_without_a_client_id_the_widget_says_so(page: Any, demo: DemoService) -> None:
    page.goto(f"{demo.inbox_url}examples/clientes.html?token={API_TOKEN}")
    page.evaluate(
        "() => { const w = document.querySelector('crm-whatsapp-conversations');"
        " w.removeAttribute('client-id'); document.getElementById('client-card').hidden = false; }"
    )
    page.locator("crm-whatsapp-conversations").get_by_text(
        "Falta el atributo client-id."
    ).wait_for()
