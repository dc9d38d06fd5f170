"""The widget on a CRM page of another origin, with the token the CRM mints for that page.

The CRM is ``examples/crm_ficha_cliente.py`` on a loopback port of its own: it serves
``src/crm_whatsapp/web/examples/ficha_cliente.html`` (with its CSS and script) to a signed-in
user, writing into it an agent token confined to the page's client, and answers the
widget's ``token-url`` with fresh ones. The page loads ``widget.js`` from the service, which
allows the CRM's origin in ``CRM_WHATSAPP_CORS_ORIGINS``. Each test names the attack it
stops: a script on the CRM's page can read the widget's token, so that token must open
one client's conversations, as one agent, for a short while, and nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from browser_kit import API_TOKEN, DemoService
from examples.crm_ficha_cliente import (
    FIRST_CLIENT,
    PAGE,
    STATIC,
    CrmBackend,
    running_crm,
)
from widget_kit import (
    AGENT_ID,
    AGENT_NAME,
    AGENT_SECRET,
    authors_and_actors,
    client_token,
    linked_conversation,
    start_agent_demo,
)

from polling import wait_until

EXPIRED = "El acceso a las conversaciones de WhatsApp caducó y no se pudo renovar"
ROWS = "crm-whatsapp-conversations [data-conversation-id]"


@pytest.fixture(scope="module")
def crm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CrmBackend, str, DemoService]]:
    """The CRM (backend and origin) and the service that lets that origin in."""
    backend = CrmBackend(service_url="http://127.0.0.1:9", secret=AGENT_SECRET)
    with running_crm(backend) as (_, origin):
        demo = start_agent_demo(
            tmp_path_factory.mktemp("cross-origin"), CRM_WHATSAPP_CORS_ORIGINS=origin
        )
        backend.service_url = demo.base_url
        try:
            yield backend, origin, demo
        finally:
            demo.stop()


@pytest.fixture
def backend(crm: tuple[CrmBackend, str, DemoService]) -> Iterator[CrmBackend]:
    """The CRM as each test finds it: tokens for an hour, nobody signed out."""
    yield crm[0]
    crm[0].lifetime_seconds = 3600


@pytest.fixture
def origin(crm: tuple[CrmBackend, str, DemoService]) -> str:
    return crm[1]


@pytest.fixture
def service(crm: tuple[CrmBackend, str, DemoService]) -> DemoService:
    return crm[2]


def page_token(page: Any) -> str:
    """The token as any script of the CRM's page can read it."""
    token: str = page.evaluate("document.getElementById('whatsapp').getAttribute('token')")
    return token


def shown(page: Any) -> set[str | None]:
    rows = page.locator(ROWS)
    return {rows.nth(i).get_attribute("data-conversation-id") for i in range(rows.count())}


def test_the_page_holds_a_token_for_its_client_and_never_the_api_token(
    page: Any, origin: str
) -> None:
    """Stops the static API token (every conversation, no expiry) from reaching a browser:
    neither the served page nor its script and style hold it; the page's token is signed for
    one client, one agent, the scopes read and reply, and an hour."""
    with httpx.Client(base_url=origin) as crm_http:
        served = {name: crm_http.get(f"/{name}").text for name in (PAGE, *STATIC)}
    for name, text in served.items():
        assert API_TOKEN not in text, name
    page.goto(f"{origin}/{PAGE}")
    page.locator(ROWS).first.wait_for()
    claims = jwt.decode(page_token(page), AGENT_SECRET, algorithms=["HS256"])
    assert claims["client_id"] == FIRST_CLIENT
    assert (claims["sub"], claims["name"], claims["scope"]) == (AGENT_ID, AGENT_NAME, "read reply")
    assert claims["exp"] - claims["iat"] <= 3600
    everything = page.evaluate(
        "() => document.documentElement.outerHTML + JSON.stringify({...sessionStorage})"
        " + JSON.stringify({...localStorage}) + document.cookie"
    )
    assert API_TOKEN not in everything


def test_switching_clients_gets_a_token_for_each(
    page: Any, backend: CrmBackend, origin: str, service: DemoService
) -> None:
    """Stops one client's token from opening another's page: each client the page opens
    gets its own token from the CRM (token-url), and shows exactly its conversations."""
    page.goto(f"{origin}/{PAGE}")
    for client_id in ("1", "3", "2"):
        expected = {c["id"] for c in service.api(f"/cliente/{client_id}")["items"]}
        assert expected, f"demo client {client_id} has a conversation"
        page.locator(f"nav button[data-client-id='{client_id}']").click()
        wait_until(lambda expected=expected: shown(page) == expected, 10)
        assert jwt.decode(page_token(page), options={"verify_signature": False})["client_id"] == "1"
    assert {"3", "2"} <= set(backend.minted)
    page.locator(ROWS).first.click()
    page.locator("crm-whatsapp-conversations [data-message-id]").first.wait_for()


def test_the_widget_replies_as_the_agent_the_crm_signed(
    page: Any, origin: str, service: DemoService
) -> None:
    """Stops replies signed with a name typed in the page: the author recorded is the agent
    the CRM signed the token for."""
    conversation_id, _ = linked_conversation(service, FIRST_CLIENT, "¿Tienen envío gratis?")
    page.goto(f"{origin}/{PAGE}")
    widget = page.locator("crm-whatsapp-conversations")
    widget.locator(f"[data-conversation-id='{conversation_id}']").click()
    widget.get_by_label("Mensaje", exact=True).fill("Sí, desde 500 pesos")
    widget.get_by_role("button", name="Enviar", exact=True).click()
    widget.locator("[data-direction='outbound']", has_text="Sí, desde 500 pesos").wait_for()
    author, actor = authors_and_actors(service, conversation_id, "Sí, desde 500 pesos")
    assert author == {"kind": "agent", "name": AGENT_NAME}
    assert (actor["kind"], actor["id"], actor["name"]) == ("agent", AGENT_ID, AGENT_NAME)


# What a script on the CRM's page could try with the widget's token, and what it gets.
STEALING = """async ({ base, token, mine, other, otherNumber }) => {
  const api = base + '/api/v1/conversaciones-whatsapp';
  const call = async (method, url, body) => {
    const init = { method, headers: { Authorization: 'Bearer ' + token } };
    if (body) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const response = await fetch(url, init);
    const type = response.headers.get('content-type') || '';
    const json = type.includes('json') ? await response.json() : null;
    if (!type.includes('json') && response.body) await response.body.cancel();
    return { status: response.status, items: json && json.items ? json.items.length : null };
  };
  return {
    "read another client's conversation": await call('GET', `${api}/${other}`),
    "read its messages": await call('GET', `${api}/${other}/mensajes`),
    "read its activity": await call('GET', `${api}/${other}/actividad`),
    "reply to it": await call('POST', `${api}/${other}/mensajes`, { text: 'hola' }),
    "take it over": await call('POST', `${api}/${other}/pausar-bot`, {}),
    "mark it read": await call('POST', `${api}/${other}/leida`),
    "follow its live events": await call('GET', `${api}/eventos?conversation_id=${other}`),
    "list another client": await call('GET', `${api}?client_id=4`),
    "list another client by its page": await call('GET', `${api}/cliente/4`),
    "find it by the customer's number": await call('GET', `${api}/numero/${otherNumber}`),
    "list everything": await call('GET', api),
    "read the statistics": await call('GET', `${api}/estadisticas`),
    "search the CRM's clients": await call('GET', `${base}/api/v1/clientes-crm?q=a`),
    "link its own conversation to another client":
      await call('PUT', `${api}/${mine}/cliente`, { client_id: '4' }),
    "reply in someone else's name":
      await call('POST', `${api}/${mine}/mensajes`, { text: 'soy el director', agent: 'Director' }),
  };
}"""
NOT_FOUND = {
    "read another client's conversation",
    "read its messages",
    "read its activity",
    "reply to it",
    "take it over",
    "mark it read",
    "follow its live events",
}
EMPTY = {
    "list another client",
    "list another client by its page",
    "find it by the customer's number",
}
FORBIDDEN = {
    "read the statistics",
    "search the CRM's clients",
    "link its own conversation to another client",
    "reply in someone else's name",
}


def test_the_pages_token_opens_nothing_but_its_client(
    page: Any, origin: str, service: DemoService
) -> None:
    """Stops a script on the CRM's page (an extension, an injected script, a curious user)
    from using the widget's token beyond the page's client: another client's conversation
    is a 404 on every endpoint, exactly like one that does not exist; lists and searches of
    other clients are empty; what needs more than read and reply is a 403."""
    mine, _ = linked_conversation(service, FIRST_CLIENT, "Mi pedido, por favor")
    other, other_number = linked_conversation(service, "4", "Mis datos son privados")
    page.goto(f"{origin}/{PAGE}")
    page.locator(ROWS).first.wait_for()
    answers = page.evaluate(
        STEALING,
        {
            "base": service.base_url,
            "token": page_token(page),
            "mine": mine,
            "other": other,
            "otherNumber": other_number,
        },
    )
    assert set(answers) == NOT_FOUND | EMPTY | FORBIDDEN | {"list everything"}
    for attack in NOT_FOUND:
        assert answers[attack]["status"] == 404, (attack, answers[attack])
    for attack in EMPTY:
        assert answers[attack] == {"status": 200, "items": 0}, (attack, answers[attack])
    for attack in FORBIDDEN:
        assert answers[attack]["status"] == 403, (attack, answers[attack])
    listed = {c["id"] for c in service.api("", client_id=FIRST_CLIENT, limit=200)["items"]}
    assert answers["list everything"] == {"status": 200, "items": len(listed)}
    assert service.api(f"/{other}")["bot_paused"] is False
    assert "hola" not in [m["text"] for m in service.messages(other)]
    assert "soy el director" not in [m["text"] for m in service.messages(mine)]


LISTEN = """({ base, token, wanted }) => { window.heard = (async () => {
  const heard = [];
  const stop = new AbortController();
  const response = await fetch(base + '/api/v1/conversaciones-whatsapp/eventos', {
    headers: { Authorization: 'Bearer ' + token }, signal: stop.signal,
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (!text.includes(wanted)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      // subscribed once the server's first comment arrives: events from now on are heard
      if (text.includes(': connected')) window.streamOpen = true;
    }
  } finally {
    stop.abort();
  }
  for (const line of text.split('\\n')) if (line.startsWith('data: ')) heard.push(line.slice(6));
  return heard.map((data) => JSON.parse(data).conversation_id).filter(Boolean);
})(); }"""


def test_the_live_stream_tells_the_page_about_its_client_only(
    page: Any, origin: str, service: DemoService
) -> None:
    """Stops the page's token from eavesdropping on the whole inbox: the live stream is
    silent about other clients' conversations (a customer of client 4 writes first, then
    one of the page's client; only the second is heard)."""
    mine, mine_number = linked_conversation(service, FIRST_CLIENT, "Primero")
    other, other_number = linked_conversation(service, "4", "Segundo")
    page.goto(f"{origin}/{PAGE}")
    page.locator(ROWS).first.wait_for()
    page.evaluate(LISTEN, {"base": service.base_url, "token": page_token(page), "wanted": mine})
    wait_until(lambda: page.evaluate("window.streamOpen === true"), 10, what="the stream")
    service.customer_writes(other_number, "¿Alguien me lee?")
    service.customer_writes(mine_number, "Ya llegó, gracias")
    conversations = page.evaluate("window.heard")
    assert mine in conversations
    assert other not in conversations


def test_a_page_left_open_renews_its_token_before_it_expires(
    page: Any, backend: CrmBackend, origin: str, service: DemoService
) -> None:
    """Stops a long-lived token from being needed at all: the CRM mints tokens of seconds
    here, and the widget asks token-url for the next one before each expires, so the page
    keeps working while every token it had is soon refused."""
    backend.lifetime_seconds = 3
    conversation_id, _ = linked_conversation(service, FIRST_CLIENT, "¿Me esperan?")
    page.goto(f"{origin}/{PAGE}")
    first = page_token(page)
    page.locator(f"[data-conversation-id='{conversation_id}']").wait_for()
    minted = len(backend.minted)
    wait_until(lambda: len(backend.minted) >= minted + 2, 15, what="two renewals")
    refused = httpx.get(
        f"{service.base_url}/api/v1/yo", headers={"Authorization": f"Bearer {first}"}
    )
    assert refused.status_code == 401, refused.text
    widget = page.locator("crm-whatsapp-conversations")
    widget.locator(f"[data-conversation-id='{conversation_id}']").click()
    widget.get_by_label("Mensaje", exact=True).fill("Sí, aquí seguimos")
    widget.get_by_role("button", name="Enviar", exact=True).click()
    widget.locator("[data-direction='outbound']", has_text="Sí, aquí seguimos").wait_for()
    author, _ = authors_and_actors(service, conversation_id, "Sí, aquí seguimos")
    assert author == {"kind": "agent", "name": AGENT_NAME}
    assert widget.get_by_text(EXPIRED).count() == 0


def test_a_refused_token_is_replaced_through_token_url(
    page: Any, backend: CrmBackend, origin: str
) -> None:
    """A 401 (here the page is handed a token signed before the secret was changed) makes
    the widget ask token-url for a new token, once, instead of failing."""
    page.goto(f"{origin}/{PAGE}")
    page.locator(ROWS).first.wait_for()
    stale = client_token(FIRST_CLIENT, secret="the-secret-before-it-was-rotated-0123456789")
    minted = len(backend.minted)
    page.evaluate("t => document.getElementById('whatsapp').setAttribute('token', t)", stale)
    wait_until(lambda: len(backend.minted) == minted + 1, 10, what="one renewal")
    page.locator(ROWS).first.wait_for()
    assert page_token(page) == stale
    assert page.locator("crm-whatsapp-conversations").get_by_text(EXPIRED).count() == 0


def test_an_expired_token_that_cannot_be_renewed_says_so(
    page: Any, backend: CrmBackend, origin: str
) -> None:
    """Stops a page left open after its user signed out of the CRM from keeping access: the
    CRM no longer renews the token, it expires, and the widget says so in Spanish."""
    backend.lifetime_seconds = 3
    page.goto(f"{origin}/{PAGE}")
    page.locator(ROWS).first.wait_for()
    backend.sign_out_everyone()
    widget = page.locator("crm-whatsapp-conversations")
    widget.get_by_text(EXPIRED).wait_for(timeout=20_000)
    assert widget.locator(ROWS.split(" ", 1)[1]).count() == 0
