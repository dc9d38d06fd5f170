"""Files in the inbox and the widget, in real Chromium against the real service.

Customers' files go the way Meta delivers them (a signed webhook naming a media id, then
the service fetches the file in the background: ``media_kit.py``); agents' files go
through the composer (file input, drag and drop, paste, a voice note recorded from
Chromium's fake microphone). What each test proves is in its name and first lines.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from browser_kit import API_TOKEN, CHROMIUM, CHROMIUM_ARGS
from media_kit import MediaService, running_media_service
from test_accessibility import axe_source, violations

from crm_whatsapp.testing import media_samples
from polling import wait_until
from webhook_bodies import body, change, messages_value, status

__all__ = ["axe_source"]  # a fixture, used by name
API = "api/v1/conversaciones-whatsapp"

MEDIA_ARGS = [
    *CHROMIUM_ARGS,
    "--autoplay-policy=no-user-gesture-required",
    # a microphone that needs no permission prompt and plays a tone
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]
RECORD_FORMS = """
window.__forms = [];
const originalFetch = window.fetch;
window.fetch = (input, init) => {
  if (init && init.body instanceof FormData) {
    window.__forms.push([...init.body.entries()].map(([name, value]) => [
      name,
      value instanceof File ? { name: value.name, type: value.type, size: value.size } : value,
    ]));
  }
  return originalFetch(input, init);
};
"""
"""Keeps the fields of every multipart form the page sends (Chromium does not show a
request's file parts to Playwright)."""


@pytest.fixture(scope="module")
def browser(playwright_instance: Any) -> Iterator[Any]:
    """This module's Chromium also plays sound without a click and has a fake microphone."""
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=MEDIA_ARGS, headless=True
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
    context.add_init_script(RECORD_FORMS)
    return page


def forms_sent(page: Any) -> list[dict[str, Any]]:
    """The multipart forms the page sent, each as {field: value or file's name/type/size}."""
    return [dict(form) for form in page.evaluate("window.__forms")]


def open_chat(page: Any, media: MediaService, conversation_id: str) -> None:
    page.goto(f"{media.inbox_url}?conversation={conversation_id}")
    page.locator(".chat-title").filter(has_not_text="…").wait_for()
    page.locator("[data-message-id]").first.wait_for()
    page.locator(".live[data-state='live']").wait_for()


def bubble(page: Any, message_id: str) -> Any:
    return page.locator(f"[data-message-id='{message_id}']")


def loaded(image: Any) -> bool:
    return bool(image.evaluate("img => img.complete && img.naturalWidth > 0"))


def es_size(size: int) -> str:
    """A size as the page writes it in Spanish (units of 1,024, one decimal, comma)."""
    value, unit = float(size), 0
    while value >= 1024 and unit < 3:
        value, unit = value / 1024, unit + 1
    if unit == 0:
        return f"{size} B"
    digits = 0 if value >= 100 else 1
    number = f"{value:.{digits}f}".replace(".", ",")
    return f"{number} {['B', 'kB', 'MB', 'GB'][unit]}"


# -- customers' files ----------------------------------------------------------------------


def test_a_picture_loads_lazily_and_enlarges_in_a_dialog_that_closes(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    wa_id, conversation_id = media.new_customer()
    wamid, _ = media.customer_sends_file(
        wa_id, "image", media_samples.jpeg(640, 480), "image/jpeg", caption="<b>La caja rota</b>"
    )
    message = media.media_settled(conversation_id, wamid)
    open_chat(page, media, conversation_id)

    image = bubble(page, message["id"]).locator(".media-image img")
    image.wait_for()
    wait_until(lambda: loaded(image), what="the picture loaded")
    assert image.get_attribute("loading") == "lazy"
    assert image.get_attribute("decoding") == "async"
    assert image.get_attribute("alt") == "<b>La caja rota</b>"  # the caption, as text
    assert image.evaluate("img => img.naturalWidth") == 640
    box = image.bounding_box()
    assert box["width"] <= 280.5
    assert box["height"] <= 210.5
    assert bubble(page, message["id"]).locator(".bubble-text").inner_text() == "<b>La caja rota</b>"
    assert bubble(page, message["id"]).locator("b").count() == 0

    # keyboard: the thumbnail is a button; Enter opens, Esc closes, focus comes back
    opener = bubble(page, message["id"]).locator(".media-open")
    assert opener.get_attribute("aria-label") == "Ampliar imagen: <b>La caja rota</b>"
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Imagen")
    dialog.wait_for()
    full = dialog.locator("img")
    wait_until(lambda: loaded(full), what="the enlarged picture loaded")
    assert dialog.locator("figcaption").inner_text() == "<b>La caja rota</b>"
    assert page.evaluate("document.activeElement.textContent") == "Cerrar"
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert page.evaluate("document.activeElement.classList.contains('media-open')")

    # the mouse, and the close button
    opener.click()
    dialog.wait_for()
    dialog.get_by_role("button", name="Cerrar").click()
    dialog.wait_for(state="detached")


def test_a_voice_note_has_a_lazy_player_and_chromium_decodes_its_ogg_opus(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    wa_id, conversation_id = media.new_customer()
    voice = media_samples.ogg_opus_voice(2.0)
    wamid, _ = media.customer_sends_file(wa_id, "audio", voice, "audio/ogg", voice=True)
    message = media.media_settled(conversation_id, wamid)
    assert message["media"]["voice"] is True
    open_chat(page, media, conversation_id)

    row = bubble(page, message["id"])
    player = row.locator("audio")
    player.wait_for()
    assert "Nota de voz" in row.inner_text()
    assert player.get_attribute("preload") == "none"
    assert player.get_attribute("controls") is not None
    assert player.evaluate("a => a.src").startswith(f"{media.base_url}/api/v1/medios/")
    assert "firma=" in player.evaluate("a => a.src")
    # nothing was downloaded before playing
    assert player.evaluate("a => a.readyState") == 0

    played = player.evaluate(
        """async (a) => {
          await a.play();
          await new Promise((resolve) => {
            const check = () => (a.currentTime > 0.2 ? resolve() : setTimeout(check, 50));
            check();
          });
          a.pause();
          return { duration: a.duration, time: a.currentTime, error: a.error && a.error.code };
        }"""
    )
    assert played["error"] is None
    assert played["duration"] == pytest.approx(2.0, abs=0.1)  # finite: decoded, not guessed
    assert played["time"] > 0.2


def test_a_document_is_a_card_with_its_name_size_and_a_download_link(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    wa_id, conversation_id = media.new_customer()
    content = media_samples.pdf("Factura de marzo") + b"%" + b"x" * (1_250_000) + b"\n"
    wamid, _ = media.customer_sends_file(
        wa_id, "document", content, "application/pdf", filename="factura_marzo.pdf"
    )
    message = media.media_settled(conversation_id, wamid)
    open_chat(page, media, conversation_id)

    card = bubble(page, message["id"]).locator(".media-document")
    card.wait_for()
    assert card.locator(".file-name").inner_text() == "factura_marzo.pdf"
    assert es_size(len(content)) == "1,2 MB"
    assert card.locator(".media-doc-size").inner_text() == "1,2 MB · PDF"
    link = card.get_by_role("link", name="Descargar factura_marzo.pdf")
    href = link.get_attribute("href")
    assert link.get_attribute("download") == "factura_marzo.pdf"
    # the signed link works without the token, as a download
    answer = page.request.get(href)
    assert answer.status == 200
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert "factura_marzo.pdf" in answer.headers["content-disposition"]
    assert answer.body() == content
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "factura_marzo.pdf"


def test_a_video_has_a_lazy_player_of_a_fixed_size(inbox: Any, media: MediaService) -> None:
    page = inbox
    wa_id, conversation_id = media.new_customer()
    wamid, _ = media.customer_sends_file(
        wa_id, "video", media_samples.mp4_video(1.0), "video/mp4", caption="El envío"
    )
    message = media.media_settled(conversation_id, wamid)
    open_chat(page, media, conversation_id)
    video = bubble(page, message["id"]).locator("video")
    video.wait_for()
    assert video.get_attribute("preload") == "none"
    assert video.get_attribute("controls") is not None
    box = video.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (280, 158)


def test_a_sticker_is_a_small_picture_without_the_bubble(inbox: Any, media: MediaService) -> None:
    page = inbox
    wa_id, conversation_id = media.new_customer()
    wamid, _ = media.customer_sends_file(
        wa_id, "sticker", media_samples.webp_sticker(), "image/webp"
    )
    message = media.media_settled(conversation_id, wamid)
    open_chat(page, media, conversation_id)
    row = bubble(page, message["id"])
    image = row.locator(".media-sticker img")
    image.wait_for()
    wait_until(lambda: loaded(image), what="the sticker loaded")
    assert image.get_attribute("alt") == "Sticker"
    assert "bubble-bare" in (row.get_attribute("class") or "")
    assert row.evaluate("el => getComputedStyle(el).backgroundColor") == "rgba(0, 0, 0, 0)"
    box = image.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (128, 128)


def test_a_file_still_downloading_shows_a_placeholder_of_the_pictures_size(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    wa_id, conversation_id = media.new_customer()
    wamid, _ = media.customer_sends_file(
        wa_id, "image", media_samples.jpeg(), "image/jpeg", reachable=False
    )
    message = wait_until(lambda: media.message(conversation_id, wamid), what="the message")
    assert message["media"]["status"] == "pending"
    open_chat(page, media, conversation_id)
    placeholder = bubble(page, message["id"]).locator(".media-pending")
    placeholder.wait_for()
    assert "Descargando archivo…" in placeholder.inner_text()
    assert "Imagen" in placeholder.inner_text()
    assert bubble(page, message["id"]).locator("img").count() == 0
    box = placeholder.bounding_box()
    assert (round(box["width"]), round(box["height"])) == (280, 210)  # the picture's box


def test_a_failed_file_shows_why_and_a_retry_fetches_it_and_redraws_it_live(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    wa_id, conversation_id = media.new_customer()
    wamid, media_id = media.customer_sends_file(wa_id, "image", None, "image/jpeg")
    message = media.media_settled(conversation_id, wamid, status="failed")
    assert message["media"]["retry_url"]
    open_chat(page, media, conversation_id)
    page.evaluate("window.__sameDocument = true")

    failed = bubble(page, message["id"]).locator(".media-failed")
    failed.wait_for()
    assert "No se pudo descargar el archivo" in failed.inner_text()
    assert message["media"]["error"] in failed.inner_text()
    retry = failed.get_by_role("button", name="Reintentar")

    media.gateway.add_media(media_id, media_samples.jpeg(120, 90), "image/jpeg")
    with page.expect_request(
        lambda request: request.method == "POST" and request.url.endswith("/reintentar")
    ) as asked:
        retry.click()
    assert asked.value.headers["authorization"] == f"Bearer {API_TOKEN}"
    # the 202's message (pending) is drawn at once; the live event then brings the picture
    image = bubble(page, message["id"]).locator(".media-image img")
    image.wait_for(timeout=20_000)
    wait_until(lambda: loaded(image), what="the fetched picture loaded")
    assert bubble(page, message["id"]).locator(".media-failed").count() == 0
    assert page.evaluate("window.__sameDocument") is True


def test_a_file_deleted_by_retention_says_so(inbox: Any, media: MediaService) -> None:
    """Pruning is a command of the backend; the page only draws the state it is given."""
    page = inbox
    wa_id, conversation_id = media.new_customer()
    wamid, _ = media.customer_sends_file(
        wa_id, "document", media_samples.pdf(), "application/pdf", filename="viejo.pdf"
    )
    message = media.media_settled(conversation_id, wamid)

    def pruned(route: Any) -> None:
        body = route.fetch().json()
        for item in body["items"]:
            if item["id"] == message["id"]:
                item["media"].update(status="pruned", url=None)
        route.fulfill(json=body)

    page.route(re.compile(r"/mensajes(\?|$)"), pruned)
    open_chat(page, media, conversation_id)
    state = bubble(page, message["id"]).locator(".media-pruned")
    state.wait_for()
    assert "Archivo eliminado por la política de retención" in state.inner_text()
    assert "viejo.pdf" in state.inner_text()
    assert bubble(page, message["id"]).locator("a").count() == 0
    page.unroute_all(behavior="ignoreErrors")


def scroll_to_the_start(page: Any) -> None:
    """Up the chat until its first message (each page of older messages loads on the way)."""
    viewport = page.locator(".messages")
    for _ in range(100):
        viewport.evaluate("el => { el.scrollTop = 0 }")
        page.wait_for_timeout(100)
        # the last older page keeps the view where it was (scroll anchoring): at the top
        # only once the first message is loaded and the view stayed at 0
        at_top = viewport.evaluate("el => el.scrollTop === 0")
        if at_top and page.locator(".chat-top", has_text="Inicio de la conversación").count():
            return
    raise AssertionError("the chat never reached its first message")


def test_a_file_retried_far_up_a_long_chat_is_redrawn_from_its_own_page(
    inbox: Any, media: MediaService
) -> None:
    """The live event names a message older than the newest page: the page it came in is
    listed again (with its cursor), not the whole chat."""
    page = inbox
    wa_id, conversation_id = media.new_customer()
    media.pause_bot(conversation_id)
    wamid, media_id = media.customer_sends_file(wa_id, "image", None, "image/jpeg", ago=300)
    message = media.media_settled(conversation_id, wamid, status="failed")
    media.post_many(wa_id, [f"Mensaje posterior {i}" for i in range(70)])
    wait_until(lambda: len(media.messages(conversation_id)) >= 72, what="the later messages")
    open_chat(page, media, conversation_id)
    assert bubble(page, message["id"]).count() == 0  # not on the newest page
    scroll_to_the_start(page)
    retry = bubble(page, message["id"]).get_by_role("button", name="Reintentar")
    retry.wait_for()

    media.gateway.add_media(media_id, media_samples.jpeg(100, 80), "image/jpeg")
    with page.expect_request(
        lambda request: "/mensajes?" in request.url and "cursor=" in request.url, timeout=20_000
    ) as again:
        retry.click()
        image = bubble(page, message["id"]).locator(".media-image img")
        image.wait_for(timeout=20_000)
    assert "limit=50" in again.value.url
    wait_until(lambda: loaded(image), what="the fetched picture loaded")


def test_an_expired_link_is_renewed_when_its_file_comes_into_view(browser: Any) -> None:
    """Links live 10 s here: a picture first drawn after its link expired is listed
    again for a fresh link (one 403, then the picture), and an expired document link still
    downloads."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX")
    context.set_default_timeout(10_000)
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")
    with running_media_service(link_seconds=10) as media:
        try:
            page = context.new_page()
            wa_id, conversation_id = media.new_customer()
            media.pause_bot(conversation_id)
            image_wamid, _ = media.customer_sends_file(
                wa_id, "image", media_samples.jpeg(), "image/jpeg", ago=300
            )
            doc_wamid, _ = media.customer_sends_file(
                wa_id, "document", media_samples.pdf(), "application/pdf",
                filename="contrato.pdf", ago=299,
            )  # fmt: skip
            image_message = media.media_settled(conversation_id, image_wamid)
            media.media_settled(conversation_id, doc_wamid)
            media.post_many(wa_id, [f"Texto {i}" for i in range(40)])
            wait_until(lambda: len(media.messages(conversation_id)) >= 43, what="the texts")
            files: list[tuple[str, int]] = []
            page.on(
                "response",
                lambda r: files.append((r.url, r.status)) if "/api/v1/medios/" in r.url else None,
            )
            open_chat(page, media, conversation_id)
            assert bubble(page, image_message["id"]).count() == 0  # above the drawn rows
            page.wait_for_timeout(11_000)  # every link the page holds has expired

            scroll_to_the_start(page)
            image = bubble(page, image_message["id"]).locator(".media-image img")
            image.wait_for()
            wait_until(lambda: loaded(image), timeout=15, what="the picture, on a fresh link")
            statuses = [status for url, status in files if image_message["id"] in url]
            assert statuses[0] == 403
            assert statuses[-1] == 200
            link = page.get_by_role("link", name="Descargar contrato.pdf")
            with page.expect_download() as download:
                link.click()
            assert download.value.suggested_filename == "contrato.pdf"
        finally:
            context.close()


# -- agents' files ---------------------------------------------------------------------------


def sent_message(media: MediaService, conversation_id: str, kind: str) -> dict[str, Any]:
    def found() -> dict[str, Any] | None:
        for message in media.messages(conversation_id):
            if message["direction"] == "outbound" and message["kind"] == kind:
                return message
        return None

    return wait_until(found, what=f"the agent's {kind}")


def test_an_agent_attaches_a_png_with_a_caption_and_sends_it_as_multipart(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    page.add_init_script("localStorage.setItem('crm_whatsapp.agent', 'Lupita')")
    _, conversation_id = media.new_customer()
    open_chat(page, media, conversation_id)
    picture = media_samples.png(200, 150)

    attach = page.get_by_role("button", name="Adjuntar archivo")
    assert attach.is_visible()
    page.locator(".composer input[type=file]").set_input_files(
        files=[{"name": "plano <1>.png", "mimeType": "image/png", "buffer": picture}]
    )
    chip = page.locator(".attachment-chip")
    chip.wait_for()
    assert "plano <1>.png" in chip.inner_text()
    assert es_size(len(picture)) in chip.inner_text()
    assert chip.get_by_role("button", name="Quitar plano <1>.png").count() == 1
    text_box = page.get_by_label("Mensaje", exact=True)
    assert text_box.get_attribute("placeholder") == "Añade un comentario (opcional)"
    text_box.fill("Este es el plano")

    with page.expect_request(
        lambda request: request.method == "POST" and request.url.endswith("/mensajes")
    ) as asked:
        page.get_by_role("button", name="Enviar", exact=True).click()
    assert asked.value.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert forms_sent(page) == [
        {
            "agent": "Lupita",
            "take_over": "true",
            "caption": "Este es el plano",
            "file": {"name": "plano <1>.png", "type": "image/png", "size": len(picture)},
        }
    ]

    mine = page.locator(
        "[data-direction='outbound'][data-kind='image']", has_text="Este es el plano"
    )
    mine.wait_for()
    image = mine.locator(".media-image img")
    image.wait_for()
    wait_until(lambda: loaded(image), what="our own picture loaded")
    assert chip.count() == 0
    assert text_box.input_value() == ""
    stored = sent_message(media, conversation_id, "image")
    assert stored["text"] == "Este es el plano"
    assert stored["media"]["sha256"] == hashlib.sha256(picture).hexdigest()  # every byte came
    assert stored["author"] == {"kind": "agent", "name": "Lupita"}
    wait_until(lambda: any(s.kind and s.kind.value == "image" for s in media.gateway.sent),
               what="the outbox sent the picture to WhatsApp")  # fmt: skip


def test_a_file_dropped_on_the_chat_is_highlighted_attached_and_sent(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    _, conversation_id = media.new_customer()
    open_chat(page, media, conversation_id)
    hint = page.locator(".drop-hint")
    assert hint.is_hidden()
    data = page.evaluate_handle(
        """() => {
          const data = new DataTransfer();
          const text = 'Lista de precios\\n';
          data.items.add(new File([text], 'precios.txt', { type: 'text/plain' }));
          return data;
        }"""
    )
    target = page.locator(".messages")
    target.dispatch_event("dragenter", {"dataTransfer": data})
    target.dispatch_event("dragover", {"dataTransfer": data})
    hint.wait_for()
    assert hint.inner_text() == "Suelta el archivo para adjuntarlo"
    assert "drop-active" in (page.locator(".chat-body").get_attribute("class") or "")
    target.dispatch_event("drop", {"dataTransfer": data})
    assert hint.is_hidden()
    page.locator(".attachment-chip", has_text="precios.txt").wait_for()
    page.get_by_role("button", name="Enviar", exact=True).click()
    card = page.locator("[data-direction='outbound'][data-kind='document'] .media-document")
    card.wait_for()
    assert card.locator(".file-name").inner_text() == "precios.txt"
    assert sent_message(media, conversation_id, "document")["media"]["filename"] == "precios.txt"


def test_a_picture_pasted_into_the_text_box_is_attached(inbox: Any, media: MediaService) -> None:
    page = inbox
    _, conversation_id = media.new_customer()
    open_chat(page, media, conversation_id)
    page.get_by_label("Mensaje", exact=True).evaluate(
        """(box, bytes) => {
          const data = new DataTransfer();
          data.items.add(new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' }));
          box.focus();
          box.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
        }""",
        list(media_samples.png()),
    )
    chip = page.locator(".attachment-chip", has_text="image.png")
    chip.wait_for()
    chip.get_by_role("button", name="Quitar image.png").click()
    chip.wait_for(state="detached")


def test_the_services_refusals_are_explained_with_its_own_message(
    inbox: Any, media: MediaService
) -> None:
    """415: a type WhatsApp refuses; 413: larger than the service takes."""
    page = inbox
    _, conversation_id = media.new_customer()
    open_chat(page, media, conversation_id)
    file_input = page.locator(".composer input[type=file]")
    error = page.locator(".composer-error")

    file_input.set_input_files(
        files=[{"name": "web.html", "mimeType": "text/html", "buffer": media_samples.html_page()}]
    )
    page.locator(".attachment-chip").wait_for()
    page.get_by_role("button", name="Enviar", exact=True).click()
    wait_until(lambda: error.inner_text().strip() != "", what="the 415 explained")
    assert error.inner_text().startswith("WhatsApp no admite este tipo de archivo. (")
    assert page.locator(".attachment-chip").count() == 1  # kept, to remove or replace

    big = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)
    file_input.set_input_files(
        files=[{"name": "enorme.pdf", "mimeType": "application/pdf", "buffer": big}]
    )
    page.locator(".attachment-chip", has_text="enorme.pdf").wait_for()
    page.get_by_role("button", name="Enviar", exact=True).click()
    wait_until(
        lambda: error.inner_text().startswith("El archivo es demasiado grande."),
        what="the 413 explained",
    )
    assert [m for m in media.messages(conversation_id) if m["direction"] == "outbound"
            and m["author"]["kind"] == "agent"] == []  # fmt: skip


def test_outside_the_24_hour_window_files_cannot_be_attached(
    inbox: Any, media: MediaService
) -> None:
    page = inbox
    _, conversation_id = media.new_customer()

    def closed(route: Any) -> None:
        body = route.fetch().json()
        body["service_window_closes_at"] = "2000-01-01T00:00:00Z"
        body["service_window_open"] = False
        route.fulfill(json=body)

    page.route(re.compile(rf"/conversaciones-whatsapp/{conversation_id}$"), closed)
    open_chat(page, media, conversation_id)
    wait_until(lambda: page.get_by_role("button", name="Adjuntar archivo").is_disabled())
    assert page.get_by_role("button", name="Grabar nota de voz").is_disabled()
    page.unroute_all(behavior="ignoreErrors")


def test_a_voice_note_is_recorded_stopped_and_sent_as_a_voice_note(
    inbox: Any, media: MediaService
) -> None:
    """Chromium's fake microphone plays a tone: MediaRecorder makes WebM/Opus of it, the
    service remuxes it to OGG/Opus, and the note comes back as a playable voice note."""
    page = inbox
    _, conversation_id = media.new_customer()
    open_chat(page, media, conversation_id)
    page.get_by_role("button", name="Grabar nota de voz").click()
    page.locator(".voice-bar").wait_for()
    clock = page.locator(".voice-clock")
    wait_until(lambda: clock.inner_text() == "0:01", what="a second recorded")
    page.get_by_role("button", name="Cancelar").click()
    page.locator(".voice-bar").wait_for(state="detached")

    page.get_by_role("button", name="Grabar nota de voz").click()
    wait_until(lambda: clock.inner_text() == "0:02", what="two seconds recorded")
    with page.expect_request(
        lambda request: request.method == "POST" and request.url.endswith("/mensajes")
    ) as asked:
        page.get_by_role("button", name="Detener y enviar").click()
    assert asked.value.headers["content-type"].startswith("multipart/form-data; boundary=")
    [form] = forms_sent(page)
    assert form["voice"] == "true"
    assert "caption" not in form
    assert form["file"]["name"] == "nota-de-voz.webm"
    assert form["file"]["type"] == "audio/webm"
    assert form["file"]["size"] > 1000

    mine = page.locator("[data-direction='outbound'][data-kind='audio']")
    mine.wait_for()
    assert "Nota de voz" in mine.inner_text()
    sent = sent_message(media, conversation_id, "audio")
    assert sent["media"]["voice"] is True
    assert sent["media"]["mime_type"].startswith("audio/ogg")
    duration = mine.locator("audio").evaluate(
        """async (a) => {
          a.muted = true;
          await a.play();
          await new Promise((resolve) => {
            const check = () => (a.currentTime > 0 ? resolve() : setTimeout(check, 50));
            check();
          });
          a.pause();
          return a.duration;
        }"""
    )
    assert 1.5 < duration < 4.0


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


def status_update(wamid: str, wa_id: str, value: str) -> dict[str, Any]:
    """Meta's webhook as the customer's phone moves one of our messages on."""
    return body(change("messages", messages_value(statuses=[status(wamid, wa_id, value)])))


def test_a_voice_note_goes_on_playing_while_its_delivery_status_moves(
    inbox: Any, media: MediaService
) -> None:
    """Regression: each delivery status drew the bubble again, and with it a new
    ``<audio>``: the voice note the agent was listening to stopped the moment the customer's
    phone said "entregado" (and the recording test above once failed with "the play()
    request was interrupted because the media was removed from the document")."""
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
    media.post_signed(status_update(message["wamid"], wa_id, "delivered"))
    row.locator(".tick[data-status='delivered']").wait_for()
    media.post_signed(status_update(message["wamid"], wa_id, "read"))
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


def test_without_mediarecorder_there_is_no_microphone_button(
    inbox: Any, context: Any, media: MediaService
) -> None:
    context.add_init_script("delete window.MediaRecorder")
    _, conversation_id = media.new_customer()
    open_chat(inbox, media, conversation_id)
    assert inbox.get_by_role("button", name="Adjuntar archivo").count() == 1
    assert inbox.get_by_role("button", name="Grabar nota de voz").count() == 0


# -- the widget, accessibility, a long chat ---------------------------------------------------


def test_the_widget_shows_files_the_same_way(page: Any, media: MediaService) -> None:
    wa_id, conversation_id = media.new_customer()
    wamid, _ = media.customer_sends_file(
        wa_id, "image", media_samples.jpeg(), "image/jpeg", caption="Desde el widget"
    )
    message = media.media_settled(conversation_id, wamid)
    answer = media.http.put(
        f"api/v1/conversaciones-whatsapp/{conversation_id}/cliente", json={"client_id": "3"}
    )
    answer.raise_for_status()
    page.goto(f"{media.inbox_url}examples/clientes.html?token={API_TOKEN}")
    page.get_by_role("button", name="Miguel López Reyes").click()
    widget = page.locator("crm-whatsapp-conversations")
    widget.locator(f"[data-conversation-id='{conversation_id}']").click()
    image = widget.locator(f"[data-message-id='{message['id']}'] .media-image img")
    image.wait_for()
    wait_until(lambda: loaded(image), what="the picture loaded in the widget")
    widget.locator(".media-open").first.click()
    dialog = widget.get_by_role("dialog", name="Imagen")
    dialog.wait_for()
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")


@pytest.fixture
def axe_inbox(browser: Any) -> Iterator[Any]:
    """The inbox's CSP forbids injected scripts: this context alone bypasses it, for axe."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, bypass_csp=True, locale="es-MX"
    )
    context.set_default_timeout(10_000)
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")
    yield context.new_page()
    context.close()


def test_a_chat_with_every_state_of_file_passes_axe(
    axe_inbox: Any, axe_source: str, media: MediaService
) -> None:
    page = axe_inbox
    wa_id, conversation_id = media.new_customer()
    media.customer_sends_file(wa_id, "image", media_samples.jpeg(), "image/jpeg", caption="Foto")
    media.customer_sends_file(wa_id, "image", media_samples.jpeg(), "image/jpeg")
    media.customer_sends_file(
        wa_id, "audio", media_samples.ogg_opus_voice(), "audio/ogg", voice=True
    )
    media.customer_sends_file(
        wa_id, "document", media_samples.pdf(), "application/pdf", filename="a.pdf"
    )
    media.customer_sends_file(wa_id, "video", media_samples.mp4_video(), "video/mp4")
    media.customer_sends_file(wa_id, "sticker", media_samples.webp_sticker(), "image/webp")
    media.customer_sends_file(wa_id, "image", media_samples.jpeg(), "image/jpeg", reachable=False)
    last, _ = media.customer_sends_file(
        wa_id, "document", None, "application/pdf", filename="b.pdf"
    )
    media.media_settled(conversation_id, last, status="failed")
    open_chat(page, media, conversation_id)
    for state in ("stored", "pending", "failed"):
        page.locator(f".media[data-media-status='{state}']").first.wait_for()
    page.locator(".composer input[type=file]").set_input_files(
        files=[{"name": "plano.png", "mimeType": "image/png", "buffer": media_samples.png()}]
    )
    page.locator(".attachment-chip").wait_for()
    assert violations(page, axe_source) == []
    page.locator(".media-open").first.click()
    page.get_by_role("dialog", name="Imagen").wait_for()
    assert violations(page, axe_source) == []
