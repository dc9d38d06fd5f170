"""The fake posts Meta's status webhooks (sent, delivered, read), signed with the app
secret, to a receiver: here a small Starlette app on loopback that keeps what it got."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    DEFAULT_WABA_ID,
    Failure,
    RunningFakeGraphApi,
    running_asgi_app,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiGateway, GraphApiSettings
from crm_whatsapp.adapters.whatsapp.webhook import verify_signature
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import TemplateMessage

APP_SECRET = "app-secret-for-tests"
BUSINESS = "106540352242922"
WA_ID = "5215512345678"
BSUID = "MX.13491208655302741918"


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    raw: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.raw)

    @property
    def status(self) -> dict[str, Any]:
        [status] = self.payload["entry"][0]["changes"][0]["value"]["statuses"]
        return status


class Receiver:
    """What our webhook endpoint would see: raw bodies and headers, in arrival order."""

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/webhook", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        delivery = Delivery(dict(request.headers), await request.body())
        with self._lock:
            self.deliveries.append(delivery)
        return Response(status_code=200)

    def clear(self) -> None:
        with self._lock:
            self.deliveries.clear()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Delivery]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.deliveries) >= count:
                    return list(self.deliveries)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} webhooks, got {len(self.deliveries)}")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[RunningFakeGraphApi, Receiver]]:
    receiver = Receiver()
    with (
        running_asgi_app(receiver.app) as url,
        running_fake_graph_api(
            status_webhook_url=f"{url}/webhook",
            app_secret=APP_SECRET,
            status_delays=(0.01, 0.01, 0.01),
            slow_seconds=2.0,
        ) as running,
    ):
        yield running, receiver


@pytest.fixture
def receiver(servers: tuple[RunningFakeGraphApi, Receiver]) -> tuple[Receiver, None]:
    servers[1].clear()
    return servers[1], None


@pytest.fixture
def fake(
    servers: tuple[RunningFakeGraphApi, Receiver], receiver: tuple[Receiver, None]
) -> RunningFakeGraphApi:
    servers[0].state.reset()
    return servers[0]


def gateway_run(fake: RunningFakeGraphApi, action: Callable[[GraphApiGateway], Any]) -> Any:
    async def scenario() -> Any:
        # 1 s: a fast answer on two busy cores stays well inside it, a slow one (2 s) not
        settings = GraphApiSettings("token", base_url=fake.base_url, read_timeout=1.0)
        async with GraphApiGateway(settings) as gateway:
            return await action(gateway)

    return asyncio.run(scenario())


def expected_signature(raw: bytes) -> str:
    return "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()


def by_wamid(deliveries: list[Delivery]) -> dict[str, list[Delivery]]:
    grouped: dict[str, list[Delivery]] = {}
    for delivery in deliveries:
        grouped.setdefault(delivery.status["id"], []).append(delivery)
    return grouped


def test_each_accepted_message_gets_sent_delivered_read_signed_with_the_app_secret(
    fake, receiver
) -> None:
    text_wamid = gateway_run(fake, lambda g: g.send_text(BUSINESS, CustomerIdentity(WA_ID), "hola"))
    template_wamid = gateway_run(
        fake,
        lambda g: g.send_template(
            BUSINESS, CustomerIdentity(user_id=BSUID), TemplateMessage("bienvenida")
        ),
    )

    deliveries = receiver[0].wait_for(6)

    for delivery in deliveries:
        assert delivery.headers["x-hub-signature-256"] == expected_signature(delivery.raw)
        verify_signature(delivery.raw, delivery.headers["x-hub-signature-256"], APP_SECRET)
        assert delivery.headers["content-type"] == "application/json"
    grouped = by_wamid(deliveries)
    assert set(grouped) == {text_wamid, template_wamid}
    for wamid_deliveries in grouped.values():
        assert [d.status["status"] for d in wamid_deliveries] == ["sent", "delivered", "read"]
        stamps = [int(d.status["timestamp"]) for d in wamid_deliveries]
        assert stamps == sorted(stamps)
        assert abs(stamps[0] - time.time()) < 60


def test_the_envelope_is_metas(fake, receiver) -> None:
    wamid = gateway_run(fake, lambda g: g.send_text(BUSINESS, CustomerIdentity(WA_ID), "hola"))

    sent = receiver[0].wait_for(3)[0].payload

    assert sent["object"] == "whatsapp_business_account"
    [entry] = sent["entry"]
    assert entry["id"] == fake.state.options.waba_id == DEFAULT_WABA_ID
    [change] = entry["changes"]
    assert change["field"] == "messages"
    value = change["value"]
    assert value["messaging_product"] == "whatsapp"
    assert value["metadata"] == {
        "display_phone_number": fake.state.options.display_phone_number,
        "phone_number_id": BUSINESS,
    }
    [status] = value["statuses"]
    assert status["id"] == wamid
    assert status["recipient_id"] == WA_ID
    assert status["timestamp"].isdigit()
    assert status["conversation"]["origin"] == {"type": "service"}
    assert int(status["conversation"]["expiration_timestamp"]) > int(status["timestamp"])
    assert status["pricing"] == {
        "billable": False,
        "pricing_model": "PMP",
        "category": "service",
        "type": "free_customer_service",
    }


def test_statuses_carry_pricing_until_read_and_name_a_bsuid_recipient(fake, receiver) -> None:
    gateway_run(
        fake,
        lambda g: g.send_template(
            BUSINESS, CustomerIdentity(user_id=BSUID), TemplateMessage("bienvenida")
        ),
    )

    sent, delivered, read = (d.status for d in receiver[0].wait_for(3))

    for status in (sent, delivered, read):
        assert status["recipient_user_id"] == BSUID
        assert "recipient_id" not in status
    assert sent["pricing"]["category"] == "utility"
    assert sent["pricing"]["billable"] is True
    assert "expiration_timestamp" not in delivered["conversation"]
    assert delivered["conversation"]["id"] == sent["conversation"]["id"]
    assert "conversation" not in read
    assert "pricing" not in read


def test_a_message_answered_too_late_still_gets_its_statuses(fake, receiver) -> None:
    fake.state.fail_next(Failure(slow=True))

    with pytest.raises(GatewayError):
        gateway_run(fake, lambda g: g.send_text(BUSINESS, CustomerIdentity(WA_ID), "hola"))

    [accepted] = fake.state.accepted()
    statuses = [d.status for d in receiver[0].wait_for(3)]
    assert [(s["id"], s["status"]) for s in statuses] == [
        (accepted.wamid, "sent"),
        (accepted.wamid, "delivered"),
        (accepted.wamid, "read"),
    ]


def test_refused_messages_and_read_receipts_get_no_statuses(fake, receiver) -> None:
    fake.state.fail_next(Failure(code=131026))
    with pytest.raises(GatewayError):
        gateway_run(fake, lambda g: g.send_text(BUSINESS, CustomerIdentity(WA_ID), "hola"))
    gateway_run(fake, lambda g: g.mark_read(BUSINESS, "wamid.in.1"))
    wamid = gateway_run(fake, lambda g: g.send_text(BUSINESS, CustomerIdentity(WA_ID), "otra"))

    deliveries = receiver[0].wait_for(3)
    time.sleep(0.1)  # give any unexpected extra webhook the time to arrive

    assert {d.status["id"] for d in receiver[0].deliveries} == {wamid}
    assert len(receiver[0].deliveries) == len(deliveries) == 3


def test_the_fake_records_how_the_receiver_answered(fake, receiver) -> None:
    wamid = gateway_run(fake, lambda g: g.send_text(BUSINESS, CustomerIdentity(WA_ID), "hola"))
    receiver[0].wait_for(3)

    deadline = time.monotonic() + 2
    while len(fake.state.webhook_deliveries()) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)

    assert [(d.wamid, d.status, d.response_status) for d in fake.state.webhook_deliveries()] == [
        (wamid, "sent", 200),
        (wamid, "delivered", 200),
        (wamid, "read", 200),
    ]
