"""The Graph API gateway sends exactly the JSON Meta documents, over a real loopback server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.graph_api import (
    DEFAULT_API_VERSION,
    GraphApiGateway,
    GraphApiSettings,
)
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import TemplateMessage

TOKEN = "EAAG-test-token-0123456789"
BUSINESS = "106540352242922"
WA_ID = "5215512345678"
BSUID = "MX.13491208655302741918"
CUSTOMER = CustomerIdentity.from_wa_id(WA_ID)

T = TypeVar("T")


@pytest.fixture(scope="module")
def server() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api(access_token=TOKEN) as running:
        yield running


@pytest.fixture
def fake(server: RunningFakeGraphApi) -> RunningFakeGraphApi:
    server.state.reset()
    return server


def with_gateway(
    fake: RunningFakeGraphApi,
    action: Callable[[GraphApiGateway], Awaitable[T]],
    token: str = TOKEN,
) -> T:
    async def scenario() -> T:
        settings = GraphApiSettings(token, base_url=fake.base_url, read_timeout=2.0)
        async with GraphApiGateway(settings) as gateway:
            return await action(gateway)

    return asyncio.run(scenario())


def only_request(fake: RunningFakeGraphApi) -> dict[str, Any]:
    requests = fake.state.requests()
    assert len(requests) == 1
    request = requests[0]
    assert request["method"] == "POST"
    assert request["path"] == f"/{DEFAULT_API_VERSION}/{BUSINESS}/messages"
    assert request["headers"]["authorization"] == "Bearer ***"
    assert request["headers"]["content-type"] == "application/json"
    return request


def test_send_text_posts_metas_text_message_and_returns_the_wamid_meta_gave(fake):
    wamid = with_gateway(fake, lambda g: g.send_text(BUSINESS, CUSTOMER, "Hola, ¿en qué te ayudo?"))

    assert only_request(fake)["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"body": "Hola, ¿en qué te ayudo?", "preview_url": False},
    }
    [accepted] = fake.state.accepted()
    assert wamid == accepted.wamid
    assert wamid.startswith("wamid.")


def test_a_reply_carries_the_context_of_the_customers_message(fake):
    with_gateway(
        fake, lambda g: g.send_text(BUSINESS, CUSTOMER, "Claro", reply_to_wamid="wamid.in.42")
    )

    body = only_request(fake)["body"]
    assert body["context"] == {"message_id": "wamid.in.42"}
    assert body["text"] == {"body": "Claro", "preview_url": False}


def test_preview_url_is_passed_through(fake):
    with_gateway(
        fake,
        lambda g: g.send_text(BUSINESS, CUSTOMER, "Mira https://example.org", preview_url=True),
    )

    body = only_request(fake)["body"]
    assert body["text"] == {"body": "Mira https://example.org", "preview_url": True}
    assert "context" not in body


def test_a_customer_known_only_by_business_scoped_user_id_is_addressed_with_recipient(fake):
    customer = CustomerIdentity(user_id=BSUID)

    with_gateway(fake, lambda g: g.send_text(BUSINESS, customer, "Hola"))

    body = only_request(fake)["body"]
    assert body["recipient"] == BSUID
    assert "to" not in body
    assert fake.state.accepted()[0].recipient_field == "recipient"


def test_when_both_ids_are_known_the_phone_number_id_alone_is_used(fake):
    customer = CustomerIdentity.from_wa_id(WA_ID, user_id=BSUID)

    with_gateway(fake, lambda g: g.send_text(BUSINESS, customer, "Hola"))

    body = only_request(fake)["body"]
    assert body["to"] == WA_ID
    assert "recipient" not in body


def test_a_template_with_parameters_sends_one_body_component(fake):
    template = TemplateMessage("recordatorio_cita", "es_MX", ("Ana", "martes 10:00"))

    wamid = with_gateway(fake, lambda g: g.send_template(BUSINESS, CUSTOMER, template))

    assert only_request(fake)["body"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "template",
        "template": {
            "name": "recordatorio_cita",
            "language": {"code": "es_MX"},
            "components": [
                {
                    "type": "body",
                    "parameters": [
                        {"type": "text", "text": "Ana"},
                        {"type": "text", "text": "martes 10:00"},
                    ],
                }
            ],
        },
    }
    assert wamid == fake.state.accepted()[0].wamid


def test_a_template_without_parameters_sends_no_components(fake):
    with_gateway(fake, lambda g: g.send_template(BUSINESS, CUSTOMER, TemplateMessage("bienvenida")))

    assert only_request(fake)["body"]["template"] == {
        "name": "bienvenida",
        "language": {"code": "es"},
    }


def test_mark_read_posts_the_read_status_of_the_customers_message(fake):
    result = with_gateway(fake, lambda g: g.mark_read(BUSINESS, "wamid.in.7"))

    assert result is None
    assert only_request(fake)["body"] == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.in.7",
    }
    assert fake.state.accepted() == []


def test_each_send_gets_its_own_wamid(fake):
    async def send_three(gateway: GraphApiGateway) -> list[str]:
        return [await gateway.send_text(BUSINESS, CUSTOMER, f"mensaje {n}") for n in range(3)]

    wamids = with_gateway(fake, send_three)

    assert len(set(wamids)) == 3
    assert wamids == [message.wamid for message in fake.state.accepted()]


def test_the_configured_api_version_and_base_url_shape_the_address(fake):
    async def send(gateway: GraphApiGateway) -> str:
        return await gateway.send_text(BUSINESS, CUSTOMER, "hola")

    async def scenario() -> str:
        settings = GraphApiSettings(TOKEN, base_url=fake.base_url + "/", api_version="v24.0")
        async with GraphApiGateway(settings) as gateway:
            return await send(gateway)

    asyncio.run(scenario())

    assert fake.state.requests()[0]["path"] == f"/v24.0/{BUSINESS}/messages"


def test_the_bearer_token_is_the_configured_one(fake):
    """The fake refuses any other token the way Meta refuses an expired one (code 190)."""
    with pytest.raises(GatewayError) as refused:
        with_gateway(fake, lambda g: g.send_text(BUSINESS, CUSTOMER, "hola"), token="other")

    assert refused.value.error_code == "190"
    assert refused.value.retryable is False
    assert fake.state.accepted() == []


def test_an_injected_client_is_used_and_left_open_for_its_owner(fake):
    import httpx

    async def scenario() -> bool:
        async with httpx.AsyncClient() as client:
            settings = GraphApiSettings(TOKEN, base_url=fake.base_url)
            async with GraphApiGateway(settings, client=client) as gateway:
                await gateway.send_text(BUSINESS, CUSTOMER, "hola")
            return client.is_closed

    assert asyncio.run(scenario()) is False
    assert len(fake.state.accepted()) == 1


@pytest.mark.parametrize(
    ("field", "value", "complaint"),
    [
        ("access_token", "", "access_token"),
        ("access_token", " padded ", "access_token"),
        ("base_url", "graph.facebook.com", "base_url"),
        ("api_version", "v1/x", "api_version"),
        ("connect_timeout", 0, "timeouts"),
        ("read_timeout", -1, "timeouts"),
        ("max_connections", 0, "max_connections"),
    ],
)
def test_settings_refuse_values_that_cannot_work(field: str, value: object, complaint: str) -> None:
    values: dict[str, Any] = {"access_token": TOKEN, field: value}
    with pytest.raises(ValueError, match=complaint):
        GraphApiSettings(**values)


def test_the_default_address_is_metas_graph_api() -> None:
    settings = GraphApiSettings(TOKEN)

    assert settings.messages_url(BUSINESS) == (
        f"https://graph.facebook.com/{DEFAULT_API_VERSION}/{BUSINESS}/messages"
    )


def test_a_malformed_phone_number_id_is_a_final_gateway_error_and_nothing_is_sent(fake):
    with pytest.raises(GatewayError) as failed:
        with_gateway(fake, lambda g: g.send_text("106/../x", CUSTOMER, "hola"))

    assert (failed.value.retryable, failed.value.error_code) == (False, "invalid_phone_number_id")
    assert fake.state.requests() == []
