"""axe-core (the accessibility engine browsers' dev tools use) over every page of the inbox.

Rules checked: WCAG 2.1 A and AA (labels, names, landmarks, contrast, keyboard focus...),
at desktop and at phone width. axe-core is a pinned dev dependency in ``package.json``:
``.ci/run`` installs it with ``npm ci`` and sets ``CRM_WHATSAPP_AXE_JS``; locally the test
runs ``npm ci`` on first use.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_kit import API_TOKEN, DemoService, new_wa_id

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def axe_source() -> str:
    path = Path(os.environ.get("CRM_WHATSAPP_AXE_JS", AXE_JS))
    if not path.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "ci", "--silent", "--no-audit", "--no-fund"], cwd=ROOT, check=False, timeout=300
        )
    if not path.exists():
        message = f"axe-core not found at {path} (run npm ci at the repository's root)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return path.read_text(encoding="utf-8")


@pytest.fixture
def axe_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A page where axe may run: the inbox's CSP forbids injected scripts, which is the point
    of it, so this context alone bypasses it."""
    viewport = getattr(request, "param", DESKTOP)
    context = browser.new_context(viewport=viewport, bypass_csp=True, locale="es-MX")
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def violations(page: Any, axe_source: str) -> list[str]:
    page.evaluate(axe_source)
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(", ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
    ]


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
