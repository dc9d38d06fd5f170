"""`/atajo` in the inbox's composer, in real Chromium against the demo (which seeds the
team's canned responses): the list opens on `/`, filters as one types, is driven by the
keyboard and the mouse, and inserts the response filled for the open conversation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from axe_kit import axe_violations, load_axe_source
from browser_kit import API, API_TOKEN, DemoService, new_wa_id, wait_until

CLIENT_ID, CLIENT_NAME = "2", "Francisco Castillo Núñez"


@pytest.fixture(scope="module")
def axe_source() -> str:
    return load_axe_source()


@pytest.fixture
def signed_in_page(browser: Any) -> Iterator[Any]:
    """Signed in with the service token, in a context where axe may run (the inbox's CSP
    forbids injected scripts, so only this context bypasses it); uncaught errors and
    console errors fail the test, as with the suite's own pages."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, bypass_csp=True, locale="es-MX"
    )
    context.set_default_timeout(10_000)
    token = json.dumps(API_TOKEN)
    context.add_init_script(f"window.sessionStorage.setItem('crm_whatsapp.token', {token})")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console.{message.type}: {message.text}")
            if message.type == "error"
            and "the server responded with a status of" not in message.text
            else None
        ),
    )
    yield page
    context.close()
    assert not problems, "the page reported errors:\n" + "\n".join(problems)


def new_chat(page: Any, demo: DemoService, text: str, client_id: str | None) -> str:
    wa_id = new_wa_id()
    demo.customer_writes(wa_id, text, profile_name="Atajos")
    conversation_id: str = demo.conversation_of(wa_id)["id"]
    if client_id is not None:
        linked = demo.http.put(f"{API}/{conversation_id}/cliente", json={"client_id": client_id})
        linked.raise_for_status()
    page.goto(f"{demo.inbox_url}?conversation={conversation_id}")
    page.locator(".chat-title").filter(has_not_text="…").wait_for()
    page.locator("[data-message-id]").first.wait_for()
    return conversation_id


def box(page: Any) -> Any:
    return page.get_by_role("combobox", name="Mensaje", exact=True)


def suggestions(page: Any) -> Any:
    return page.get_by_role("listbox", name="Respuestas rápidas")


def listed(page: Any) -> list[str]:
    shortcuts: list[str] = (
        suggestions(page)
        .get_by_role("option")
        .evaluate_all("options => options.map(o => o.dataset.shortcut)")
    )
    return shortcuts


def active(page: Any) -> str | None:
    """The option the box points at (aria-activedescendant), by its shortcut."""
    chosen: str | None = box(page).evaluate(
        "box => document.getElementById(box.getAttribute('aria-activedescendant') || '')"
        "?.dataset.shortcut ?? null"
    )
    return chosen


def test_typing_pag_choosing_with_the_keyboard_and_sending(
    signed_in_page: Any, demo: DemoService, axe_source: str
) -> None:
    page = signed_in_page
    conversation_id = new_chat(page, demo, "Hola, ¿cuánto debo?", CLIENT_ID)
    message = box(page)
    assert message.get_attribute("aria-expanded") == "false"

    message.press_sequentially("/")
    listbox = suggestions(page)
    listbox.wait_for()
    wait_until(lambda: len(listed(page)) == 6)
    assert message.get_attribute("aria-expanded") == "true"
    assert listed(page)[:2] == ["despedida", "envio"]  # by shortcut
    assert active(page) == "despedida"
    message.press("ArrowDown")
    assert active(page) == "envio"
    assert listbox.get_by_role("option", selected=True).get_attribute("data-shortcut") == "envio"
    message.press("ArrowUp")
    message.press("ArrowUp")  # round to the last
    assert active(page) == listed(page)[-1]
    assert axe_violations(page, axe_source) == []

    message.press("Escape")
    listbox.wait_for(state="hidden")
    assert message.get_attribute("aria-expanded") == "false"
    assert message.get_attribute("aria-activedescendant") is None
    assert message.input_value() == "/"  # Esc closes, it does not erase

    message.press_sequentially("pag")
    wait_until(lambda: listed(page) == ["pago_pendiente"])
    assert active(page) == "pago_pendiente"
    message.press("Enter")  # chooses; it does not send "/pag"

    wait_until(lambda: message.input_value().startswith("Hola "))
    text = message.input_value()
    assert text.startswith(f"Hola {CLIENT_NAME}, te recordamos")
    assert f"({CLIENT_ID})" in text
    assert "{" not in text
    assert page.locator(".canned-missing").count() == 0
    assert listbox.is_hidden()
    assert all(m["text"] != "/pag" for m in demo.messages(conversation_id))

    message.press("Enter")  # now it sends
    page.locator("[data-direction='outbound']", has_text="te recordamos").wait_for()
    wait_until(lambda: any(m["text"] == text for m in demo.messages(conversation_id)))
    assert message.input_value() == ""


def test_a_response_chosen_with_the_mouse_names_what_the_conversation_lacks(
    signed_in_page: Any, demo: DemoService, axe_source: str
) -> None:
    page = signed_in_page
    new_chat(page, demo, "Ya me voy, gracias", None)  # nobody in the CRM: no {nombre}
    message = box(page)

    message.press_sequentially("/desp")
    option = suggestions(page).get_by_role("option", name="/despedida Despedida")
    option.click()

    wait_until(lambda: message.input_value().startswith("Gracias por tu preferencia, ."))
    note = page.locator(".canned-note")
    note.wait_for()
    assert note.get_attribute("role") == "status"
    assert page.locator(".canned-missing").all_inner_texts() == ["{nombre}"]
    assert "Complétalos antes de enviar" in note.inner_text()
    assert note.get_attribute("id") in (message.get_attribute("aria-describedby") or "")
    assert message.evaluate("box => box === document.activeElement")
    assert axe_violations(page, axe_source) == []

    message.fill("")  # the agent starts over: the note goes
    wait_until(note.is_hidden)


def test_a_shortcut_nobody_saved_says_so_and_sends_nothing(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    new_chat(page, demo, "Hola", None)
    message = box(page)

    message.press_sequentially("/zzz")

    page.locator(".canned-note", has_text="Ninguna respuesta rápida coincide con /zzz").wait_for()
    assert suggestions(page).is_hidden()
    assert message.get_attribute("aria-expanded") == "false"
