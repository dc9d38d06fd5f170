"""The access token can send as the business: it must never show up anywhere but the
Authorization header of the requests themselves, whatever goes wrong."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import traceback
from collections.abc import Iterator

import httpx
import pytest

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    Failure,
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.graph_api import GraphApiGateway, GraphApiSettings
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity

TOKEN = "EAAGsecretTOKENvalue1234567890"
BUSINESS = "106540352242922"
CUSTOMER = CustomerIdentity.from_wa_id("5511987654321")

FAILURES = {
    **{
        f"graph code {code}": Failure(code=code)
        for code in (131047, 131026, 131030, 100, 132000, 190, 130429, 131056, 80007, 4, 1, 2)
    },
    "error echoing the token": Failure(code=100, message=f"(#100) Invalid token {TOKEN}"),
    "proxy page echoing the token": Failure(
        http_status=502, raw_body=f"<pre>Authorization: Bearer {TOKEN}</pre>"
    ),
    "answer slower than the timeout": Failure(slow=True),
}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api(access_token=TOKEN, slow_seconds=2.0) as running:
        yield running


@pytest.fixture
def fake(server: RunningFakeGraphApi) -> RunningFakeGraphApi:
    server.state.reset()
    return server


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's, httpcore's
    return caplog


def settings(base_url: str, token: str = TOKEN) -> GraphApiSettings:
    # 1 s: a fast answer on two busy cores stays well inside it, a slow one (2 s) not
    return GraphApiSettings(token, base_url=base_url, connect_timeout=1.0, read_timeout=1.0)


def failed_send(gateway_settings: GraphApiSettings, client: httpx.AsyncClient | None = None):
    async def scenario() -> None:
        async with GraphApiGateway(gateway_settings, client=client) as gateway:
            await gateway.send_text(BUSINESS, CUSTOMER, "hola")

    with pytest.raises(GatewayError) as failed:
        asyncio.run(scenario())
    return failed.value


def assert_no_token(error: GatewayError, logs: pytest.LogCaptureFixture, token: str = TOKEN):
    shown = [
        str(error),
        repr(error),
        *map(str, error.args),
        "".join(traceback.format_exception(error)),
        logs.text,
        *(record.getMessage() for record in logs.records),
    ]
    assert [text for text in shown if token in text] == []
    assert logs.records, "the failure should have been logged"


def test_the_token_is_not_in_the_reprs_of_settings_or_gateway() -> None:
    gateway_settings = GraphApiSettings(TOKEN)

    assert TOKEN not in repr(gateway_settings)
    assert TOKEN not in str(gateway_settings)
    assert "access_token='***'" in repr(gateway_settings)
    assert TOKEN not in repr(GraphApiGateway(gateway_settings))


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
def test_no_failure_reveals_the_token(fake, logs, failure: Failure) -> None:
    fake.state.fail_next(failure)

    error = failed_send(settings(fake.base_url))

    assert_no_token(error, logs)


def test_a_refused_token_does_not_reveal_the_one_sent(fake, logs) -> None:
    other = "EAAGanotherSECRETtoken000"

    error = failed_send(settings(fake.base_url, token=other))

    assert error.error_code == "190"
    assert_no_token(error, logs, token=other)


def test_a_refused_connection_does_not_reveal_the_token(logs) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = failed_send(settings(f"http://127.0.0.1:{port}"))

    assert error.error_code == "connection_error"
    assert_no_token(error, logs)


def test_a_success_without_wamid_echoing_the_token_does_not_reveal_it(logs) -> None:
    def meta(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"debug": f"Bearer {TOKEN}"})

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(meta)) as client:
            await GraphApiGateway(GraphApiSettings(TOKEN), client=client).send_text(
                BUSINESS, CUSTOMER, "hola"
            )

    with pytest.raises(GatewayError) as failed:
        asyncio.run(scenario())

    assert_no_token(failed.value, logs)


def test_successful_sends_log_without_the_token_and_the_fake_records_it_redacted(
    fake, logs
) -> None:
    async def scenario() -> None:
        async with GraphApiGateway(settings(fake.base_url)) as gateway:
            await gateway.send_text(BUSINESS, CUSTOMER, "hola")
            await gateway.mark_read(BUSINESS, "wamid.in.1")

    asyncio.run(scenario())

    assert len(fake.state.requests()) == 2
    assert TOKEN not in json.dumps(fake.state.requests())
    assert TOKEN not in httpx.get(f"{fake.base_url}/__requests").text
    assert TOKEN not in logs.text
    assert any(record.name == "crm_whatsapp.graph_api" for record in logs.records)
