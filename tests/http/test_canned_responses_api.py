"""Canned responses over a real server on loopback: saved, changed and deleted with a
``manage`` token, listed as the composer asks for them, refused with the status that says
why, and expanded only in a conversation the token may see."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from http_service_kit import API, AUTH, signed, text_webhook
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

CANNED = "/api/v1/respuestas-rapidas"
SECRET = "canned-responses-agent-secret-0123456789abcdef"
AGENTS = AgentTokens(SECRET.encode())
ANA, BETO = "5215512345678", "5215587654321"
PAGO = {
    "shortcut": "pago_pendiente",
    "title": "Pago pendiente",
    "text": "Hola {nombre}, tu pago del plan {plan} sigue pendiente. Tu número: {cliente_id}.",
}


@dataclass
class Service:
    http: httpx.Client
    app: Starlette

    def customer_writes(self, wa_id: str, text: str, client_id: str | None) -> str:
        body = text_webhook(wa_id, text, name="Anita")
        assert self.http.post("/webhook", content=body, headers=signed(body)).status_code == 200
        processed(self.app)
        listed = self.http.get(API, params={"number": wa_id}, headers=AUTH).json()["items"]
        conversation_id: str = listed[0]["id"]
        if client_id is not None:
            linked = self.http.put(
                f"{API}/{conversation_id}/cliente", json={"client_id": client_id}, headers=AUTH
            )
            assert linked.status_code == 200, linked.text
        return conversation_id

    def save(self, body: dict[str, Any], headers: dict[str, str] = AUTH) -> httpx.Response:
        return self.http.post(CANNED, json=body, headers=headers)

    def listed(self, **params: Any) -> list[dict[str, Any]]:
        answer = self.http.get(CANNED, params=params, headers=AUTH)
        assert answer.status_code == 200, answer.text
        items: list[dict[str, Any]] = answer.json()["items"]
        return items


def agent(scopes: frozenset[Scope], client_id: str | None = None) -> dict[str, str]:
    token = AGENTS.mint("laura", "Laura Gómez", scopes=scopes, client_id=client_id)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def service(settings: Settings, service_database: Database) -> Iterator[Service]:
    configured = settings.model_copy(
        update={"agent_token_secret": SecretStr(SECRET), "clients_fields": {"plan": "plan"}}
    )
    clients = InMemoryClientLookup(
        [
            (ClientRef("C-100", "Ana López", {"plan": "Oro"}), []),
            (ClientRef("C-200", "Beto Ruiz", {"plan": ""}), []),
        ]
    )
    app = create_app(configured, overrides={Database: service_database, ClientLookup: clients})
    with running_asgi_app(app) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        yield Service(http, app)


def test_saved_listed_changed_and_deleted(service: Service) -> None:
    manager = agent(frozenset({Scope.READ, Scope.MANAGE}))

    saved = service.save(PAGO, manager)
    assert saved.status_code == 201, saved.text
    body = saved.json()
    assert {k: body[k] for k in PAGO} == PAGO
    assert body["placeholders"] == ["nombre", "plan", "cliente_id"]
    assert body["created_by"]["kind"] == "agent"
    assert body["created_by"]["id"] == "laura"
    assert service.save({"shortcut": "/Horario", "text": "De 9 a 18 h."}).status_code == 201

    assert [r["shortcut"] for r in service.listed()] == ["horario", "pago_pendiente"]
    assert [r["shortcut"] for r in service.listed(q="/pag")] == ["pago_pendiente"]
    assert [r["shortcut"] for r in service.listed(q="PENDIENTE")] == ["pago_pendiente"]
    assert len(service.listed(limit=1)) == 1

    changed = service.http.put(
        f"{CANNED}/{body['id']}", json={"title": "Cobranza"}, headers=manager
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["title"], changed.json()["text"]) == ("Cobranza", PAGO["text"])
    assert changed.json()["created_at"] == body["created_at"]

    deleted = service.http.delete(f"{CANNED}/{body['id']}", headers=manager)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert [r["shortcut"] for r in service.listed()] == ["horario"]
    again = service.http.delete(f"{CANNED}/{body['id']}", headers=manager)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "canned_response_not_found"


@pytest.mark.parametrize("taken", ["pago_pendiente", "PAGO_PENDIENTE", "págo_pendiente"])
def test_a_taken_shortcut_is_a_409_and_stores_nothing(service: Service, taken: str) -> None:
    assert service.save(PAGO).status_code == 201

    answer = service.save({**PAGO, "shortcut": taken, "text": "Otro"})

    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["code"] == "duplicate_shortcut"
    assert [r["text"] for r in service.listed()] == [PAGO["text"]]


def test_renaming_onto_a_taken_shortcut_is_a_409(service: Service) -> None:
    first = service.save(PAGO).json()
    service.save({"shortcut": "saludo", "text": "Hola"})

    answer = service.http.put(f"{CANNED}/{first['id']}", json={"shortcut": "Saludo"}, headers=AUTH)

    assert answer.status_code == 409
    assert service.listed(q="pago")[0]["shortcut"] == "pago_pendiente"


def test_unknown_placeholders_are_a_422_naming_them(service: Service) -> None:
    answer = service.save({"shortcut": "pago", "text": "Hola {nombre}, debes {saldo} ({nombr})"})

    assert answer.status_code == 422
    error = answer.json()["error"]
    assert error["code"] == "unknown_placeholders"
    assert "{saldo}, {nombr}" in error["message"]
    assert "{plan}" in error["message"]  # the known ones, CRM fields included
    assert service.listed() == []

    first = service.save(PAGO).json()
    changed = service.http.put(f"{CANNED}/{first['id']}", json={"text": "{x}"}, headers=AUTH)
    assert changed.status_code == 422
    assert service.listed()[0]["text"] == PAGO["text"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"shortcut": "pago pendiente", "text": "Hola"}, "shortcut"),
        ({"shortcut": "x" * 33, "text": "Hola"}, "shortcut"),
        ({"shortcut": "pago", "text": ""}, "text"),
        ({"shortcut": "pago", "text": "   "}, "text"),
        ({"shortcut": "pago", "title": "t" * 81, "text": "Hola"}, "title"),
        ({"shortcut": "pago"}, "text"),
        ({"shortcut": "pago", "text": "Hola", "agent": "Laura"}, "agent"),
    ],
)
def test_a_response_of_the_wrong_form_is_a_422_naming_the_field(
    service: Service, body: dict[str, Any], named: str
) -> None:
    answer = service.save(body)

    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["message"].startswith(named)
    assert service.listed() == []


def test_changing_or_deleting_an_unknown_id_is_a_404(service: Service) -> None:
    assert service.http.put(f"{CANNED}/nope", json={"title": "x"}, headers=AUTH).status_code == 404
    assert service.http.delete(f"{CANNED}/nope", headers=AUTH).status_code == 404


def test_expanded_for_a_conversation_with_its_clients_values(service: Service) -> None:
    service.save(PAGO)
    service.save({"shortcut": "perfil", "text": "Hola {perfil}, {nombre}: {plan}."})
    ana = service.customer_writes(ANA, "Hola", "C-100")
    beto = service.customer_writes(BETO, "Buenas", "C-200")
    nobody = service.customer_writes("5215500000001", "Hola", None)

    answer = service.http.get(f"{API}/{ana}/respuestas-rapidas/pago_pendiente", headers=AUTH)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "shortcut": "pago_pendiente",
        "text": "Hola Ana López, tu pago del plan Oro sigue pendiente. Tu número: C-100.",
        "missing": [],
    }
    beto_answer = service.http.get(f"{API}/{beto}/respuestas-rapidas/perfil", headers=AUTH)
    assert beto_answer.json() == {
        "shortcut": "perfil",
        "text": "Hola Anita, Beto Ruiz: .",
        "missing": ["plan"],
    }
    unlinked = service.http.get(f"{API}/{nobody}/respuestas-rapidas/PERFIL", headers=AUTH)
    assert unlinked.json()["missing"] == ["nombre", "plan"]
    unknown = service.http.get(f"{API}/{ana}/respuestas-rapidas/adios", headers=AUTH)
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "canned_response_not_found"
    no_chat = service.http.get(f"{API}/conv-x/respuestas-rapidas/perfil", headers=AUTH)
    assert no_chat.status_code == 404
    assert no_chat.json()["error"]["code"] == "conversation_not_found"


def test_an_agent_without_manage_reads_and_expands_but_cannot_change(service: Service) -> None:
    first = service.save(PAGO).json()
    ana = service.customer_writes(ANA, "Hola", "C-100")
    for scopes in (frozenset({Scope.READ}), frozenset({Scope.READ, Scope.REPLY})):
        headers = agent(scopes)
        refused = [
            service.save({"shortcut": "otro", "text": "Hola"}, headers),
            service.http.put(f"{CANNED}/{first['id']}", json={"title": "x"}, headers=headers),
            service.http.delete(f"{CANNED}/{first['id']}", headers=headers),
        ]
        assert [r.status_code for r in refused] == [403, 403, 403]
        assert all("manage" in r.json()["error"]["message"] for r in refused)
        assert service.http.get(CANNED, headers=headers).status_code == 200
        expanded = service.http.get(
            f"{API}/{ana}/respuestas-rapidas/pago_pendiente", headers=headers
        )
        assert expanded.status_code == 200
    assert [(r["shortcut"], r["title"]) for r in service.listed()] == [
        ("pago_pendiente", "Pago pendiente")
    ]


def test_a_token_for_one_client_expands_only_in_that_clients_conversations(
    service: Service,
) -> None:
    service.save(PAGO)
    ana = service.customer_writes(ANA, "Hola", "C-100")
    beto = service.customer_writes(BETO, "Buenas", "C-200")
    anas_page = agent(frozenset(Scope), client_id="C-100")

    own = service.http.get(f"{API}/{ana}/respuestas-rapidas/pago_pendiente", headers=anas_page)
    other = service.http.get(f"{API}/{beto}/respuestas-rapidas/pago_pendiente", headers=anas_page)

    assert own.status_code == 200
    assert "Ana López" in own.json()["text"]
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "conversation_not_found"
    assert "Beto" not in other.text
    # the list is the team's, not a client's; changing it is not for a client's page
    assert service.http.get(CANNED, headers=anas_page).status_code == 200
    assert service.save({"shortcut": "otro", "text": "Hola"}, anas_page).status_code == 403
