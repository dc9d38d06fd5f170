"""The inbox signed in with an agent token: who is signed in, the team's work in the chat.

An agent token is what the host CRM signs for one of its users (``docs/agents.md``): the
inbox names the agent, replies carry no ``agent`` field (the token says who writes), and
every action shows in the chat's activity log with the agent as its actor. These tests
start their own demo with a known agent token secret and mint tokens as the CRM would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from browser_kit import API, API_TOKEN, DemoService, new_wa_id, start_demo, wait_until

from crm_whatsapp.adapters.http.agent_tokens import AgentTokens
from crm_whatsapp.domain.access import ALL_SCOPES, Scope

AGENT_SECRET = "browser-inbox-agent-secret-3c9a-71e2-b4d0-58f6"
AGENT_ID = "agente-17"
AGENT_NAME = "Marisol Vega"


def mint(
    scopes: Iterable[Scope] = ALL_SCOPES,
    *,
    sub: str = AGENT_ID,
    name: str = AGENT_NAME,
    issued: datetime | None = None,
    lifetime: timedelta = timedelta(hours=8),
) -> str:
    """An agent token, as the host CRM signs it for one of its users."""
    return AgentTokens(AGENT_SECRET.encode()).mint(
        sub, name, scopes=scopes, lifetime=lifetime, now=issued or datetime.now(UTC)
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoService]:
    """This module's own demo: it accepts agent tokens signed with ``AGENT_SECRET``."""
    service = start_demo(
        tmp_path_factory.mktemp("agents-demo"),
        "--no-stream",
        env={"CRM_WHATSAPP_AGENT_TOKEN_SECRET": AGENT_SECRET},
    )
    yield service
    service.stop()


def as_agent(demo: DemoService, token: str) -> httpx.Client:
    """An API client with an agent token (the CRM's backend acting as that agent)."""
    return httpx.Client(
        base_url=demo.base_url + "/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def sign_in(context: Any, token: str) -> None:
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', {json.dumps(token)})")


def new_customer(demo: DemoService, text: str, name: str) -> tuple[str, str]:
    wa_id = new_wa_id()
    demo.customer_writes(wa_id, text, profile_name=name)
    return wa_id, demo.conversation_of(wa_id)["id"]


def open_chat(page: Any, demo: DemoService, conversation_id: str) -> None:
    page.goto(f"{demo.inbox_url}?conversation={conversation_id}")
    page.locator(".chat-title").filter(has_not_text="…").wait_for()
    page.locator("[data-message-id]").first.wait_for()


def row(page: Any, conversation_id: str) -> Any:
    return page.locator(f".conversation-row[data-conversation-id='{conversation_id}']")


def activity(demo: DemoService, conversation_id: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = demo.api(f"/{conversation_id}/actividad", limit=200)["items"]
    return entries


def shown_ids(page: Any) -> list[str]:
    ids: list[str] = page.locator(".conversation-row").evaluate_all(
        "rows => rows.map(r => r.dataset.conversationId)"
    )
    return ids


def test_an_agent_token_signs_in_and_the_header_names_the_agent(
    page: Any, demo: DemoService
) -> None:
    token = mint()
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(demo.inbox_url)
    page.get_by_label("Token de la API o de agente").fill(token)
    page.get_by_role("button", name="Entrar").click()
    page.locator(".conversation-row").first.wait_for()
    who = page.locator(".app-header .whoami")
    who.wait_for()
    assert who.get_attribute("data-actor-kind") == "agent"
    assert AGENT_NAME in who.inner_text()
    assert any(url.endswith("/api/v1/yo") for url in asked)
    # "Mías" is offered to an agent
    assert page.get_by_label("Mías", exact=True).count() == 1

    # with an agent token the composer does not ask for a name
    _, conversation_id = new_customer(demo, "Hola, ¿quién me atiende?", "Quién")
    open_chat(page, demo, conversation_id)
    assert page.get_by_label("Mensaje", exact=True).is_enabled()
    assert page.locator(".composer-agent").count() == 0


def test_a_service_token_shows_servicio_asks_for_the_name_and_offers_no_mias(
    signed_in_page: Any, demo: DemoService
) -> None:
    page = signed_in_page
    _, conversation_id = new_customer(demo, "Hola desde el servicio", "Servicio")
    open_chat(page, demo, conversation_id)
    who = page.locator(".app-header .whoami")
    who.wait_for()
    assert "Servicio" in who.inner_text()
    page.locator(".composer-agent").wait_for()
    assert page.get_by_label("Tu nombre").count() == 1
    assert page.get_by_label("Mías", exact=True).count() == 0
    assert page.get_by_label("Sin asignar", exact=True).count() == 1


def test_an_expired_agent_token_is_refused_with_a_clear_message(
    page: Any, demo: DemoService
) -> None:
    expired = mint(issued=datetime.now(UTC) - timedelta(hours=3), lifetime=timedelta(hours=1))
    page.goto(demo.inbox_url)
    page.get_by_label("Token de la API o de agente").fill(expired)
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("Token no válido o caducado").wait_for()
    assert page.evaluate("sessionStorage.getItem('crm_whatsapp.token')") is None


def test_too_many_failed_sign_ins_say_how_long_to_wait(page: Any, demo: DemoService) -> None:
    """The service answers 429 with Retry-After after 20 failures a minute from one address
    (simulated here: the shared demo must keep accepting this machine's tests)."""
    page.route(
        re.compile(r"/api/v1/yo$"),
        lambda route: route.fulfill(
            status=429,
            headers={"Retry-After": "42", "Content-Type": "application/json"},
            body=json.dumps({"error": {"code": "too_many_requests", "message": "wait"}}),
        ),
    )
    page.goto(demo.inbox_url)
    page.get_by_label("Token de la API o de agente").fill(mint())
    page.get_by_role("button", name="Entrar").click()
    page.get_by_text("Demasiados intentos fallidos").wait_for()
    assert "42 s" in page.locator("#signin-error").inner_text()
    assert page.evaluate("sessionStorage.getItem('crm_whatsapp.token')") is None


def test_an_agent_assigns_resolves_writes_a_note_and_replies_each_in_the_activity(
    context: Any, page: Any, demo: DemoService
) -> None:
    token = mint()
    sign_in(context, token)
    _, conversation_id = new_customer(demo, "Quiero cambiar mi pedido", "Cambio")
    bodies: list[dict[str, Any]] = []
    page.on(
        "request",
        lambda request: (
            bodies.append(json.loads(request.post_data or "{}"))
            if request.method == "POST" and request.url.endswith("/mensajes")
            else None
        ),
    )
    open_chat(page, demo, conversation_id)
    lines = page.locator(".activity-line")

    # take it: assign to me
    page.get_by_role("button", name="Asignarme").click()
    page.locator(".chat-assignee", has_text="Asignada a ti").wait_for()
    lines.filter(has_text=f"{AGENT_NAME} se asignó la conversación").wait_for()
    assert page.get_by_role("button", name="Asignarme").count() == 0
    row(page, conversation_id).locator("[data-marker='assignee']", has_text=AGENT_NAME).wait_for()

    # resolve it
    page.get_by_label("Estado de la conversación").select_option("resolved")
    lines.filter(has_text=f"{AGENT_NAME} marcó como resuelta").wait_for()
    row(page, conversation_id).locator("[data-marker='status-resolved']").wait_for()
    assert demo.api(f"/{conversation_id}")["status"] == "resolved"

    # a private note: a note of its own, never a WhatsApp bubble
    page.get_by_label("Nota privada", exact=True).check()
    page.get_by_label("Texto de la nota").fill("Llamarle mañana a primera hora")
    page.get_by_role("button", name="Guardar nota").click()
    note = page.locator(".note", has_text="Llamarle mañana a primera hora")
    note.wait_for()
    assert "Nota privada" in note.inner_text()
    assert AGENT_NAME in note.inner_text()
    assert note.locator("xpath=ancestor-or-self::*[contains(@class,'bubble')]").count() == 0
    assert not any(
        m["text"] == "Llamarle mañana a primera hora" for m in demo.messages(conversation_id)
    )

    # a reply: no agent field, signed by the token's agent
    page.get_by_label("Responder al cliente").check()
    page.get_by_label("Mensaje", exact=True).fill("Claro, ya lo cambiamos")
    page.get_by_label("Mensaje", exact=True).press("Enter")
    mine = page.locator("[data-direction='outbound']", has_text="Claro, ya lo cambiamos")
    mine.wait_for()
    assert mine.locator(".bubble-author").inner_text() == AGENT_NAME
    assert bodies
    assert all("agent" not in body for body in bodies), bodies

    # the API has the same story, each entry with the token's agent as its actor
    def kinds() -> list[str]:
        return [entry["kind"] for entry in activity(demo, conversation_id)]

    wait_until(lambda: {"assign", "status", "note", "reply"} <= set(kinds()))
    for entry in activity(demo, conversation_id):
        if entry["kind"] in {"assign", "status", "note", "reply"}:
            actor = entry["actor"]
            assert (actor["kind"], actor["id"], actor["name"]) == ("agent", AGENT_ID, AGENT_NAME)
    note_entry = next(e for e in activity(demo, conversation_id) if e["kind"] == "note")
    assert note_entry["private"] is True
    assert note_entry["details"]["text"] == "Llamarle mañana a primera hora"
    stored = [m for m in demo.messages(conversation_id) if m["text"] == "Claro, ya lo cambiamos"]
    assert stored[0]["author"] == {"kind": "agent", "name": AGENT_NAME}
    state = demo.api(f"/{conversation_id}")
    assert (state["assigned_agent_id"], state["assigned_agent"]) == (AGENT_ID, AGENT_NAME)

    # the lines stay after a reload, in time order with the messages
    page.reload()
    note.wait_for()
    order = page.locator("[data-message-id], [data-activity-id]").evaluate_all(
        "items => items.map(i => i.dataset.kind)"
    )
    assert order.index("assign") < order.index("status") < order.index("note")
    assert order.index("note") < len(order) - 1  # the reply comes after it


def test_mias_shows_the_agents_conversations_only(
    context: Any, page: Any, demo: DemoService
) -> None:
    token = mint()
    agent = as_agent(demo, token)
    _, mine = new_customer(demo, "Esta es para Marisol", "Mía")
    _, other = new_customer(demo, "Esta es para otra persona", "Ajena")
    agent.put(f"{API}/{mine}/asignacion", json={"agent": "me"}).raise_for_status()
    agent.put(
        f"{API}/{other}/asignacion", json={"agent": {"id": "otra-9", "name": "Otra Persona"}}
    ).raise_for_status()
    expected = [c["id"] for c in agent.get(API, params={"assignee": "me"}).json()["items"]]
    assert mine in expected
    assert other not in expected
    sign_in(context, token)
    page.goto(demo.inbox_url)
    page.locator(".conversation-row").first.wait_for()

    page.get_by_label("Mías", exact=True).check()
    wait_until(lambda: shown_ids(page) == expected)
    assert "assignee=me" in page.url
    page.reload()
    wait_until(lambda: shown_ids(page) == expected)
    assert page.get_by_label("Mías", exact=True).is_checked()

    page.get_by_label("Sin asignar", exact=True).check()
    wait_until(lambda: mine not in shown_ids(page) and len(shown_ids(page)) > 0)
    assert other not in shown_ids(page)

    page.get_by_label("Todas", exact=True).check()
    page.get_by_label("Estado", exact=True).select_option("open")
    wait_until(lambda: mine in shown_ids(page))
    assert "status=open" in page.url


def test_assigning_to_another_agent_and_a_colleagues_note_show_live(
    context: Any, page: Any, demo: DemoService
) -> None:
    sign_in(context, mint())
    _, conversation_id = new_customer(demo, "¿Me pasan con ventas?", "Ventas")
    open_chat(page, demo, conversation_id)
    page.evaluate("window.__sameDocument = true")
    page.locator(".live[data-state='live']").wait_for()

    page.get_by_role("button", name="Asignar a…").click()
    dialog = page.get_by_role("dialog", name="Asignar a otro agente")
    dialog.get_by_label("Nombre del agente").fill("Pedro Ruiz")
    dialog.get_by_label("ID del agente en el CRM (opcional)").fill("pedro-3")
    dialog.get_by_role("button", name="Asignar", exact=True).click()
    page.locator(".activity-line", has_text=f"{AGENT_NAME} asignó a Pedro Ruiz").wait_for()
    page.locator(".chat-assignee", has_text="Asignada a Pedro Ruiz").wait_for()
    state = demo.api(f"/{conversation_id}")
    assert (state["assigned_agent_id"], state["assigned_agent"]) == ("pedro-3", "Pedro Ruiz")

    # Pedro, in his own inbox, writes a note and marks it pending: this page hears it
    pedro = as_agent(demo, mint(sub="pedro-3", name="Pedro Ruiz"))
    pedro.post(f"{API}/{conversation_id}/notas", json={"text": "Yo me encargo"}).raise_for_status()
    pedro.put(f"{API}/{conversation_id}/estado", json={"status": "pending"}).raise_for_status()
    page.locator(".note", has_text="Yo me encargo").wait_for()
    assert "Pedro Ruiz" in page.locator(".note", has_text="Yo me encargo").inner_text()
    page.locator(".activity-line", has_text="Pedro Ruiz marcó como pendiente").wait_for()
    page.locator(".chat-status-select[data-status='pending']").wait_for()
    assert page.evaluate("window.__sameDocument") is True

    page.get_by_role("button", name="Dejar sin asignar").click()
    page.locator(".chat-assignee", has_text="Sin asignar").wait_for()
    page.locator(".activity-line", has_text="dejó la conversación sin asignar").wait_for()
    assert demo.api(f"/{conversation_id}")["assigned_agent"] is None


def test_a_read_only_token_sees_no_writing_controls_and_the_server_refuses_them(
    context: Any, page: Any, demo: DemoService
) -> None:
    token = mint({Scope.READ})
    _, conversation_id = new_customer(demo, "Solo miro", "Lectura")
    sign_in(context, token)
    open_chat(page, demo, conversation_id)
    page.locator(".composer-readonly").wait_for()
    assert "Solo lectura" in page.locator(".composer-readonly").inner_text()
    assert "solo lectura" in page.locator(".app-header .whoami").inner_text()
    assert page.locator(".composer textarea, .composer-mode").count() == 0
    for name in ("Asignarme", "Asignar a…", "Tomar conversación", "Marcar como leída"):
        assert page.get_by_role("button", name=name).count() == 0, name
    assert page.get_by_label("Estado de la conversación").count() == 0
    link = page.locator(".action-link")
    assert link.get_attribute("aria-disabled") == "true"
    link.focus()  # focusable, so that a keyboard or screen reader user hears why
    page.keyboard.press("Enter")
    page.locator(".chat-notice", has_text="vincular").wait_for()
    assert page.get_by_role("dialog").count() == 0

    # forced, the server refuses: 403 naming the scope, nothing stored
    before = demo.messages(conversation_id)
    reader = as_agent(demo, token)
    for method, path, body in (
        ("POST", "mensajes", {"text": "Hola"}),
        ("POST", "notas", {"text": "Nota"}),
        ("PUT", "asignacion", {"agent": "me"}),
        ("PUT", "estado", {"status": "resolved"}),
    ):
        answer = reader.request(method, f"{API}/{conversation_id}/{path}", json=body)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"]["code"] == "forbidden"
        assert "'reply'" in answer.json()["error"]["message"]
    assert demo.messages(conversation_id) == before
    assert not [e for e in activity(demo, conversation_id) if e["kind"] == "note"]


def test_a_resolved_conversation_reopens_when_the_customer_writes_again(
    context: Any, page: Any, demo: DemoService
) -> None:
    token = mint()
    wa_id, conversation_id = new_customer(demo, "Gracias, todo bien", "Reabre")
    as_agent(demo, token).put(
        f"{API}/{conversation_id}/estado", json={"status": "resolved"}
    ).raise_for_status()
    sign_in(context, token)
    open_chat(page, demo, conversation_id)
    page.locator(".chat-status-select[data-status='resolved']").wait_for()
    row(page, conversation_id).locator("[data-marker='status-resolved']").wait_for()
    page.locator(".live[data-state='live']").wait_for()

    demo.customer_writes(wa_id, "Perdón, una pregunta más")
    page.locator("[data-direction='inbound']", has_text="una pregunta más").wait_for()
    page.locator(".chat-status-select[data-status='open']").wait_for()
    wait_until(
        lambda: row(page, conversation_id).locator("[data-marker='status-resolved']").count() == 0
    )
    assert demo.api(f"/{conversation_id}")["status"] == "open"
    assert page.get_by_label("Estado de la conversación").input_value() == "open"


def test_the_agent_view_passes_axe_with_a_note_and_a_read_only_token_too(
    browser: Any, demo: DemoService
) -> None:
    from axe_kit import axe_violations, load_axe_source

    source = load_axe_source()
    agent = as_agent(demo, mint())
    _, conversation_id = new_customer(demo, "Revisión de accesibilidad", "Axe")
    agent.put(f"{API}/{conversation_id}/asignacion", json={"agent": "me"}).raise_for_status()
    agent.post(f"{API}/{conversation_id}/notas", json={"text": "Nota visible"}).raise_for_status()
    agent.put(f"{API}/{conversation_id}/estado", json={"status": "pending"}).raise_for_status()
    for token in (mint(), mint({Scope.READ})):
        context = browser.new_context(
            viewport={"width": 1280, "height": 800}, bypass_csp=True, locale="es-MX"
        )
        context.set_default_timeout(10_000)
        try:
            sign_in(context, token)
            page = context.new_page()
            open_chat(page, demo, conversation_id)
            page.locator(".note", has_text="Nota visible").wait_for()
            page.locator(".app-header .whoami").wait_for()
            assert axe_violations(page, source) == []
            if page.get_by_label("Nota privada", exact=True).count():
                page.get_by_label("Nota privada", exact=True).check()
                page.get_by_label("Texto de la nota").wait_for()
                assert axe_violations(page, source) == []
                page.get_by_role("button", name="Asignar a…").click()
                page.get_by_role("dialog").wait_for()
                assert axe_violations(page, source) == []
        finally:
            context.close()


def test_the_demo_prints_an_agent_token_that_signs_in_as_laura(
    page: Any, demo: DemoService
) -> None:
    found = re.search(r"Agente:.*\n\s+(http://\S+/inbox/#token=(eyJ[\w.-]+))", demo.banner)
    assert found is not None, demo.banner
    me = httpx.get(
        f"{demo.base_url}/api/v1/yo", headers={"Authorization": f"Bearer {found.group(2)}"}
    ).json()
    assert me["actor"]["kind"] == "agent"
    assert (me["actor"]["id"], me["actor"]["name"]) == ("laura", "Laura Gómez")
    assert sorted(me["scopes"]) == ["manage", "read", "reply"]
    assert API_TOKEN in demo.banner

    page.goto(found.group(1))
    page.locator(".app-header .whoami", has_text="Laura Gómez").wait_for()
    page.get_by_label("Mías", exact=True).check()
    page.locator(".conversation-row").first.wait_for()
    laura = as_agent(demo, found.group(2))
    expected = [c["id"] for c in laura.get(API, params={"assignee": "me"}).json()["items"]]
    assert len(expected) >= 3  # the demo's history gave her some
    wait_until(lambda: shown_ids(page) == expected)
