"""Templates in real Chromium: the picker fed by the synced catalogue, a field per value with
a live preview, what Meta receives, templates that cannot go, and conversations the CRM
starts (the inbox's "Nueva conversación", the widget's "Enviar WhatsApp").

The service runs in this process beside the fake Graph API (``template_kit``), which holds
the demo's Spanish catalogue, checks template sends as Meta does and keeps every request:
the tests read there what "Meta" received.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from axe_kit import axe_violations, load_axe_source
from browser_kit import API_TOKEN
from template_kit import TemplateService, running_template_service
from widget_kit import client_token

from polling import wait_until

HOSTILE = "<img src=x onerror=window.__pwned=1>"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def service() -> Iterator[TemplateService]:
    with running_template_service() as running:
        yield running


@pytest.fixture
def axe_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A signed-in page where axe may run: the inbox's CSP forbids injected scripts (and
    axe's inline styles), so this context alone bypasses it."""
    viewport = getattr(request, "param", DESKTOP)
    context = browser.new_context(viewport=viewport, bypass_csp=True, locale="es-MX")
    context.set_default_timeout(10_000)
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")
    yield context.new_page()
    context.close()


@pytest.fixture
def signed_in(context: Any, page: Any) -> Any:
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{API_TOKEN}')")
    return page


def open_chat(page: Any, service: TemplateService, conversation_id: str) -> None:
    page.goto(f"{service.inbox_url}?conversation={conversation_id}")
    page.locator(".chat-title").filter(has_not_text="…").wait_for()
    page.locator("[data-message-id]").first.wait_for()


def open_picker(page: Any) -> Any:
    """The composer's template picker, unfolded, its catalogue loaded."""
    page.locator(".template-form summary").click()
    picker = page.locator(".composer .template-picker")
    picker.locator(".template-choice").first.wait_for()
    return picker


def choice(picker: Any, name: str, language: str = "es") -> Any:
    return picker.locator(f".template-choice[data-template='{name}'][data-language='{language}']")


def pick(picker: Any, name: str, language: str = "es") -> Any:
    """Search the template by name and choose it; its form."""
    picker.get_by_label("Buscar plantilla").fill(name)
    choice(picker, name, language).locator("input").check()
    form = picker.locator(f".template-fill[data-template='{name}']")
    form.wait_for()
    return form


def new_conversation(page: Any, service: TemplateService) -> Any:
    """The inbox's "Nueva conversación" dialog, opened."""
    page.goto(service.inbox_url)
    page.get_by_role("button", name="Nueva conversación").click()
    return page.get_by_role("dialog", name="Nueva conversación")


def search_client(dialog: Any, query: str) -> None:
    """Make the recipient a CRM client, and search the clients for ``query``."""
    dialog.get_by_label("Cliente del CRM").check()
    dialog.get_by_label("Buscar cliente por nombre o id").fill(query)


def closes_once_sent(dialog: Any) -> None:
    """The dialog closes when the service took the template; else say what it showed."""
    try:
        dialog.wait_for(state="detached")
    except Exception as error:
        raise AssertionError(f"the dialog stayed open: {dialog.inner_text()}") from error


def body_values(sent: dict[str, Any]) -> list[dict[str, Any]]:
    parts = [c for c in sent["template"]["components"] if c["type"] == "body"]
    assert len(parts) == 1, sent
    values: list[dict[str, Any]] = parts[0]["parameters"]
    return values


def test_a_template_is_picked_filled_previewed_and_sent_as_meta_expects(
    signed_in: Any, service: TemplateService
) -> None:
    page = signed_in
    wa_id, conversation_id = service.new_customer("¿Dónde está mi pedido?")
    open_chat(page, service, conversation_id)
    picker = open_picker(page)
    # the usable ones come first; a paused one is listed, greyed out, with the reason
    paused = choice(picker, "oferta_verano")
    assert paused.locator("input").is_disabled()
    assert "pausada" in paused.inner_text()

    form = pick(picker, "envio_en_camino")
    send = form.get_by_role("button", name="Enviar plantilla")
    preview = form.locator(".template-bubble")
    assert send.is_disabled()
    assert "{{1}}" in preview.inner_text()
    # Meta's examples are the placeholders
    assert form.get_by_label("{{2}}", exact=True).get_attribute("placeholder") == "Estafeta"

    form.get_by_label("Encabezado {{1}}").fill("P-9001")
    form.get_by_label("{{1}}", exact=True).fill(HOSTILE)
    form.get_by_label("{{2}}", exact=True).fill("DHL")
    assert "Pedido P-9001 en camino" in preview.inner_text()
    assert f"Hola {HOSTILE}, su pedido salió hoy con DHL. Número de guía: {{{{3}}}}" in (
        preview.inner_text()
    )
    assert preview.locator("img").count() == 0  # typed text is text
    assert "Falta rellenar" in form.inner_text()
    assert send.is_disabled()

    form.get_by_label("{{3}}", exact=True).fill("7700999")
    form.get_by_label(re.compile("Botón «Rastrear envío»")).fill("7700999")
    assert "https://envios.ejemplo.com/rastreo/7700999" in preview.inner_text()
    assert send.is_enabled()
    send.click()

    sent_bubble = page.locator("[data-direction='outbound'][data-kind='template']").last
    sent_bubble.wait_for()
    assert "envio_en_camino" in sent_bubble.inner_text()
    assert page.evaluate("window.__pwned") is None
    # the picker is ready for the next one
    picker.get_by_text("Plantilla «envio_en_camino» enviada").wait_for()

    sent = service.template_sent_to(wa_id, "envio_en_camino")
    assert sent["template"]["language"]["code"] == "es"
    components = {c["type"]: c for c in sent["template"]["components"]}
    assert components["header"]["parameters"] == [{"type": "text", "text": "P-9001"}]
    assert [p["text"] for p in body_values(sent)] == [HOSTILE, "DHL", "7700999"]
    assert all("parameter_name" not in p for p in body_values(sent))
    button = components["button"]
    assert (button["sub_type"], str(button["index"])) == ("url", "0")
    assert button["parameters"] == [{"type": "text", "text": "7700999"}]


def test_outside_the_24_hour_window_the_picker_is_open_and_a_template_goes(
    signed_in: Any, service: TemplateService
) -> None:
    page = signed_in
    wa_id, conversation_id = service.new_customer("Hola, ¿siguen abiertos?", ago=26 * 3600)
    open_chat(page, service, conversation_id)
    assert page.get_by_label("Mensaje", exact=True).is_disabled()
    assert "más de 24 horas" in page.locator(".window-line").inner_text()
    picker = page.locator(".composer .template-picker")
    assert picker.is_visible()  # unfolded: nothing else can be sent
    form = pick(picker, "recordatorio_cita", "es_MX")
    form.get_by_label("{{1}}", exact=True).fill("Ana")
    form.get_by_label("{{2}}", exact=True).fill("lunes 10:00")
    form.get_by_role("button", name="Enviar plantilla").click()
    sent = page.locator("[data-direction='outbound'][data-kind='template']").last
    sent.wait_for()
    assert "recordatorio_cita" in sent.inner_text()
    assert "lunes 10:00" in sent.inner_text()
    assert [
        p["text"] for p in body_values(service.template_sent_to(wa_id, "recordatorio_cita"))
    ] == [
        "Ana",
        "lunes 10:00",
    ]


def test_named_values_reach_meta_by_name(signed_in: Any, service: TemplateService) -> None:
    page = signed_in
    wa_id, conversation_id = service.new_customer("Quiero una cita")
    open_chat(page, service, conversation_id)
    form = pick(open_picker(page), "confirmacion_cita")
    for name, value in (("nombre", "Lucía"), ("fecha", "jueves 14"), ("hora", "12:15")):
        form.get_by_label(f"{{{{{name}}}}}", exact=True).fill(value)
    preview = form.locator(".template-bubble")
    assert "Confirmación de cita" in preview.inner_text()
    assert "Hola Lucía, su cita es el jueves 14 a las 12:15." in preview.inner_text()
    assert "Confirmar" in preview.inner_text()  # its quick-reply buttons
    form.get_by_role("button", name="Enviar plantilla").click()
    page.locator("[data-direction='outbound'][data-kind='template']").last.wait_for()

    sent = service.template_sent_to(wa_id, "confirmacion_cita")
    named = {p["parameter_name"]: p["text"] for p in body_values(sent)}
    assert named == {"nombre": "Lucía", "fecha": "jueves 14", "hora": "12:15"}


def test_a_document_header_is_uploaded_with_the_template(
    signed_in: Any, service: TemplateService
) -> None:
    page = signed_in
    wa_id, conversation_id = service.new_customer("¿Me manda mi factura?")
    open_chat(page, service, conversation_id)
    form = pick(open_picker(page), "factura_disponible")
    send = form.get_by_role("button", name="Enviar plantilla")
    form.get_by_label("{{1}}", exact=True).fill("Ana")
    form.get_by_label("{{2}}", exact=True).fill("F-20001")
    assert send.is_disabled()  # the document is missing
    form.get_by_label("Archivo", exact=True).set_input_files(
        {"name": "F-20001.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    assert "Documento: F-20001.pdf" in form.locator(".template-bubble").inner_text()
    send.click()
    page.locator("[data-direction='outbound'][data-kind='template']").last.wait_for()

    sent = service.template_sent_to(wa_id, "factura_disponible")
    header = next(c for c in sent["template"]["components"] if c["type"] == "header")
    (document,) = header["parameters"]
    assert document["type"] == "document"
    assert document["document"].get("id") or document["document"].get("link")


def test_a_template_paused_meanwhile_is_refused_with_the_servers_reason(
    signed_in: Any, service: TemplateService
) -> None:
    """The picker still shows it usable (it was when the list loaded); the service knows
    better from Meta's status webhook, refuses it and nothing reaches Meta."""
    page = signed_in
    wa_id, conversation_id = service.new_customer("Hola")
    open_chat(page, service, conversation_id)
    form = pick(open_picker(page), "seguimiento_pedido")
    form.get_by_label("{{1}}", exact=True).fill("Laura")
    service.set_template_status("seguimiento_pedido", "es", "PAUSED")
    form.get_by_role("button", name="Enviar plantilla").click()
    error = form.locator(".template-error")
    error.filter(has_text="no se puede enviar").wait_for()
    assert form.is_visible()  # the form stays, with what was typed
    assert form.get_by_label("{{1}}", exact=True).input_value() == "Laura"
    requests = [r.get("body") or {} for r in service.fake.state.requests()]
    assert not [b for b in requests if b.get("to") == wa_id and b.get("type") == "template"]

    page.reload()
    picker = open_picker(page)
    picker.get_by_label("Buscar plantilla").fill("seguimiento_pedido")
    assert choice(picker, "seguimiento_pedido").locator("input").is_disabled()


def test_a_customer_who_stopped_marketing_gets_no_marketing_template(
    signed_in: Any, service: TemplateService
) -> None:
    page = signed_in
    wa_id, conversation_id = service.new_customer("Ya no quiero promociones")
    service.stops_marketing(wa_id)
    open_chat(page, service, conversation_id)
    page.locator(".chat-header").get_by_text("No acepta mensajes de marketing").wait_for()
    picker = open_picker(page)
    marketing = choice(picker, "encuesta_satisfaccion")
    assert marketing.locator("input").is_disabled()
    assert "El cliente no acepta mensajes de marketing" in marketing.inner_text()
    assert choice(picker, "recordatorio_pago").locator("input").is_enabled()


def test_a_new_conversation_starts_with_a_number_in_any_format(
    signed_in: Any, service: TemplateService
) -> None:
    page = signed_in
    dialog = new_conversation(page, service)
    dialog.wait_for()
    assert dialog.get_by_label("Número", exact=True).evaluate("e => e === document.activeElement")
    picker = dialog.locator(".template-picker")
    picker.locator(".template-choice").first.wait_for()
    form = pick(picker, "bienvenida")
    send = form.get_by_role("button", name="Enviar plantilla")
    assert send.is_disabled()  # no recipient yet
    assert "Falta el destinatario" in form.inner_text()
    dialog.get_by_label("Número", exact=True).fill("+34 612-34 56 78")
    send.click()
    closes_once_sent(dialog)
    page.locator(".chat-title", has_text="612").wait_for()
    page.locator("[data-direction='outbound'][data-kind='template']").wait_for()
    sent = service.template_sent_to("34612345678", "bienvenida")
    assert sent["to"] == "34612345678"
    conversation = service.conversation_of("+34612345678")
    page.locator(f".conversation-row[data-conversation-id='{conversation['id']}']").wait_for()


def test_a_new_conversation_starts_with_a_crm_client(
    signed_in: Any, service: TemplateService
) -> None:
    page = signed_in
    dialog = new_conversation(page, service)
    search_client(dialog, "Juan Flores")
    dialog.get_by_role("button", name="Escribir a Juan Flores Torres (1)").click()
    dialog.get_by_text("Cliente: Juan Flores Torres (1)").wait_for()
    form = pick(dialog.locator(".template-picker"), "recordatorio_cita", "es_MX")
    form.get_by_label("{{1}}", exact=True).fill("Juan")
    form.get_by_label("{{2}}", exact=True).fill("viernes 9:00")
    form.get_by_role("button", name="Enviar plantilla").click()
    closes_once_sent(dialog)
    page.locator(".chat-client", has_text="Juan Flores Torres").wait_for()
    bubble = page.locator("[data-direction='outbound'][data-kind='template']").last
    bubble.wait_for()
    assert "viernes 9:00" in bubble.inner_text()


def test_the_new_conversation_dialog_changes_language_and_keeps_what_was_typed(
    signed_in: Any, service: TemplateService
) -> None:
    page = signed_in
    dialog = new_conversation(page, service)
    search_client(dialog, "Juan Flores")
    dialog.get_by_role("button", name=re.compile("Juan Flores Torres")).wait_for()
    form = pick(dialog.locator(".template-picker"), "recordatorio_cita", "es_MX")
    form.get_by_label("{{1}}", exact=True).fill("Juan")
    form.get_by_label("{{2}}", exact=True).fill("viernes 9:00")
    assert "Falta el destinatario" in form.inner_text()
    # the header's switch, behind the modal dialog: Playwright sets it as a script would
    page.get_by_label("Idioma", exact=True).select_option("en")
    dialog = page.get_by_role("dialog", name="New conversation")
    form = dialog.locator(".template-fill[data-template='recordatorio_cita']")
    form.get_by_role("button", name="Send template").wait_for()
    assert "The recipient is missing" in form.inner_text()
    assert dialog.get_by_label("Search clients by name or id").input_value() == "Juan Flores"
    dialog.get_by_role("button", name="Write to Juan Flores Torres (1)").wait_for()
    assert dialog.get_by_label("Search templates").input_value() == "recordatorio_cita"
    assert form.get_by_label("{{1}}", exact=True).input_value() == "Juan"
    typing = form.get_by_label("{{2}}", exact=True)
    assert typing.input_value() == "viernes 9:00"
    assert typing.evaluate("e => e === document.activeElement")  # the form was not redrawn


def test_the_sync_button_is_there_for_a_token_that_manages(
    signed_in: Any, service: TemplateService
) -> None:
    page = signed_in
    _, conversation_id = service.new_customer("Hola")
    open_chat(page, service, conversation_id)
    picker = open_picker(page)
    picker.get_by_role("button", name="Sincronizar plantillas").click()
    picker.get_by_text(re.compile(r"Catálogo sincronizado: \d+ plantillas")).wait_for()
    # the kit's rules file has a rule whose template Meta does not have
    problems = picker.locator(".template-rule-problems")
    problems.get_by_text("Reglas del bot con una plantilla que Meta rechazaría (1):").wait_for()
    assert problems.locator("li").all_inner_texts() == [
        "rule 'catalogo': template 'catalogo_2027' (es): not in the catalogue"
    ]


def test_the_widget_sends_a_whatsapp_template_to_its_client(
    page: Any, service: TemplateService
) -> None:
    """The CRM's client page: the widget's token (read, reply, this client only) writes
    first with a template; the service finds the client's number; the chat opens."""
    page.goto(f"{service.inbox_url}examples/clientes.html?token={client_token('3')}")
    page.get_by_role("button", name="Miguel López Reyes").click()
    widget = page.locator("crm-whatsapp-conversations")
    widget.get_by_role("button", name="Enviar WhatsApp").click()
    dialog = widget.get_by_role("dialog", name="Enviar WhatsApp al cliente 3")
    picker = dialog.locator(".template-picker")
    picker.locator(".template-choice").first.wait_for()
    assert not picker.get_by_role("button", name="Sincronizar plantillas").is_visible()
    form = pick(picker, "recordatorio_pago")
    for name, value in (("{{1}}", "Miguel"), ("{{2}}", "$300.00 MXN"), ("{{3}}", "1 de abril")):
        form.get_by_label(name, exact=True).fill(value)
    form.get_by_label(re.compile("Botón «Pagar»")).fill("F-3")
    form.get_by_role("button", name="Enviar plantilla").click()
    closes_once_sent(dialog)
    bubble = widget.locator("[data-direction='outbound'][data-kind='template']").last
    bubble.wait_for()

    def client_conversations() -> list[dict[str, Any]]:
        answer = service.http.get("api/v1/conversaciones-whatsapp/cliente/3")
        answer.raise_for_status()
        items: list[dict[str, Any]] = answer.json()["items"]
        return items

    conversation = wait_until(client_conversations)[0]
    sent = service.template_sent_to(conversation["customer"]["wa_id"], "recordatorio_pago")
    assert [p["text"] for p in body_values(sent)] == ["Miguel", "$300.00 MXN", "1 de abril"]


@pytest.mark.parametrize("axe_page", [DESKTOP, PHONE], indirect=True, ids=["desktop", "phone"])
def test_the_new_conversation_dialog_with_a_template_being_filled_passes_axe(
    axe_page: Any, service: TemplateService
) -> None:
    page = axe_page
    dialog = new_conversation(page, service)
    form = pick(dialog.locator(".template-picker"), "envio_en_camino")
    form.get_by_label("{{1}}", exact=True).fill("Ana")
    violations = axe_violations(page, load_axe_source())
    assert violations == [], "\n".join(violations)
    # Escape closes it and the focus goes back to the button that opened it
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    opener = page.get_by_role("button", name="Nueva conversación")
    assert opener.evaluate("e => e === document.activeElement")


def test_the_composer_picker_with_a_preview_passes_axe(
    axe_page: Any, service: TemplateService
) -> None:
    page = axe_page
    _, conversation_id = service.new_customer("Hola")
    open_chat(page, service, conversation_id)
    picker = open_picker(page)
    form = pick(picker, "recordatorio_pago")
    form.get_by_label("{{1}}", exact=True).fill("Ana")
    violations = axe_violations(page, load_axe_source())
    assert violations == [], "\n".join(violations)
