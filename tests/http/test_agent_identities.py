"""Agents with identities, over a real server on loopback: each test names the attack it
stops, and checks that the activity log records what was done with the right actor."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from http_service_kit import API, API_TOKEN, AUTH, signed, text_webhook
from pydantic import SecretStr
from starlette.applications import Starlette

from crm_whatsapp.adapters.http.agent_tokens import AgentTokens
from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import running_asgi_app
from crm_whatsapp.app import Settings, create_app
from crm_whatsapp.domain.access import Scope
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.ports import ClientLookup
from polling import processed

SECRET = "agent-token-secret-for-tests-0123456789abcdefghi"  # 48 bytes: HS384 too
ANA, BETO = "5215512345678", "5215587654321"
AGENTS = AgentTokens(SECRET.encode())


@dataclass
class Service:
    base_url: str
    http: httpx.Client
    app: Starlette

    def customer_writes(self, wa_id: str, text: str) -> str:
        body = text_webhook(wa_id, text)
        answer = self.http.post("/webhook", content=body, headers=signed(body))
        assert answer.status_code == 200, answer.text
        processed(self.app)
        listed = self.http.get(API, params={"number": wa_id}, headers=AUTH).json()["items"]
        conversation_id: str = listed[0]["id"]
        return conversation_id

    def clients_write(self) -> tuple[str, str]:
        """Ana (client C-100) and Beto (C-200) write; each linked by the CRM's backend."""
        ana, beto = self.customer_writes(ANA, "Hola"), self.customer_writes(BETO, "Buenas")
        for conversation_id, client_id in ((ana, "C-100"), (beto, "C-200")):
            linked = self.http.put(
                f"{API}/{conversation_id}/cliente", json={"client_id": client_id}, headers=AUTH
            )
            assert linked.status_code == 200, linked.text
        return ana, beto

    def activity(self, conversation_id: str) -> list[dict[str, Any]]:
        answer = self.http.get(f"{API}/{conversation_id}/actividad", headers=AUTH)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def agent(
    sub: str = "laura",
    name: str = "Laura Gómez",
    scopes: frozenset[Scope] = frozenset({Scope.READ, Scope.REPLY}),
    client_id: str | None = None,
) -> dict[str, str]:
    return bearer(AGENTS.mint(sub, name, scopes=scopes, client_id=client_id))


@pytest.fixture
def service(
    settings: Settings, service_database: Database, request: pytest.FixtureRequest
) -> Iterator[Service]:
    changes = getattr(request, "param", {})
    configured = settings.model_copy(update={"agent_token_secret": SecretStr(SECRET), **changes})
    clients = InMemoryClientLookup(
        [(ClientRef("C-100", "Ana López"), []), (ClientRef("C-200", "Beto Ruiz"), [])]
    )
    app = create_app(configured, overrides={Database: service_database, ClientLookup: clients})
    with running_asgi_app(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        yield Service(base_url, http, app)


# -- forged credentials --------------------------------------------------------------------
def _unsigned(claims: dict[str, Any]) -> str:
    def part(document: dict[str, Any]) -> str:
        raw = json.dumps(document, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "intruso",
        "name": "Director General",
        "iat": now,
        "exp": now + 3600,
        "scope": "read reply manage",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


FORGERIES = {
    "alg=none": _unsigned(_claims()),
    "signed with another key": jwt.encode(_claims(), "x" * 48, algorithm="HS256"),
    "HS384 with the right key": jwt.encode(_claims(), SECRET, algorithm="HS384"),
    "expired an hour ago": jwt.encode(
        _claims(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600), SECRET
    ),
    "without exp": jwt.encode(_claims(exp=None), SECRET),
    "without name": jwt.encode(_claims(name=None), SECRET),
    "a scope that does not exist": jwt.encode(_claims(scope="read admin"), SECRET),
    "alive for a month": jwt.encode(_claims(exp=int(time.time()) + 30 * 86400), SECRET),
    "the signature cut off": AGENTS.mint("laura", "Laura").rsplit(".", 1)[0] + ".",
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_or_expired_token_is_refused_and_changes_nothing(
    service: Service, forgery: str
) -> None:
    conversation_id = service.customer_writes(ANA, "Hola")
    headers = bearer(FORGERIES[forgery])
    reads = service.http.get(API, headers=headers)
    assert reads.status_code == 401, reads.text
    assert reads.headers["www-authenticate"].startswith("Bearer")
    writes = service.http.post(
        f"{API}/{conversation_id}/mensajes", json={"text": "hackeado"}, headers=headers
    )
    assert writes.status_code == 401
    assert FORGERIES[forgery] not in writes.text
    assert [a["kind"] for a in service.activity(conversation_id)] == []


def test_an_agent_token_reads_and_its_claims_are_who_i_am(service: Service) -> None:
    me = service.http.get("/api/v1/yo", headers=agent(client_id=None)).json()
    assert me["actor"] == {
        "kind": "agent",
        "id": "laura",
        "name": "Laura Gómez",
        "on_behalf_of": None,
        "description": "Laura Gómez",
    }
    assert me["scopes"] == ["read", "reply"]
    service_me = service.http.get("/api/v1/yo", headers=AUTH).json()
    assert service_me["actor"]["kind"] == "service"
    assert service_me["scopes"] == ["manage", "read", "reply"]


# -- scopes ----------------------------------------------------------------------------------
def test_a_read_only_token_cannot_reply_take_over_or_write_notes(service: Service) -> None:
    conversation_id = service.customer_writes(ANA, "Hola")
    reader = agent(sub="pedro", name="Pedro", scopes=frozenset({Scope.READ}))
    one = f"{API}/{conversation_id}"
    assert service.http.get(f"{one}/mensajes", headers=reader).status_code == 200
    for method, path, body in [
        ("POST", f"{one}/mensajes", {"text": "Hola"}),
        ("POST", f"{one}/pausar-bot", {}),
        ("POST", f"{one}/notas", {"text": "nota"}),
        ("PUT", f"{one}/asignacion", {"agent": "me"}),
        ("PUT", f"{one}/estado", {"status": "resolved"}),
        ("POST", f"{one}/leida", None),
    ]:
        answer = service.http.request(method, path, json=body, headers=reader)
        assert answer.status_code == 403, (path, answer.text)
        assert answer.json()["error"]["message"] == "this token lacks the scope 'reply'"
    replier = agent()
    linked = service.http.put(f"{one}/cliente", json={"client_id": "C-100"}, headers=replier)
    assert linked.status_code == 403
    assert "'manage'" in linked.json()["error"]["message"]
    messages = service.http.get(f"{one}/mensajes", headers=AUTH).json()["items"]
    assert [m for m in messages if m["author"]["kind"] == "agent"] == []
    assert service.activity(conversation_id) == []


# -- the actor comes from the token ----------------------------------------------------------
def test_an_agent_cannot_sign_as_someone_else(service: Service) -> None:
    conversation_id = service.customer_writes(ANA, "Hola")
    one = f"{API}/{conversation_id}"
    laura = agent()
    spoofed = service.http.post(
        f"{one}/mensajes", json={"agent": "Director General", "text": "Aprobado"}, headers=laura
    )
    assert spoofed.status_code == 403, spoofed.text
    assert "agent" in spoofed.json()["error"]["message"]
    replied = service.http.post(f"{one}/mensajes", json={"text": "Con gusto"}, headers=laura)
    assert replied.status_code == 201, replied.text
    assert replied.json()["author"] == {"kind": "agent", "name": "Laura Gómez"}
    [entry] = service.activity(conversation_id)
    assert entry["kind"] == "reply"
    assert entry["actor"]["kind"] == "agent"
    assert (entry["actor"]["id"], entry["actor"]["name"]) == ("laura", "Laura Gómez")
    assert entry["details"]["message_id"] == replied.json()["id"]
    conversation = service.http.get(one, headers=AUTH).json()
    assert (conversation["assigned_agent"], conversation["assigned_agent_id"]) == (
        "Laura Gómez",
        "laura",
    )


def test_a_service_token_acts_on_behalf_of_the_agent_the_crm_names(service: Service) -> None:
    conversation_id = service.customer_writes(ANA, "Hola")
    one = f"{API}/{conversation_id}"
    answer = service.http.post(
        f"{one}/mensajes", json={"agent": "Marta", "text": "Hola"}, headers=AUTH
    )
    assert answer.status_code == 201
    [entry] = service.activity(conversation_id)
    assert entry["actor"]["kind"] == "service"
    assert entry["actor"]["on_behalf_of"] == "Marta"
    assert entry["actor"]["description"] == "service, on behalf of Marta"


def test_every_action_is_recorded_with_its_actor_newest_first(service: Service) -> None:
    conversation_id = service.customer_writes(ANA, "Hola")
    one = f"{API}/{conversation_id}"
    laura = agent(scopes=frozenset(Scope))
    steps: list[tuple[str, str, dict[str, Any] | None, str]] = [
        ("POST", f"{one}/leida", None, "mark_read"),
        ("DELETE", f"{one}/cliente", None, "unlink"),
        ("PUT", f"{one}/cliente", {"client_id": "C-100"}, "link"),
        ("POST", f"{one}/pausar-bot", {}, "take_over"),
        ("PUT", f"{one}/asignacion", {"agent": {"id": "pedro", "name": "Pedro"}}, "assign"),
        ("PUT", f"{one}/asignacion", {"agent": None}, "assign"),
        ("POST", f"{one}/reanudar-bot", None, "give_back"),
        ("POST", f"{one}/mensajes", {"text": "Listo"}, "reply"),
        ("POST", f"{one}/notas", {"text": "Pidió factura"}, "note"),
        ("PUT", f"{one}/estado", {"status": "resolved"}, "status"),
    ]
    for method, path, body, _ in steps:
        answer = service.http.request(method, path, json=body, headers=laura)
        assert answer.status_code in (200, 201), (path, answer.text)
    entries = service.activity(conversation_id)
    assert [e["kind"] for e in entries] == [kind for *_, kind in reversed(steps)]
    assert {(e["actor"]["kind"], e["actor"]["id"]) for e in entries} == {("agent", "laura")}
    by_kind = {e["kind"]: e for e in entries}
    assert by_kind["note"]["private"] is True
    assert by_kind["note"]["details"] == {"text": "Pidió factura"}
    assert by_kind["status"]["details"] == {"from": "open", "to": "resolved"}
    assert by_kind["link"]["details"]["client_id"] == "C-100"
    conversation = service.http.get(one, headers=AUTH).json()
    assert conversation["status"] == "resolved"
    messages = service.http.get(f"{one}/mensajes", headers=AUTH).json()["items"]
    assert "Pidió factura" not in [m["text"] for m in messages]  # a note never goes out
    service.customer_writes(ANA, "Una cosa más")
    assert service.http.get(one, headers=AUTH).json()["status"] == "open"
    reopened = service.activity(conversation_id)[0]
    assert (reopened["kind"], reopened["actor"]["kind"]) == ("status", "system")
    assert reopened["details"] == {"from": "resolved", "to": "open", "reason": "customer_wrote"}


def test_filters_mine_unassigned_and_status(service: Service) -> None:
    ana = service.customer_writes(ANA, "Hola")
    beto = service.customer_writes(BETO, "Buenas")
    laura = agent()
    assert (
        service.http.put(f"{API}/{ana}/asignacion", json={"agent": "me"}, headers=laura).status_code
        == 200
    )
    assert (
        service.http.put(
            f"{API}/{beto}/estado", json={"status": "pending"}, headers=laura
        ).status_code
        == 200
    )

    def ids(headers: dict[str, str], **params: str) -> list[str]:
        answer = service.http.get(API, params=params, headers=headers)
        assert answer.status_code == 200, answer.text
        return [c["id"] for c in answer.json()["items"]]

    assert ids(laura, assignee="me") == [ana]
    assert ids(AUTH, assignee="laura") == [ana]
    assert ids(AUTH, assignee="nobody") == [beto]
    assert ids(AUTH, status="pending") == [beto]
    refused = service.http.get(API, params={"assignee": "me"}, headers=AUTH)
    assert refused.status_code == 400
    assert "agent token" in refused.json()["error"]["message"]


# -- a token confined to one client --------------------------------------------------------
def test_a_client_token_sees_acts_on_and_hears_only_its_client(service: Service) -> None:
    ana, beto = service.clients_write()
    widget = agent(client_id="C-100")
    listed = service.http.get(API, headers=widget).json()["items"]
    assert [c["id"] for c in listed] == [ana]
    assert service.http.get(f"{API}/cliente/C-200", headers=widget).json()["items"] == []
    assert service.http.get(API, params={"number": BETO}, headers=widget).json()["items"] == []
    for method, path, body in [
        ("GET", f"{API}/{beto}", None),
        ("GET", f"{API}/{beto}/mensajes", None),
        ("GET", f"{API}/{beto}/actividad", None),
        ("POST", f"{API}/{beto}/mensajes", {"text": "Hola"}),
        ("POST", f"{API}/{beto}/pausar-bot", {}),
        ("POST", f"{API}/{beto}/notas", {"text": "x"}),
        ("GET", f"{API}/eventos?conversation_id={beto}", None),
    ]:
        answer = service.http.request(method, path, json=body, headers=widget)
        assert answer.status_code == 404, (path, answer.status_code)
        assert answer.json()["error"]["code"] == "conversation_not_found"
    for path in (f"{API}/estadisticas", "/api/v1/clientes-crm?q=a"):
        assert service.http.get(path, headers=widget).status_code == 403
    assert [e["kind"] for e in service.activity(beto)] == ["link"]  # the backend's only
    answer = service.http.post(f"{API}/{ana}/mensajes", json={"text": "Hola"}, headers=widget)
    assert answer.status_code == 201


def test_a_client_token_s_live_stream_says_nothing_of_other_clients(service: Service) -> None:
    ana, beto = service.clients_write()
    heard: list[str] = []
    with service.http.stream(
        "GET", f"{API}/eventos", headers=agent(client_id="C-100"), timeout=20
    ) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        assert next(lines).startswith("retry:")
        service.http.post(f"{API}/{beto}/notas", json={"text": "de Beto"}, headers=AUTH)
        service.http.post(f"{API}/{ana}/notas", json={"text": "de Ana"}, headers=AUTH)
        for line in lines:  # Beto's note was published first: it would come first
            if line.startswith("data:"):
                heard.append(json.loads(line[5:])["conversation_id"])
                break
    assert heard == [ana]


# -- limits ----------------------------------------------------------------------------------
@pytest.mark.parametrize("service", [{"auth_failures_per_minute": 5}], indirect=True)
def test_guessing_tokens_is_slowed_to_a_few_tries_a_minute(service: Service) -> None:
    for attempt in range(5):
        assert service.http.get(API, headers=bearer(f"guess-{attempt}")).status_code == 401
    refused = service.http.get(API, headers=bearer("guess-5"))
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"]["code"] == "too_many_requests"
    # even the right token waits: a guess that happened to be right must not get through
    assert (
        service.http.get(API, headers={"Authorization": f"Bearer {API_TOKEN}"}).status_code == 429
    )


@pytest.mark.parametrize("service", [{"live_streams_per_token": 2}], indirect=True)
def test_one_token_cannot_hold_more_live_streams_than_its_cap(service: Service) -> None:
    laura = agent()
    with (
        service.http.stream("GET", f"{API}/eventos", headers=laura) as first,
        service.http.stream("GET", f"{API}/eventos", headers=laura) as second,
    ):
        assert (first.status_code, second.status_code) == (200, 200)
        with service.http.stream("GET", f"{API}/eventos", headers=laura) as third:
            assert third.status_code == 429
            assert "Retry-After" in third.headers
        other = service.http.stream("GET", f"{API}/eventos", headers=agent(sub="pedro"))
        with other as pedro:
            assert pedro.status_code == 200  # the cap is per token, not for everyone
    deadline = time.monotonic() + 10
    while True:  # the closed streams are released as their connections end
        with service.http.stream("GET", f"{API}/eventos", headers=laura) as again:
            if again.status_code == 200:
                break
        assert time.monotonic() < deadline, "a closed stream still counts"
        time.sleep(0.1)


def test_the_token_lifetime_is_capped_when_minting() -> None:
    with pytest.raises(ValueError, match="at most"):
        AGENTS.mint("laura", "Laura", lifetime=timedelta(days=8))
    token = AGENTS.mint("laura", "Laura", lifetime=timedelta(minutes=5))
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 300
    assert datetime.fromtimestamp(claims["exp"], UTC) > datetime.now(UTC)
