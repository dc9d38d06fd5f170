"""axe-core (the accessibility engine browsers' dev tools use) over every page of the inbox.

Rules checked: WCAG 2.1 A and AA (labels, names, landmarks, contrast, keyboard focus...),
at desktop and at phone width. axe-core is a pinned dev dependency in ``package.json``:
``.ci/run`` installs it with ``npm ci`` and sets ``CRM_WHATSAPP_AXE_JS``; locally the test
runs ``npm ci`` on first use.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from axe_kit import axe_violations, load_axe_source
from browser_kit import API, API_TOKEN, DemoService, new_wa_id

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def axe_source() -> str:
    return load_axe_source()


@pytest.fixture
def axe_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page where axe may run: the inbox's CSP forbids injected scripts, which is the point
    of it, so this context alone bypasses it."""
    viewport = getattr(request, "param", DESKTOP)
    context = browser.new_context(viewport=viewport, bypass_csp=True, locale="es-MX")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


violations = axe_violations


def sign_in(page: Any) -> None:
    page.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")


@pytest.mark.parametrize("axe_page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_the_sign_in_screen_passes_axe(axe_page: Any, axe_source: str, demo: DemoService) -> None:
    axe_page.goto(demo.inbox_url)
    axe_page.get_by_label("Token de la API").wait_for()
    assert violations(axe_page, axe_source) == []


@pytest.mark.parametrize("axe_page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_the_inbox_with_an_open_chat_passes_axe(
    axe_page: Any, axe_source: str, demo: DemoService
) -> None:
    wa_id = new_wa_id()
    demo.customer_writes(wa_id, "Hola, ¿tienen envíos?", profile_name="Accesible")
    place = {"latitude": 19.4, "longitude": -99.1, "name": "Casa"}
    demo.customer_writes(wa_id, {"type": "location", "location": place})
    conversation = demo.conversation_of(wa_id)
    sign_in(axe_page)
    axe_page.goto(demo.inbox_url)
    row = axe_page.locator(f"[data-conversation-id='{conversation['id']}']")
    row.click()
    axe_page.locator("[data-message-id]").first.wait_for()
    assert violations(axe_page, axe_source) == []


@pytest.mark.parametrize("axe_page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_the_dashboard_passes_axe(axe_page: Any, axe_source: str, demo: DemoService) -> None:
    sign_in(axe_page)
    axe_page.goto(demo.inbox_url + "dashboard.html")
    axe_page.locator("[data-stat='inbound_messages']").wait_for()
    assert violations(axe_page, axe_source) == []


def test_the_inbox_in_english_passes_axe(axe_page: Any, axe_source: str, demo: DemoService) -> None:
    sign_in(axe_page)
    axe_page.add_init_script("localStorage.setItem('crm_whatsapp.lang', 'en')")
    axe_page.goto(demo.inbox_url)
    axe_page.locator("[data-conversation-id]").first.wait_for()
    assert axe_page.evaluate("document.documentElement.lang") == "en"
    assert violations(axe_page, axe_source) == []


@pytest.mark.parametrize("axe_page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_the_inbox_signed_in_as_an_agent_passes_axe_with_the_teams_work_shown(
    axe_page: Any, axe_source: str, demo: DemoService
) -> None:
    """The demo's agent token (printed in its banner): who is signed in, the assignment and
    status controls, activity lines, a private note, the note composer and the dialog."""
    found = re.search(r"#token=(eyJ[\w.-]+)", demo.banner)
    assert found is not None, demo.banner
    token = found.group(1)
    wa_id = new_wa_id()
    demo.customer_writes(wa_id, "¿Me ayuda una persona?", profile_name="Equipo")
    conversation = demo.conversation_of(wa_id)
    with httpx.Client(
        base_url=demo.base_url + "/", headers={"Authorization": f"Bearer {token}"}
    ) as agent:
        one = f"{API}/{conversation['id']}"
        agent.put(f"{one}/asignacion", json={"agent": "me"}).raise_for_status()
        agent.post(f"{one}/notas", json={"text": "Cliente con prisa"}).raise_for_status()
        agent.put(f"{one}/estado", json={"status": "pending"}).raise_for_status()
    axe_page.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{token}')")
    axe_page.goto(f"{demo.inbox_url}?conversation={conversation['id']}")
    axe_page.locator(".note", has_text="Cliente con prisa").wait_for()
    axe_page.locator(".activity-line").first.wait_for()
    axe_page.locator(".whoami").wait_for()
    assert violations(axe_page, axe_source) == []

    axe_page.get_by_label("Nota privada", exact=True).check()
    axe_page.get_by_label("Texto de la nota").wait_for()
    assert violations(axe_page, axe_source) == []

    axe_page.get_by_role("button", name="Asignar a…").click()
    axe_page.get_by_role("dialog", name="Asignar a otro agente").wait_for()
    assert violations(axe_page, axe_source) == []
