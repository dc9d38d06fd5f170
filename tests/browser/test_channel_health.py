"""The inbox tells its admin about the WhatsApp channel: webhook items that could not be
understood (the quarantine), a late webhook backlog, messages sent from the WhatsApp
Business app, and customers who stopped marketing messages.

Real Chromium against a demo service of this module's own: the badge counts the whole
quarantine, so no other module's irregular webhooks may land in it (and the first test, run
first as pytest runs a module in file order, sees it empty). Webhooks are signed as
Meta signs them; the service stores them and reads them right after, so each test waits for
what it posted to show in the API (or, live, in the page).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from axe_kit import axe_violations, load_axe_source
from browser_kit import API_TOKEN, DemoService, new_wa_id, start_demo

from crm_whatsapp.app.demo_data import (
    DEMO_DISPLAY_NUMBER,
    DEMO_PHONE_NUMBER_ID,
    message_webhook_body,
)
from polling import wait_until

HEALTH = "api/v1/salud-canal"
QUARANTINE = "api/v1/entregas-fallidas"
DIALOG_NAME = "Salud del canal de WhatsApp"
LIVE = 30_000  # ms: a live event, then the indicator's next request (at most one per 10 s)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


@pytest.fixture(scope="module")
def health_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoService]:
    service = start_demo(tmp_path_factory.mktemp("health-demo"), "--no-stream")
    yield service
    service.stop()


@pytest.fixture(scope="module")
def axe_js() -> str:
    return load_axe_source()


# -- webhooks, as Meta sends them ---------------------------------------------------------------


def metadata() -> dict[str, str]:
    return {"display_phone_number": DEMO_DISPLAY_NUMBER, "phone_number_id": DEMO_PHONE_NUMBER_ID}


def change(field: str, value: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": field, "value": value}]}],
    }


def good_and_irregular(wa_id: str) -> dict[str, Any]:
    """One body: a customer's text, and the same text without its "id" (not understood)."""
    body = message_webhook_body(
        wa_id=wa_id,
        profile_name="Irregular",
        wamid=f"wamid.health.{wa_id}",
        timestamp=int(time.time()),
        part={"type": "text", "text": {"body": "Hola"}},
    )
    messages = body["entry"][0]["changes"][0]["value"]["messages"]
    irregular = {key: value for key, value in messages[0].items() if key != "id"}
    messages.append(irregular)
    return body


def echo_from_the_business_app(wa_id: str, text: str) -> dict[str, Any]:
    echo = {
        "from": DEMO_DISPLAY_NUMBER,
        "to": wa_id,
        "id": f"wamid.echo.{wa_id}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    value = {"messaging_product": "whatsapp", "metadata": metadata(), "message_echoes": [echo]}
    return change("smb_message_echoes", value)


def stops_marketing(wa_id: str, at: int) -> dict[str, Any]:
    preference = {
        "wa_id": wa_id,
        "detail": "User requested to stop marketing messages",
        "category": "marketing_messages",
        "value": "stop",
        "timestamp": at,
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": metadata(),
        "contacts": [{"wa_id": wa_id, "profile": {"name": "Ana"}}],
        "user_preferences": [preference],
    }
    return change("user_preferences", value)


def quarantine_open(demo: DemoService) -> int:
    answer = demo.http.get(HEALTH)
    answer.raise_for_status()
    count: int = answer.json()["quarantine_open"]
    return count


def quarantine_one(demo: DemoService) -> dict[str, Any]:
    """Post a good message with an irregular one; once read, the irregular item's entry."""
    before = quarantine_open(demo)
    wa_id = new_wa_id()
    demo.post_webhook(good_and_irregular(wa_id))
    wait_until(lambda: quarantine_open(demo) > before, timeout=20, what="the item quarantined")
    items: list[dict[str, Any]] = demo.http.get(QUARANTINE).json()["items"]
    mine = [item for item in items if json.loads(item["raw"]).get("from") == wa_id]
    assert len(mine) == 1, items
    return mine[0]


def conversation(demo: DemoService, wa_id: str) -> dict[str, Any] | None:
    items: list[dict[str, Any]] = demo.api(f"/numero/{wa_id}")["items"]
    return items[0] if items else None


def sign_in(page: Any) -> None:
    page.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', {json.dumps(API_TOKEN)})")


def open_inbox(page: Any, demo: DemoService, query: str = "") -> None:
    page.goto(demo.inbox_url + query)
    page.locator(".conversation-row").first.wait_for()


# -- the quarantine badge and its dialog --------------------------------------------------------


def test_nothing_shows_while_all_is_well_then_the_badge_counts_what_was_not_understood(
    signed_in_page: Any, health_demo: DemoService
) -> None:
    page = signed_in_page
    assert quarantine_open(health_demo) == 0, "this module's demo starts with no quarantine"
    open_inbox(page, health_demo)
    expect(page.locator(".health[data-state='ok']")).to_be_attached()
    expect(page.locator(".health-badge:visible")).to_have_count(0)

    wa_id = new_wa_id()
    health_demo.post_webhook(good_and_irregular(wa_id))
    # the good message arrives live, and the indicator asks again after it
    badge = page.get_by_role("button", name="1 entrega sin entender")
    expect(badge).to_be_visible(timeout=LIVE)
    assert badge.get_attribute("data-count") == "1"
    assert badge.get_attribute("aria-haspopup") == "dialog"
    assert wait_until(lambda: conversation(health_demo, wa_id)), "the good message was stored"
    [item] = health_demo.http.get(QUARANTINE).json()["items"]
    assert item["location"] == "entry[0].changes[0].value.messages[1]"

    badge.click()
    dialog = page.get_by_role("dialog", name=DIALOG_NAME)
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Cerrar")).to_be_focused()
    entry = dialog.locator(f".quarantine-item[data-quarantine-id='{item['id']}']")
    expect(entry.locator(".quarantine-reason")).to_have_text(item["reason"])
    expect(entry.locator(".quarantine-location")).to_have_text(item["location"])
    expect(entry).to_contain_text("messages")  # the field
    expect(dialog.get_by_role("heading", name="Entregas sin entender (1)")).to_be_visible()
    expect(dialog).to_contain_text("crm-whatsapp deliveries replay")
    expect(dialog).to_contain_text("No hay avisos.")

    raw = entry.locator("pre")
    expect(raw).to_be_hidden()  # folded by default
    entry.get_by_text("JSON recibido").click()
    expect(raw).to_be_visible()
    assert json.loads(raw.inner_text()) == json.loads(item["raw"])

    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(badge).to_be_focused()


def test_the_dialog_passes_axe_with_an_item_open(
    browser: Any, axe_js: str, health_demo: DemoService
) -> None:
    quarantine_one(health_demo)
    # the inbox's CSP forbids injected scripts, which is the point of it: axe's context
    # alone bypasses it
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, bypass_csp=True, locale="es-MX"
    )
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page)
        open_inbox(page, health_demo)
        page.locator(".health-quarantine").click()
        dialog = page.get_by_role("dialog", name=DIALOG_NAME)
        dialog.locator(".quarantine-item").first.wait_for()
        assert axe_violations(page, axe_js) == []
        dialog.locator(".quarantine-raw summary").first.click()
        assert axe_violations(page, axe_js) == []
    finally:
        context.close()


def test_in_english_the_badge_and_the_dialog_speak_english(
    signed_in_page: Any, health_demo: DemoService
) -> None:
    page = signed_in_page
    quarantine_one(health_demo)
    count = quarantine_open(health_demo)
    page.add_init_script("localStorage.setItem('crm_whatsapp.lang', 'en')")
    open_inbox(page, health_demo)
    page.get_by_role("button", name=f"{count} deliveries not understood").click()
    dialog = page.get_by_role("dialog", name="WhatsApp channel health")
    expect(
        dialog.get_by_role("heading", name=f"Deliveries not understood ({count})")
    ).to_be_visible()
    expect(dialog).to_contain_text("reads them again")
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_have_count(0)


def test_a_late_backlog_shows_a_warning_and_its_size_in_the_dialog(
    signed_in_page: Any, health_demo: DemoService
) -> None:
    """A backlog cannot be made late on purpose here: the service's answer is replaced."""
    page = signed_in_page
    oldest = datetime.now(UTC) - timedelta(minutes=5)
    late = {
        "pending_deliveries": 7,
        "oldest_pending_at": oldest.isoformat().replace("+00:00", "Z"),
        "oldest_pending_seconds": 300.0,  # the server's count: the browser's clock may differ
        "quarantine_open": 0,
        "events_by_kind": {"quality": 1},
        "other_fields": {},
        "latest_alerts": [
            {
                "id": "alert-1",
                "field": "phone_number_quality_update",
                "kind": "quality",
                "summary": "Quality rating: FLAGGED",
                "account_id": "102290129340398",
                "business_number_id": DEMO_PHONE_NUMBER_ID,
                "received_at": oldest.isoformat().replace("+00:00", "Z"),
            }
        ],
    }
    asked: list[str] = []

    def answer(route: Any) -> None:
        asked.append(route.request.url)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(late))

    page.route("**/api/v1/salud-canal", answer)
    open_inbox(page, health_demo)
    warning = page.get_by_role("button", name="Retraso al procesar webhooks")
    expect(warning).to_be_visible()
    expect(page.locator(".health-quarantine")).to_be_hidden()

    warning.click()
    dialog = page.get_by_role("dialog", name=DIALOG_NAME)
    expect(dialog.locator(".health-backlog")).to_contain_text("7 entregas de webhook esperan")
    alert = dialog.locator(".health-alert[data-kind='quality']")
    expect(alert).to_contain_text("Calidad")
    expect(alert).to_contain_text("Quality rating: FLAGGED")
    dialog.get_by_role("button", name="Cerrar").click()
    expect(warning).to_be_focused()
    # on load and on opening the dialog: no request storm
    assert 1 <= len(asked) <= 3, asked


# -- the chat: the business app's messages, marketing preferences -------------------------------


def test_the_business_app_and_a_marketing_stop_show_in_the_chat_live(
    signed_in_page: Any, health_demo: DemoService
) -> None:
    page = signed_in_page
    wa_id = new_wa_id()
    health_demo.customer_writes(wa_id, "¿Me llaman?", profile_name="Ana")
    found = wait_until(lambda: conversation(health_demo, wa_id), what="the conversation")
    assert found["marketing_opt_out"] is False
    open_inbox(page, health_demo, f"?conversation={found['id']}")
    page.locator("[data-message-id]").first.wait_for()
    expect(page.locator(".chat-marketing")).to_have_count(0)

    health_demo.post_webhook(echo_from_the_business_app(wa_id, "Te llamo"))
    bubble = page.locator(".bubble-out").filter(has_text="Te llamo")
    expect(bubble.locator(".bubble-author.author-phone_app")).to_have_text(
        "WhatsApp Business (teléfono)", timeout=LIVE
    )

    stopped_at = int(time.time())
    health_demo.post_webhook(stops_marketing(wa_id, stopped_at))
    notice = page.locator(".chat-header .chat-marketing")
    expect(notice).to_contain_text("No acepta mensajes de marketing desde", timeout=LIVE)
    stored = conversation(health_demo, wa_id)
    assert stored is not None
    assert stored["marketing_opt_out"] is True
    when = notice.locator("time")
    assert when.get_attribute("datetime") == stored["marketing_preference_at"]
    assert when.inner_text().strip()

    page.locator(".lang-switch").select_option("en")
    expect(bubble.locator(".bubble-author")).to_have_text("WhatsApp Business (phone)")
    expect(notice).to_contain_text("Does not accept marketing messages since")
