"""A player the agent started survives its bubble being drawn again (real Chromium).

Regression: each delivery status (sent, delivered, read) drew the whole bubble anew, and
with it a new ``<audio>``: the voice note the agent was listening to stopped the moment
the customer's phone said "entregado" (and a test that played one failed with Chromium's
"the play() request was interrupted because the media was removed from the document").
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from browser_kit import API_TOKEN, CHROMIUM, CHROMIUM_ARGS
from media_kit import MediaService, running_media_service

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import StatusContext, status_webhook_body
from crm_whatsapp.app.demo_data import (
    DEMO_BUSINESS_ACCOUNT_ID,
    DEMO_DISPLAY_NUMBER,
    DEMO_PHONE_NUMBER_ID,
)
from crm_whatsapp.testing import media_samples
from polling import wait_until

API = "api/v1/conversaciones-whatsapp"


@pytest.fixture(scope="module")
def browser(playwright_instance: Any) -> Iterator[Any]:
    """This module's Chromium plays sound without a click."""
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"],
        headless=True,
    )
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def media() -> Iterator[MediaService]:
    with running_media_service() as service:
        yield service


@pytest.fixture
def inbox(context: Any, page: Any) -> Any:
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")
    return page


def agent_sends_voice_note(media: MediaService, conversation_id: str) -> dict[str, Any]:
    """A voice note sent through the API, once it is sent (it has its wamid)."""
    answer = media.http.post(
        f"{API}/{conversation_id}/mensajes",
        data={"agent": "Ana", "voice": "true"},
        files={"file": ("nota.ogg", media_samples.ogg_opus_voice(6.0), "audio/ogg")},
    )
    assert answer.status_code == 201, answer.text
    message_id = answer.json()["id"]

    def sent() -> dict[str, Any] | None:
        for message in media.messages(conversation_id):
            if (
                message["id"] == message_id
                and (message.get("delivery") or {}).get("status") == "sent"
            ):
                return message
        return None

    return wait_until(sent, what="the voice note sent")


def customer_s_phone_reports(
    media: MediaService, wa_id: str, message: dict[str, Any], status: str
) -> None:
    """Meta's status webhook for ``message``, as the customer's phone moves it on."""
    now = int(time.time())
    context = StatusContext(
        wamid=message["wamid"],
        phone_number_id=DEMO_PHONE_NUMBER_ID,
        recipient_field="to",
        recipient=wa_id,
        is_template=False,
        conversation_id="conv-players",
        sent_at=now,
    )
    media.post_signed(
        status_webhook_body(
            context,
            status,
            now,
            business_account_id=DEMO_BUSINESS_ACCOUNT_ID,
            display_phone_number=DEMO_DISPLAY_NUMBER,
        )
    )


def test_a_voice_note_goes_on_playing_while_its_delivery_status_moves(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    wa_id, conversation_id = media.new_customer()
    media.pause_bot(conversation_id)
    message = agent_sends_voice_note(media, conversation_id)
    page.goto(f"{media.inbox_url}?conversation={conversation_id}")
    page.locator(".live[data-state='live']").wait_for()
    row = page.locator(f"[data-message-id='{message['id']}']")
    row.locator(".tick[data-status='sent']").wait_for()

    row.locator("audio").evaluate(
        """async (a) => {
          window.__player = a;
          a.muted = true;
          await a.play();
          await new Promise((resolve) => {
            const check = () => (a.currentTime > 0.2 ? resolve() : setTimeout(check, 50));
            check();
          });
        }"""
    )
    customer_s_phone_reports(media, wa_id, message, "delivered")
    row.locator(".tick[data-status='delivered']").wait_for()
    customer_s_phone_reports(media, wa_id, message, "read")
    row.locator(".tick[data-status='read']").wait_for()

    player = page.evaluate(
        """(id) => {
          const a = window.__player;
          const shown = document.querySelector(`[data-message-id='${id}'] audio`);
          return { connected: a.isConnected, paused: a.paused, same: a === shown,
                   time: a.currentTime };
        }""",
        message["id"],
    )
    assert player["connected"], player
    assert player["same"], player
    assert not player["paused"], player
    assert player["time"] > 0.2, player
