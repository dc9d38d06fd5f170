"""Every CRM endpoint on the real app (SQLite and PostgreSQL), with data that arrived the way
it does in production: customers write through Meta's signed webhook, CRM users act through
the API. The clock is the app's own (a ``FixedClock`` override), so times are exact."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from http_service_kit import API, AUTH, signed, text_webhook_at, wait_for
from starlette.applications import Starlette
from starlette.testclient import TestClient

from crm_whatsapp.adapters.memory import FixedClock, InMemoryClientLookup
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.whatsapp.fake_graph_api import RunningFakeGraphApi
from crm_whatsapp.app import Settings, create_app
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.ports import ClientLookup, Clock
from polling import processed

_wamids = itertools.count(1)
NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)  # a Tuesday; 12:00 in Mexico City
ANA, BRUNO, DIEGO, EVA, FER = (
    "5215512345678",  # Mexico, as WhatsApp writes it (521 + 10 digits)
    "5491155550000",  # Argentina, mobile (549)
    "5215599990000",
    "573001234567",  # Colombia
    "34612345678",  # Spain
)


def at(hour: int, minute: int) -> datetime:
    return NOW.replace(hour=hour, minute=minute)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(at(17, 0))


@pytest.fixture
def crm_clients() -> InMemoryClientLookup:
    """The host CRM: Ana and Bruno with their numbers as a CRM stores them, Carla without."""
    return InMemoryClientLookup(
        [
            (ClientRef("C-100", "Ana López"), ["55 1234 5678"]),
            (ClientRef("C-200", "Bruno Díaz"), ["+54 9 11 5555-0000"]),
            (ClientRef("C-300", "Carla Ruiz"), []),
        ],
        default_region="MX",
    )


@pytest.fixture
def app(
    settings: Settings,
    service_database: Database,
    clock: FixedClock,
    crm_clients: InMemoryClientLookup,
) -> Starlette:
    """This module's app: conftest's, with the tests' clock and CRM clients plugged in."""
    return create_app(
        settings,
        overrides={Database: service_database, Clock: clock, ClientLookup: crm_clients},
    )


class Inbox:
    """Meta's webhook and the CRM API of one running app, driven from a test."""

    def __init__(self, client: TestClient, clock: FixedClock) -> None:
        self.client = client
        self.clock = clock

    def customer_writes(
        self, wa_id: str, text: str, *, when: datetime | None = None, name: str | None = None
    ) -> str:
        """Meta delivers the customer's text, sent at ``when`` (the clock moves there);
        returns the conversation's id."""
        if when is not None:
            self.clock.set(when)
        wamid = f"wamid.inbox.{next(_wamids)}"
        body = text_webhook_at(wa_id, text, self.clock.now(), wamid=wamid, name=name)
        answer = self.client.post("/webhook", content=body, headers=signed(body))
        assert answer.status_code == 200, answer.text
        assert answer.json()["received"] is True
        processed(self.client.app)
        conversation_id: str = self.conversation_of(wa_id)["id"]
        stored = [m for m in self.messages(conversation_id) if m["wamid"] == wamid]
        assert [(m["direction"], m["text"]) for m in stored] == [("inbound", text)]
        return conversation_id

    def get(self, path: str, **params: Any) -> Any:
        answer = self.client.get(path, params=params, headers=AUTH)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def act(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        answer = self.client.request(method, path, json=body, headers=AUTH)
        assert answer.status_code in (200, 201), answer.text
        return answer.json()

    def conversation_of(self, wa_id: str) -> dict[str, Any]:
        page = self.get(API, limit=200)
        return next(c for c in page["items"] if c["customer"]["wa_id"] == wa_id)

    def listed(self, path: str = API, **params: Any) -> list[str]:
        """The ids the (first) page lists, in order."""
        return [c["id"] for c in self.get(path, **params)["items"]]

    def messages(self, conversation_id: str) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.get(f"{API}/{conversation_id}/mensajes", limit=200)[
            "items"
        ]
        return messages

    def walk(self, path: str, limit: int, **params: Any) -> list[list[str]]:
        """Every page from the first, following ``next_cursor``: the ids of each page."""
        pages: list[list[str]] = []
        cursor: str | None = None
        while True:
            query = {**params, "limit": limit, **({"cursor": cursor} if cursor else {})}
            page = self.get(path, **query)
            pages.append([item["id"] for item in page["items"]])
            cursor = page["next_cursor"]
            if cursor is None or len(pages) > 50:
                return pages


@pytest.fixture
def inbox(client: TestClient, clock: FixedClock) -> Inbox:
    return Inbox(client, clock)


@pytest.fixture
def seeded(inbox: Inbox) -> dict[str, str]:
    """Five customers, ten minutes apart from 17:10 UTC: Ana and Bruno known to the CRM,
    Eva opted out ("baja"), Diego taken over by an agent. Conversation id by first name."""
    ids = {
        "ana": inbox.customer_writes(
            ANA, "Hola, ¿cuánto cuesta el CAFÉ de olla?", when=at(17, 10), name="Ana"
        ),
        "bruno": inbox.customer_writes(BRUNO, "Buenas tardes", when=at(17, 20), name="Bruno"),
        "diego": inbox.customer_writes(
            DIEGO, "¿Hacen envíos a Mérida?", when=at(17, 30), name="Diego"
        ),
        "eva": inbox.customer_writes(EVA, "baja", when=at(17, 40), name="Eva"),
        "fer": inbox.customer_writes(FER, "Gracias por todo", when=at(17, 50), name="Fer"),
    }
    inbox.act("POST", f"{API}/{ids['diego']}/pausar-bot", {"agent": "Laura"})
    inbox.clock.set(NOW)
    return ids


# -- reading: the list, its filters and pages; by client, number and id ------------------
# Each test reads one seeded inbox in many ways (a subtest each): the reads change nothing,
# and one app per check would cost the suite a second per check on both databases.


def test_the_list_shows_every_conversation_newest_activity_first(
    inbox: Inbox, seeded: dict[str, str]
) -> None:
    page = inbox.get(API)
    assert [c["id"] for c in page["items"]] == [
        seeded[name] for name in ("fer", "eva", "diego", "bruno", "ana")
    ]
    assert page["next_cursor"] is None
    ana = page["items"][-1]
    assert ana["customer"]["wa_id"] == ANA
    assert ana["profile_name"] == "Ana"
    assert ana["client"] == {"id": "C-100", "name": "Ana López"}
    assert ana["display_name"] == "Ana López"
    assert ana["unread_count"] == 1
    assert ana["last_inbound_at"] == "2026-03-10T17:10:00Z"


LIST_FILTERS: list[tuple[str, dict[str, str], list[str]]] = [
    ("a CRM client", {"client_id": "C-100"}, ["ana"]),
    ("another CRM client", {"client_id": "C-200"}, ["bruno"]),
    ("a CRM client without conversations", {"client_id": "C-300"}, []),
    ("a number as the CRM writes it", {"number": "+52 55 1234 5678"}, ["ana"]),
    ("a number as WhatsApp writes it", {"number": "5215512345678"}, ["ana"]),
    ("a national number", {"number": "55 1234 5678"}, ["ana"]),
    ("a number with dashes and the old mobile 1", {"number": "+52-1-55-1234-5678"}, ["ana"]),
    ("a number nobody has", {"number": "+52 55 1234 5679"}, []),
    ("since, with an offset", {"since": "2026-03-10T11:30:00-06:00"}, ["fer", "eva", "diego"]),
    ("until, with an offset", {"until": "2026-03-10T11:30:00-06:00"}, ["bruno", "ana"]),
    (
        "since and until",
        {"since": "2026-03-10T17:15:00Z", "until": "2026-03-10T17:45:00Z"},
        ["eva", "diego", "bruno"],
    ),
    (
        "since a year before 1000",
        {"since": "0999-01-01T00:00:00Z"},
        ["fer", "eva", "diego", "bruno", "ana"],
    ),
    ("until a year before 1000", {"until": "0999-12-31T00:00:00Z"}, []),
    ("linked", {"linked": "true"}, ["bruno", "ana"]),
    ("not linked", {"linked": "false"}, ["fer", "eva", "diego"]),
    ("taken over", {"bot_paused": "true"}, ["diego"]),
    ("with the bot", {"bot_paused": "false"}, ["fer", "eva", "bruno", "ana"]),
    ("opted out", {"opted_out": "true"}, ["eva"]),
    ("not opted out", {"opted_out": "false"}, ["fer", "diego", "bruno", "ana"]),
    ("words without accents", {"q": "cafe"}, ["ana"]),
    ("words in capitals", {"q": "ENVIOS a merida"}, ["diego"]),
    ("words nobody wrote", {"q": "no dijo nadie esto"}, []),
    ("words and a state", {"q": "mérida", "linked": "true"}, []),
    (
        "every state at once",
        {"linked": "false", "opted_out": "false", "bot_paused": "false"},
        ["fer"],
    ),
]


def test_the_list_filters_by_client_number_dates_state_and_words(
    inbox: Inbox, seeded: dict[str, str], subtests: pytest.Subtests
) -> None:
    for what, params, expected in LIST_FILTERS:
        with subtests.test(what, **params):
            assert inbox.listed(**params) == [seeded[name] for name in expected]


def test_walking_the_pages_lists_every_conversation_once(
    inbox: Inbox, seeded: dict[str, str], subtests: pytest.Subtests
) -> None:
    with subtests.test("the whole list"):
        pages = inbox.walk(API, limit=2)
        assert [len(page) for page in pages] == [2, 2, 1]
        walked = [conversation for page in pages for conversation in page]
        assert walked == inbox.listed(limit=200)
        assert sorted(walked) == sorted(seeded.values())
    with subtests.test("a filtered list"):
        assert inbox.walk(API, limit=2, linked="false") == [
            [seeded["fer"], seeded["eva"]],
            [seeded["diego"]],
        ]
    with subtests.test("a searched list"):
        pages = inbox.walk(API, limit=1, q="a")
        assert all(len(page) == 1 for page in pages)
        assert [c for page in pages for c in page] == inbox.listed(q="a", limit=200)
        assert len(pages) >= 4
    with subtests.test("a client's conversations"):
        assert inbox.walk(f"{API}/cliente/C-200", limit=1) == [[seeded["bruno"]]]


BY_CLIENT_OR_NUMBER: list[tuple[str, str, list[str]]] = [
    ("a client's conversations", "cliente/C-100", ["ana"]),
    ("a client without conversations", "cliente/C-999", []),
    ("a number in E.164 with spaces", "numero/+52 55 1234 5678", ["ana"]),
    ("a number as WhatsApp writes it", "numero/5215512345678", ["ana"]),
    ("a number with the old mobile 1", "numero/52 1 55 1234 5678", ["ana"]),
    ("a national number with punctuation", "numero/(55) 1234-5678", ["ana"]),
    ("an Argentine mobile with its 9", "numero/+54 9 11 5555-0000", ["bruno"]),
    ("an Argentine mobile without its 9", "numero/+54 11 5555-0000", ["bruno"]),
    ("a number nobody has", "numero/+52 55 0000 0000", []),
]


def test_a_client_or_a_number_finds_its_conversations(
    inbox: Inbox, seeded: dict[str, str], subtests: pytest.Subtests
) -> None:
    for what, path, expected in BY_CLIENT_OR_NUMBER:
        with subtests.test(what, path=path):
            assert inbox.listed(f"{API}/{path}") == [seeded[name] for name in expected]


def test_one_conversation_is_read_by_its_id(inbox: Inbox, seeded: dict[str, str]) -> None:
    eva = inbox.get(f"{API}/{seeded['eva']}")
    assert eva["id"] == seeded["eva"]
    assert eva["customer"]["wa_id"] == EVA
    assert eva["opted_out"] is True
    assert eva["client"] is None
    assert eva["service_window_open"] is True
    assert eva["service_window_closes_at"] == "2026-03-11T17:40:00Z"


# -- messages ----------------------------------------------------------------------------


def test_the_messages_come_newest_first_and_their_pages_cover_them_all(inbox: Inbox) -> None:
    conversation = ""
    for minute, text in enumerate(["Hola", "¿Abren mañana?", "¿A qué hora?"]):
        conversation = inbox.customer_writes(ANA, text, when=at(17, 10 + minute))
    messages = inbox.messages(conversation)
    assert len(messages) == 6  # three from the customer, three answers of the bot
    assert [m["direction"] for m in messages].count("inbound") == 3
    times = [m["sent_at"] for m in messages]
    assert times == sorted(times, reverse=True)
    newest = next(m for m in messages if m["direction"] == "inbound")
    assert newest["text"] == "¿A qué hora?"
    assert newest["author"] == {"kind": "customer", "name": None}
    assert newest["processing"]["state"] == "replied"

    pages = inbox.walk(f"{API}/{conversation}/mensajes", limit=2)
    assert [len(page) for page in pages] == [2, 2, 2]
    assert [m for page in pages for m in page] == [m["id"] for m in messages]


def test_an_agent_reply_is_queued_then_sent_and_the_agent_takes_over(
    inbox: Inbox, seeded: dict[str, str], fake_graph: RunningFakeGraphApi
) -> None:
    reply = inbox.act(
        "POST", f"{API}/{seeded['ana']}/mensajes", {"agent": "Laura", "text": "Cuesta $85."}
    )
    assert reply["direction"] == "outbound"
    assert reply["author"] == {"kind": "agent", "name": "Laura"}
    assert reply["text"] == "Cuesta $85."
    assert reply["conversation_id"] == seeded["ana"]
    assert reply["delivery"]["status"] == "pending"
    assert reply["id"] == inbox.messages(seeded["ana"])[0]["id"]

    ana = inbox.get(f"{API}/{seeded['ana']}")
    assert ana["bot_paused"] is True
    assert ana["assigned_agent"] == "Laura"
    assert ana["last_preview"] == "Cuesta $85."

    def sent_to_meta() -> list[dict[str, Any]]:
        return [
            r
            for r in fake_graph.state.requests()
            if r["body"].get("text", {}).get("body") == "Cuesta $85."
        ]

    assert wait_for(sent_to_meta)[0]["body"]["to"] == ANA

    inbox.act(
        "POST",
        f"{API}/{seeded['fer']}/mensajes",
        {"agent": "Laura", "text": "¡A ti!", "take_over": False},
    )
    assert inbox.get(f"{API}/{seeded['fer']}")["bot_paused"] is False


def test_free_text_is_refused_after_the_24_hour_window_but_a_template_is_accepted(
    inbox: Inbox, seeded: dict[str, str], clock: FixedClock, client: TestClient
) -> None:
    window_closes = at(17, 10) + timedelta(hours=24)
    clock.set(window_closes - timedelta(seconds=1))
    last_second = inbox.act(
        "POST", f"{API}/{seeded['ana']}/mensajes", {"agent": "Laura", "text": "¿Sí?"}
    )
    assert last_second["delivery"]["status"] == "pending"

    clock.set(window_closes)
    late = client.post(
        f"{API}/{seeded['ana']}/mensajes",
        json={"agent": "Laura", "text": "¿Sigue interesada?"},
        headers=AUTH,
    )
    assert late.status_code == 409
    error = late.json()["error"]
    assert error["code"] == "outside_service_window"
    assert "24 hours" in error["message"]
    assert "template" in error["message"]
    assert inbox.get(f"{API}/{seeded['ana']}")["service_window_open"] is False

    template = inbox.act(
        "POST",
        f"{API}/{seeded['ana']}/mensajes",
        {
            "agent": "Laura",
            "template": {"name": "seguimiento", "language": "es_MX", "parameters": ["Ana"]},
        },
    )
    assert template["kind"] == "template"
    assert template["template"] == {
        "name": "seguimiento",
        "language": "es_MX",
        "parameters": ["Ana"],
        "named_parameters": {},
        "category": None,  # no catalogue synced here: sent as given, unchecked
    }
    assert template["delivery"]["status"] == "pending"
    assert [m["text"] for m in inbox.messages(seeded["ana"])].count("¿Sigue interesada?") == 0


# -- acting on a conversation ------------------------------------------------------------


def test_linking_and_unlinking_a_crm_client(
    inbox: Inbox, seeded: dict[str, str], client: TestClient
) -> None:
    linked = inbox.act("PUT", f"{API}/{seeded['fer']}/cliente", {"client_id": "C-300"})
    assert linked["client"] == {"id": "C-300", "name": "Carla Ruiz"}
    assert linked["client_linked_manually"] is True
    assert linked["display_name"] == "Carla Ruiz"
    assert inbox.listed(client_id="C-300") == [seeded["fer"]]
    assert inbox.listed(f"{API}/cliente/C-300") == [seeded["fer"]]

    unlinked = inbox.act("DELETE", f"{API}/{seeded['fer']}/cliente")
    assert unlinked["client"] is None
    assert inbox.listed(client_id="C-300") == []
    assert seeded["fer"] in inbox.listed(linked="false")

    unknown = client.put(
        f"{API}/{seeded['fer']}/cliente", json={"client_id": "C-404"}, headers=AUTH
    )
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "client_not_found"
    assert "C-404" in unknown.json()["error"]["message"]
    assert inbox.get(f"{API}/{seeded['fer']}")["client"] is None


def test_an_unlinked_customer_is_not_linked_again_by_the_number_lookup(
    inbox: Inbox, seeded: dict[str, str]
) -> None:
    inbox.act("DELETE", f"{API}/{seeded['ana']}/cliente")
    inbox.customer_writes(ANA, "Otra pregunta", when=NOW)
    assert inbox.get(f"{API}/{seeded['ana']}")["client"] is None


def test_a_paused_bot_stays_silent_until_it_is_resumed(
    inbox: Inbox, seeded: dict[str, str]
) -> None:
    paused = inbox.act("POST", f"{API}/{seeded['fer']}/pausar-bot", {"agent": "Laura"})
    assert paused["bot_paused"] is True
    assert paused["assigned_agent"] == "Laura"
    assert inbox.listed(bot_paused="true") == [seeded["fer"], seeded["diego"]]

    inbox.customer_writes(FER, "¿Hay alguien?", when=at(18, 1))
    newest = inbox.messages(seeded["fer"])[0]
    assert newest["text"] == "¿Hay alguien?"  # and no answer after it
    assert newest["processing"]["state"] == "skipped"

    resumed = inbox.act("POST", f"{API}/{seeded['fer']}/reanudar-bot")
    assert resumed["bot_paused"] is False
    assert resumed["assigned_agent"] is None
    inbox.customer_writes(FER, "¿Y ahora?", when=at(18, 2))
    messages = inbox.messages(seeded["fer"])
    question = next(m for m in messages if m["text"] == "¿Y ahora?")
    assert question["processing"]["state"] == "replied"
    # The answer has the same time as the question here (a fixed clock): find it by link.
    answer = next(m for m in messages if m["details"].get("in_reply_to") == question["id"])
    assert answer["direction"] == "outbound"
    assert answer["author"]["kind"] == "bot"


def test_reading_a_conversation_clears_its_badge_and_sends_blue_ticks(
    inbox: Inbox, seeded: dict[str, str], fake_graph: RunningFakeGraphApi
) -> None:
    inbox.customer_writes(ANA, "¿Me escuchan?", when=at(18, 1))
    assert inbox.get(f"{API}/{seeded['ana']}")["unread_count"] == 2
    latest = next(m for m in inbox.messages(seeded["ana"]) if m["direction"] == "inbound")

    read = inbox.act("POST", f"{API}/{seeded['ana']}/leida")
    assert read["unread_count"] == 0
    assert inbox.get(f"{API}/{seeded['ana']}")["unread_count"] == 0
    receipts = [r["body"] for r in fake_graph.state.requests() if r["body"].get("status") == "read"]
    assert receipts == [
        {"messaging_product": "whatsapp", "status": "read", "message_id": latest["wamid"]}
    ]


# -- statistics and CRM clients ----------------------------------------------------------


def test_statistics_count_what_was_sent(
    inbox: Inbox, seeded: dict[str, str], client: TestClient, subtests: pytest.Subtests
) -> None:
    inbox.act("POST", f"{API}/{seeded['diego']}/mensajes", {"agent": "Laura", "text": "Sí."})
    with subtests.test("everything, days and hours in the service's timezone"):
        stats = inbox.get(f"{API}/estadisticas")
        assert stats["timezone"] == "America/Mexico_City"
        assert stats["inbound_messages"] == 5
        # The bot answered everyone (Diego before he was taken over; Eva's opt-out note).
        assert stats["bot_messages"] == 5
        assert stats["agent_messages"] == 1
        assert stats["outbound_messages"] == 6
        assert stats["conversations"] == 5
        assert stats["customers"] == 5
        assert stats["linked_conversations"] == 2
        assert stats["unlinked_conversations"] == 3
        assert stats["opt_outs"] == 1
        assert stats["messages_per_day"] == [{"day": "2026-03-10", "inbound": 5, "outbound": 6}]
        assert stats["heatmap"][1][11] == 5  # Tuesday, 11:xx in Mexico City
        assert sum(map(sum, stats["heatmap"])) == 5
    with subtests.test("a range, in another timezone"):
        ranged = inbox.get(
            f"{API}/estadisticas",
            since="2026-03-10T17:25:00Z",
            until="2026-03-10T12:00:00-06:00",
            timezone="Europe/Madrid",
        )
        assert ranged["timezone"] == "Europe/Madrid"
        assert ranged["since"] == "2026-03-10T17:25:00Z"
        assert ranged["inbound_messages"] == 3  # Diego, Eva, Fer
        assert ranged["heatmap"][1][18] == 3  # 18:xx in Madrid
    with subtests.test("plain dates are whole local days, the last one included"):
        day = inbox.get(f"{API}/estadisticas", since="2026-03-10", until="2026-03-10")
        assert day["since"] == "2026-03-10T00:00:00-06:00"  # midnight in Mexico City
        assert day["until"] == "2026-03-11T00:00:00-06:00"
        assert day["inbound_messages"] == 5
        assert inbox.get(f"{API}/estadisticas", since="2026-03-11")["inbound_messages"] == 0
    with subtests.test("plain dates in the timezone asked for"):
        # 17:xx UTC on the 10th is already the 11th in Tokyo
        tokyo = {"timezone": "Asia/Tokyo"}
        eleventh = inbox.get(f"{API}/estadisticas", since="2026-03-11", **tokyo)
        assert eleventh["inbound_messages"] == 5
        tenth = inbox.get(f"{API}/estadisticas", until="2026-03-10", **tokyo)
        assert tenth["inbound_messages"] == 0
    with subtests.test("a range before anything happened"):
        before = inbox.get(f"{API}/estadisticas", until="2026-03-10T17:00:00Z")
        assert before["inbound_messages"] == before["outbound_messages"] == 0
        assert before["delivery_rate"] is None
    with subtests.test("a range that ends before year 1000"):
        ancient = inbox.get(f"{API}/estadisticas", until="0999-12-31T00:00:00Z")
        assert ancient["inbound_messages"] == 0
    with subtests.test("an unknown timezone is refused"):
        answer = client.get(
            f"{API}/estadisticas", params={"timezone": "Mars/Olympus"}, headers=AUTH
        )
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "invalid_query_parameter"
        assert "timezone" in answer.json()["error"]["message"]


def test_crm_clients_are_found_by_id_or_name(inbox: Inbox, subtests: pytest.Subtests) -> None:
    ana = {"id": "C-100", "name": "Ana López"}
    for query, expected in [
        ({"q": "ana"}, [ana]),
        ({"q": "LOPEZ"}, [ana]),
        ({"q": "C-200"}, [{"id": "C-200", "name": "Bruno Díaz"}]),
        ({"q": "zz"}, []),
        ({"q": "r", "limit": "1"}, [{"id": "C-200", "name": "Bruno Díaz"}]),  # then Carla
    ]:
        with subtests.test(**query):
            assert inbox.get("/api/v1/clientes-crm", **query)["items"] == expected
