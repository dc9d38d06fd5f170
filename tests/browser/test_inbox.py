"""The web inbox in real Chromium against the demo service: what a CRM user sees and does.

Each test adds its own customers (``new_wa_id()``) and finds them by conversation id, so the
tests do not depend on each other or on the demo's generated history.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any

from browser_kit import API, API_TOKEN, DemoService, new_wa_id, wait_until

HOSTILE = [
    "<img src=x onerror=window.__pwned=1>",
    "<script>window.__pwned=1</script>",
    "javascript:window.__pwned=1",
    '"><svg onload=window.__pwned=1>',
]


def row(page: Any, conversation_id: str) -> Any:
    return page.locator(f".conversation-row[data-conversation-id='{conversation_id}']")


def open_chat(page: Any, demo: DemoService, conversation_id: str) -> None:
    page.goto(f"{demo.inbox_url}?conversation={conversation_id}")
    page.locator(".chat-title").filter(has_not_text="…").wait_for()
    page.locator("[data-message-id]").first.wait_for()


def new_customer(demo: DemoService, text: str, name: str | None = None) -> tuple[str, str]:
    """A customer who just wrote: (wa_id, conversation id)."""
    wa_id = new_wa_id()
    demo.customer_writes(wa_id, text, profile_name=name)
    return wa_id, demo.conversation_of(wa_id)["id"]


def test_a_wrong_token_is_refused_and_the_right_one_opens_the_inbox(
    page: Any, demo: DemoService
) -> None:
    page.goto(demo.inbox_url)
    page.get_by_label("Token de la API").fill("not-the-token")
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("Token no válido").wait_for()
    assert page.evaluate("sessionStorage.getItem('crm_whatsapp.token')") is None

    page.get_by_label("Token de la API").fill(API_TOKEN)
    page.get_by_role("button", name="Entrar").click()
    page.locator(".conversation-row").first.wait_for()
    assert page.evaluate("sessionStorage.getItem('crm_whatsapp.token')") == API_TOKEN
    assert page.get_by_role("navigation").get_by_role("link", name="Conversaciones").count() == 1


def test_a_token_in_the_fragment_signs_in_once_and_leaves_the_address_bar(
    page: Any, demo: DemoService
) -> None:
    page.goto(f"{demo.inbox_url}#token={API_TOKEN}")
    page.locator(".conversation-row").first.wait_for()
    assert "token" not in page.url


def test_after_signing_in_the_next_page_opens_but_only_a_local_one(
    page: Any, demo: DemoService
) -> None:
    page.goto(f"{demo.inbox_url}?next=//evil.example/x.html")
    page.get_by_label("Token de la API").fill(API_TOKEN)
    page.get_by_role("button", name="Entrar").click()
    page.locator(".conversation-row").first.wait_for()
    assert page.url.startswith(demo.inbox_url)

    page.evaluate("sessionStorage.clear()")
    page.goto(f"{demo.inbox_url}?next=dashboard.html")
    page.get_by_label("Token de la API").fill(API_TOKEN)
    page.get_by_role("button", name="Entrar").click()
    page.wait_for_url(re.compile(r"/inbox/dashboard\.html"))


def test_the_first_page_of_conversations_appears_newest_first(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    _, conversation_id = new_customer(demo, "Hola, ¿tienen factura?", "Cliente Nuevo")
    requests: list[str] = []
    page.on(
        "request",
        lambda request: requests.append(request.url) if f"/{API}" in request.url else None,
    )
    page.goto(demo.inbox_url)
    first = page.locator(".conversation-row").first
    first.wait_for()
    assert first.get_attribute("data-conversation-id") == conversation_id
    assert "Cliente Nuevo" in first.inner_text()
    assert first.locator("[data-marker='unlinked']").count() == 1

    def same_as_the_api() -> bool:
        expected = [c["id"] for c in demo.api("", limit=50)["items"]]
        shown = page.locator(".conversation-row").evaluate_all(
            "rows => rows.map(r => r.dataset.conversationId)"
        )
        return bool(shown == expected)

    wait_until(same_as_the_api)
    # one request for the page (and the live stream): nothing per row
    pages = [url for url in requests if "eventos" not in url]
    assert len(pages) == 1
    assert "limit=50" in pages[0]


def test_more_conversations_load_while_scrolling(signed_in_page: Any, demo: DemoService) -> None:
    page = signed_in_page
    page.goto(demo.inbox_url)
    rows = page.locator(".conversation-row")
    rows.first.wait_for()
    assert rows.count() == 50
    page.locator(".list-scroller").evaluate("el => { el.scrollTop = el.scrollHeight }")
    wait_until(lambda: rows.count() > 50)
    ids = rows.evaluate_all("rows => rows.map(r => r.dataset.conversationId)")
    assert len(ids) == len(set(ids))


def test_filter_by_number_and_search_text_are_kept_in_the_address(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    word = f"zanahoria{os.getpid()}"
    wa_id, wanted = new_customer(demo, f"Quiero una {word} grande")
    new_customer(demo, "Otro mensaje cualquiera")
    page.goto(demo.inbox_url)
    page.locator(".conversation-row").first.wait_for()

    page.get_by_text("Filtros", exact=True).click()
    page.get_by_label("Número").fill(f"+{wa_id}")
    page.get_by_label("Número").press("Enter")
    wait_until(lambda: page.locator(".conversation-row").count() == 1)
    assert row(page, wanted).count() == 1
    assert f"number=%2B{wa_id}" in page.url

    page.reload()
    wait_until(lambda: page.locator(".conversation-row").count() == 1)
    assert page.get_by_label("Número").input_value() == f"+{wa_id}"

    page.get_by_role("button", name="Limpiar").click()
    wait_until(lambda: page.locator(".conversation-row").count() > 1)
    page.get_by_label("Buscar", exact=True).fill(word)
    page.get_by_label("Buscar", exact=True).press("Enter")
    wait_until(lambda: page.locator(".conversation-row").count() == 1)
    assert row(page, wanted).count() == 1
    assert f"q={word}" in page.url


def test_filter_by_date_shows_what_the_api_returns_for_that_day(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    newest = demo.api("", limit=200)["items"]
    days = sorted({c["last_activity_at"][:10] for c in newest})
    day = days[len(days) // 2] if len(days) > 2 else days[0]
    expected = [c["id"] for c in demo.api("", since=day, until=day, limit=50)["items"]]
    assert expected
    page.goto(demo.inbox_url)
    page.locator(".conversation-row").first.wait_for()
    page.get_by_text("Filtros", exact=True).click()
    page.get_by_label("Desde").fill(day)
    page.get_by_label("Hasta").fill(day)
    page.get_by_role("button", name="Aplicar").click()

    def shown() -> list[str]:
        ids: list[str] = page.locator(".conversation-row").evaluate_all(
            "rows => rows.map(r => r.dataset.conversationId)"
        )
        return ids

    wait_until(lambda: shown() == expected)
    assert f"since={day}" in page.url
    assert f"until={day}" in page.url


def test_the_list_moves_with_the_keyboard(signed_in_page: Any, demo: DemoService) -> None:
    page = signed_in_page
    page.goto(demo.inbox_url)
    rows = page.locator(".conversation-row")
    rows.first.wait_for()
    rows.first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    third = rows.nth(2).get_attribute("data-conversation-id")
    assert page.evaluate("document.activeElement.dataset.conversationId") == third
    page.keyboard.press("Enter")
    page.locator(".chat-title").filter(has_not_text="…").wait_for()
    assert rows.nth(2).get_attribute("aria-current") == "true"
    assert f"conversation={third}" in page.url


def test_every_kind_of_message_is_shown_with_its_details(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    wa_id, conversation_id = new_customer(demo, "Hola, les mando mis datos", "Tipos")
    first = demo.customer_writes(
        wa_id,
        {
            "type": "image",
            "image": {"id": "1", "mime_type": "image/jpeg", "caption": "La caja rota"},
        },
    )
    demo.customer_writes(
        wa_id,
        {
            "type": "document",
            "document": {
                "id": "2",
                "mime_type": "application/pdf",
                "filename": "factura_marzo.pdf",
            },
        },
    )
    demo.customer_writes(
        wa_id,
        {
            "type": "location",
            "location": {
                "latitude": 19.4326,
                "longitude": -99.1332,
                "name": "Mi casa",
                "address": "Av. Reforma 1",
            },
        },
    )
    demo.customer_writes(
        wa_id,
        {
            "type": "contacts",
            "contacts": [
                {
                    "name": {"formatted_name": "Lucía Pérez"},
                    "phones": [{"phone": "+52 55 1111 2222"}],
                }
            ],
        },
    )
    demo.customer_writes(
        wa_id, {"type": "audio", "audio": {"id": "3", "mime_type": "audio/ogg", "voice": True}}
    )
    demo.customer_writes(
        wa_id,
        {
            "type": "text",
            "text": {"body": "¿Les llegó la foto?"},
            "context": {"from": wa_id, "id": first},
        },
    )
    wait_until(lambda: len(demo.messages(conversation_id)) >= 7)
    open_chat(page, demo, conversation_id)

    def bubble(kind: str) -> Any:
        return page.locator(f"[data-direction='inbound'][data-kind='{kind}']").last

    bubble("image").wait_for()
    assert "Imagen" in bubble("image").inner_text()
    assert "La caja rota" in bubble("image").inner_text()
    assert "factura_marzo.pdf" in bubble("document").inner_text()
    location = bubble("location").inner_text()
    assert "Mi casa" in location
    assert "Av. Reforma 1" in location
    assert "19.43260" in location
    assert "Lucía Pérez" in bubble("contacts").inner_text()
    assert "Nota de voz" in bubble("audio").inner_text()
    reply = page.locator("[data-direction='inbound']", has_text="¿Les llegó la foto?")
    assert "La caja rota" in reply.locator(".quote").inner_text()
    outbound = page.locator("[data-direction='outbound']").first
    outbound.wait_for()
    assert outbound.locator(".bubble-author").inner_text() == "Bot"
    assert page.locator(".day-separator").count() >= 1


def test_hostile_text_is_shown_as_text_and_never_runs(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    wa_id = new_wa_id()
    for payload in HOSTILE:
        demo.customer_writes(wa_id, payload, profile_name=HOSTILE[0])
    demo.customer_writes(
        wa_id,
        {"type": "image", "image": {"id": "1", "mime_type": "image/png", "caption": HOSTILE[1]}},
    )
    demo.customer_writes(
        wa_id,
        {
            "type": "document",
            "document": {"id": "2", "mime_type": "text/html", "filename": HOSTILE[3] + ".html"},
        },
    )
    demo.customer_writes(
        wa_id,
        {
            "type": "location",
            "location": {"latitude": 1, "longitude": 2, "name": HOSTILE[2], "address": HOSTILE[0]},
        },
    )
    conversation_id = demo.conversation_of(wa_id)["id"]
    wait_until(lambda: len(demo.messages(conversation_id)) >= 7)

    page.goto(demo.inbox_url)
    list_row = row(page, conversation_id)
    list_row.wait_for()
    assert HOSTILE[0] in list_row.inner_text()
    list_row.click()
    page.locator("[data-kind='location']").wait_for()
    chat_text = page.locator(".chat").inner_text()
    for payload in HOSTILE:
        assert payload in chat_text
    assert HOSTILE[3] + ".html" in chat_text
    # nothing the payloads could have made: the composer's own icons are not in .messages
    assert page.locator(".messages img, .messages svg, .chat script, .chat iframe").count() == 0
    assert page.locator(".chat a").count() == 0
    page.wait_for_timeout(300)
    assert page.evaluate("window.__pwned") is None
    assert dialogs == []


def test_an_agent_reply_appears_at_once_and_its_ticks_turn_blue_live(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    page.add_init_script("localStorage.setItem('crm_whatsapp.agent', 'Lupita')")
    _, conversation_id = new_customer(demo, "¿Me pueden llamar?", "Respuesta")
    open_chat(page, demo, conversation_id)
    page.evaluate("window.__sameDocument = true")
    assert "Ventana de 24 h" in page.locator(".window-line").inner_text()
    page.get_by_label("Mensaje", exact=True).fill("Claro, le llamamos en 5 minutos")
    page.get_by_label("Mensaje", exact=True).press("Enter")

    mine = page.locator("[data-direction='outbound']", has_text="Claro, le llamamos en 5 minutos")
    mine.wait_for()
    assert mine.locator(".bubble-author").inner_text() == "Lupita"
    # the fake Graph API posts sent, delivered and read; the page hears them live
    mine.locator(".tick[data-status='read']").wait_for()
    assert mine.locator(".tick").get_attribute("class") == "tick tick-read"
    assert page.evaluate("window.__sameDocument") is True
    stored = [
        m for m in demo.messages(conversation_id) if m["text"] == "Claro, le llamamos en 5 minutos"
    ]
    assert stored
    assert stored[0]["author"] == {"kind": "agent", "name": "Lupita"}


def test_a_new_customer_message_and_the_bot_reply_arrive_without_reloading(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    wa_id, conversation_id = new_customer(demo, "Primera pregunta", "En vivo")
    open_chat(page, demo, conversation_id)
    page.evaluate("window.__sameDocument = true")
    page.locator(".live[data-state='live']").wait_for()
    demo.customer_writes(wa_id, "Segunda pregunta, en directo")
    page.locator("[data-direction='inbound']", has_text="Segunda pregunta, en directo").wait_for()
    assert "Segunda pregunta" in page.locator("[aria-live='polite']").inner_text()

    # every bot reply the API has read, the page shows read: ticks updated live
    def replies_read() -> int:
        replies = [m for m in demo.messages(conversation_id) if m["direction"] == "outbound"]
        done = all((m["delivery"] or {}).get("status") == "read" for m in replies)
        return len(replies) if done else 0

    replies = wait_until(replies_read)
    ticks = page.locator("[data-direction='outbound'] .tick[data-status='read']")
    wait_until(lambda: ticks.count() == replies)
    assert row(page, conversation_id).get_attribute("data-conversation-id") == (
        page.locator(".conversation-row").first.get_attribute("data-conversation-id")
    )
    assert page.evaluate("window.__sameDocument") is True


def test_opening_another_chat_shows_only_its_messages(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    _, first = new_customer(demo, "Mensaje de la primera", "Primera")
    _, second = new_customer(demo, "Mensaje de la segunda", "Segunda")
    open_chat(page, demo, first)
    row(page, second).click()
    page.locator("[data-direction='inbound']", has_text="Mensaje de la segunda").wait_for()
    expected = {m["id"] for m in demo.messages(second)}

    def shown() -> set[str]:
        ids: list[str] = page.locator("[data-message-id]").evaluate_all(
            "bubbles => bubbles.map(b => b.dataset.messageId)"
        )
        return set(ids)

    wait_until(lambda: shown() == expected)
    assert page.locator(".chat-title").inner_text() == "Segunda"


def test_the_api_message_is_shown_when_the_window_closed_meanwhile(
    signed_in_page: Any, demo: DemoService
) -> None:
    """The page thinks the window is open (an old answer), the API knows better: 409."""
    page = signed_in_page
    closed = _window_closed(demo)

    def pretend_open(route: Any) -> None:
        body = route.fetch().json()
        body["service_window_closes_at"] = "2999-01-01T00:00:00Z"
        body["service_window_open"] = True
        route.fulfill(json=body)

    page.route(re.compile(rf"/{API}/{closed['id']}$"), pretend_open)
    open_chat(page, demo, closed["id"])
    page.get_by_label("Mensaje", exact=True).fill("Hola de nuevo")
    page.get_by_role("button", name="Enviar", exact=True).click()
    alert = page.locator(".composer-error")
    wait_until(lambda: alert.inner_text().strip() != "")
    assert "24" in alert.inner_text()
    page.unroute_all(behavior="ignoreErrors")


def test_take_over_and_give_back_to_the_bot(signed_in_page: Any, demo: DemoService) -> None:
    page = signed_in_page
    page.add_init_script("localStorage.setItem('crm_whatsapp.agent', 'Marta')")
    _, conversation_id = new_customer(demo, "Necesito ayuda", "Relevo")
    open_chat(page, demo, conversation_id)
    page.get_by_role("button", name="Tomar conversación").click()
    page.locator(".chat-bot-state[data-bot-paused='true']").wait_for()
    assert "Marta" in page.locator(".chat-bot-state").inner_text()
    row(page, conversation_id).locator("[data-marker='paused']").wait_for()
    state = demo.api(f"/{conversation_id}")
    assert state["bot_paused"] is True
    assert state["assigned_agent"] == "Marta"

    page.get_by_role("button", name="Devolver al bot").click()
    page.locator(".chat-bot-state[data-bot-paused='false']").wait_for()
    wait_until(lambda: row(page, conversation_id).locator("[data-marker='paused']").count() == 0)
    assert demo.api(f"/{conversation_id}")["bot_paused"] is False


def test_link_a_client_through_the_dialog_then_unlink(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    _, conversation_id = new_customer(demo, "Soy cliente pero con otro número", "Vincular")
    open_chat(page, demo, conversation_id)
    page.get_by_role("button", name="Vincular cliente").click()
    dialog = page.get_by_role("dialog", name="Vincular cliente")
    dialog.get_by_label("Buscar cliente (nombre o ID)").fill("Castillo")
    dialog.locator("[data-client-id='2']").click()
    page.locator(".chat-client", has_text="Francisco Castillo Núñez").wait_for()
    row(page, conversation_id).locator("[data-marker='linked']").wait_for()
    linked = demo.api(f"/{conversation_id}")
    assert linked["client"] == {"id": "2", "name": "Francisco Castillo Núñez"}
    assert linked["client_linked_manually"] is True

    page.get_by_role("button", name="Desvincular").click()
    page.locator(".chat-client", has_text="Sin cliente vinculado").wait_for()
    assert demo.api(f"/{conversation_id}")["client"] is None


def test_mark_as_read_clears_the_unread_badge(signed_in_page: Any, demo: DemoService) -> None:
    page = signed_in_page
    _, conversation_id = new_customer(demo, "Uno sin leer", "Leída")
    wait_until(lambda: demo.api(f"/{conversation_id}")["unread_count"] > 0)
    open_chat(page, demo, conversation_id)
    row(page, conversation_id).locator(".badge").wait_for()
    page.get_by_role("button", name="Marcar como leída").click()
    wait_until(lambda: row(page, conversation_id).locator(".badge").count() == 0)
    assert demo.api(f"/{conversation_id}")["unread_count"] == 0


def test_a_rejected_token_returns_to_the_sign_in_screen(
    context: Any, page: Any, demo: DemoService
) -> None:
    context.add_init_script("sessionStorage.setItem('crm_whatsapp.token', 'expired-token')")
    page.goto(demo.inbox_url)
    page.get_by_label("Token de la API").wait_for()
    assert "caducado" in page.locator(".notice").inner_text()
    assert page.evaluate("sessionStorage.getItem('crm_whatsapp.token')") is None


def test_sign_out_forgets_the_token(page: Any, demo: DemoService) -> None:
    page.goto(f"{demo.inbox_url}#token={API_TOKEN}")
    page.locator(".conversation-row").first.wait_for()
    page.get_by_role("button", name="Salir").click()
    page.get_by_label("Token de la API").wait_for()
    assert page.evaluate("sessionStorage.getItem('crm_whatsapp.token')") is None


def test_switching_to_english_changes_the_labels(signed_in_page: Any, demo: DemoService) -> None:
    page = signed_in_page
    _, conversation_id = new_customer(demo, "Hello?", "Inglés")
    open_chat(page, demo, conversation_id)
    page.get_by_label("Idioma", exact=True).select_option("en")
    page.get_by_role("button", name="Take over").wait_for()
    assert page.get_by_role("link", name="Conversations").count() == 1
    assert page.get_by_role("button", name="Send", exact=True).count() == 1
    assert page.evaluate("document.documentElement.lang") == "en"
    page.reload()
    page.get_by_role("button", name="Sign out").wait_for()
    page.get_by_label("Language", exact=True).select_option("es")
    page.get_by_role("button", name="Salir").wait_for()


def test_at_phone_width_one_pane_shows_at_a_time(browser: Any, demo: DemoService) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="es-MX")
    context.set_default_timeout(10_000)
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        _, conversation_id = new_customer(demo, "Desde el móvil", "Teléfono")
        page.goto(demo.inbox_url)
        list_row = row(page, conversation_id)
        list_row.wait_for()
        assert page.locator(".pane-chat").is_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        list_row.click()
        page.locator("[data-message-id]").first.wait_for()
        assert page.locator(".pane-list").is_hidden()
        assert page.get_by_label("Mensaje", exact=True).is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        page.get_by_role("button", name="Volver a la lista").click()
        list_row.wait_for(state="visible")
        assert page.locator(".pane-chat").is_hidden()
        assert errors == []
    finally:
        context.close()


def test_a_long_chat_keeps_only_the_visible_messages_in_the_page(
    signed_in_page: Any, demo: DemoService
) -> None:
    """600 messages: pages of 50 load while scrolling up, the DOM holds a window of them,
    and the message at the top of the view stays put when older ones are added above."""
    page = signed_in_page
    wa_id = new_wa_id()
    start = int(datetime(2026, 1, 5, 9).timestamp())
    for batch in range(0, 600, 100):
        bodies = [
            {"type": "text", "text": {"body": f"Mensaje {i}" + " con más texto" * (i % 4)}}
            for i in range(batch, batch + 100)
        ]
        demo.post_webhook(_many(wa_id, bodies, start + batch * 60))
    conversation_id = demo.conversation_of(wa_id)["id"]

    # older pages arrive late, to look at the page while they load
    page.add_init_script(_SLOW_OLDER_PAGES)
    open_chat(page, demo, conversation_id)
    viewport = page.locator(".messages")
    viewport.evaluate("el => { el.scrollTop = 0 }")
    page.locator(".chat-top", has_text="Cargando mensajes anteriores").wait_for()
    top = page.evaluate(_TOP_BUBBLE)
    assert top is not None
    page.locator(".chat-top", has_text="Cargando").wait_for(state="detached")
    page.wait_for_timeout(200)
    assert abs(page.evaluate(f"id => {_POSITION}", top[0]) - top[1]) <= 1
    page.evaluate("window.__olderPagesDelay = 0")

    for _ in range(100):
        if page.locator(".chat-top", has_text="Inicio de la conversación").count():
            break
        viewport.evaluate("el => { el.scrollTop = Math.max(0, el.scrollTop - 3000) }")
        page.wait_for_timeout(60)
        assert page.locator("[data-message-id]").count() < 80
    viewport.evaluate("el => { el.scrollTop = 0 }")
    page.locator("[data-kind='text'] .bubble-text", has_text=re.compile(r"^Mensaje 0$")).wait_for()
    assert page.locator("[data-message-id]").count() < 80


_SLOW_OLDER_PAGES = """
window.__olderPagesDelay = 400;
const originalFetch = window.fetch;
window.fetch = (input, init) => {
  const url = String(input);
  if (!url.includes('/mensajes?') || !url.includes('cursor=')) return originalFetch(input, init);
  return new Promise((resolve) => setTimeout(resolve, window.__olderPagesDelay))
    .then(() => originalFetch(input, init));
};
"""
_TOP_BUBBLE = """() => {
  const view = document.querySelector('.messages').getBoundingClientRect();
  const el = [...document.querySelectorAll('[data-message-id]')]
    .find((b) => b.getBoundingClientRect().top >= view.top);
  return el ? [el.dataset.messageId, el.getBoundingClientRect().top] : null;
}"""
_POSITION = (
    'document.querySelector(`[data-message-id="${id}"]`)?.getBoundingClientRect().top ?? null'
)


def _window_closed(demo: DemoService) -> dict[str, Any]:
    """A conversation from the demo's history whose customer last wrote over a day ago."""
    for conversation in demo.api("", limit=200)["items"]:
        if conversation["last_inbound_at"] and not conversation["service_window_open"]:
            return conversation  # type: ignore[no-any-return]
    raise AssertionError("the demo history has conversations older than a day")


def _many(wa_id: str, parts: list[dict[str, Any]], timestamp: int) -> dict[str, Any]:
    """One webhook body with several messages from one customer, as Meta may send them."""
    from crm_whatsapp.app.demo_data import message_webhook_body

    body = message_webhook_body(
        wa_id=wa_id,
        profile_name="Larga",
        wamid=f"wamid.long.{wa_id}.{timestamp}.0",
        timestamp=timestamp,
        part=parts[0],
    )
    value = body["entry"][0]["changes"][0]["value"]
    for index, part in enumerate(parts[1:], start=1):
        value["messages"].append(
            {
                "from": wa_id,
                "id": f"wamid.long.{wa_id}.{timestamp}.{index}",
                "timestamp": str(timestamp + index * 60),
                **part,
            }
        )
    return body
