"""Graph API failures become GatewayErrors that say whether a retry can help.

The first half classifies answers and transport errors directly (pure functions); the
second half makes a real loopback fake answer each failure and checks what the real
gateway raises.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.graph_api import (
    GraphApiGateway,
    GraphApiSettings,
    classify_graph_error,
    classify_transport_error,
)
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.identity import CustomerIdentity

TOKEN = "EAAG-errors-token-98765"
BUSINESS = "106540352242922"
CUSTOMER = CustomerIdentity.from_wa_id("5491123456789")
CLIENT_TIMEOUT = 1.0
"""Well above a fast answer on two busy cores (0.3 s once was not), well below ``SLOW``."""
SLOW = 2.0

RETRYABLE_CODES = [130429, 131056, 80007, 4, 1, 2, 131000, 131016, 133004]
FINAL_CODES = [
    131047,
    131026,
    131030,
    100,
    132000,
    190,
    10,
    368,
    131051,
    131062,
    132001,
    132012,
    132015,
    132016,
    132018,
]


def graph_error(code: int, message: str = "boom", details: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AbC",
    }
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


# -- pure classification ---------------------------------------------------------------


@pytest.mark.parametrize("code", RETRYABLE_CODES)
def test_throttles_and_metas_temporary_trouble_are_retryable(code: int) -> None:
    error = classify_graph_error(400, graph_error(code))

    assert error.retryable is True
    assert error.outcome_unknown is False
    assert error.error_code == str(code)


@pytest.mark.parametrize("code", FINAL_CODES)
def test_errors_a_retry_cannot_fix_are_final(code: int) -> None:
    error = classify_graph_error(400, graph_error(code))

    assert error.retryable is False
    assert error.error_code == str(code)


def test_outside_the_24_hour_window_says_a_template_is_needed() -> None:
    error = classify_graph_error(
        400, graph_error(131047, "(#131047) Re-engagement message", "more than 24 hours")
    )

    assert error.retryable is False
    assert "24 horas" in str(error)
    assert "plantilla" in str(error)
    assert "código 131047" in str(error)
    assert "more than 24 hours" in str(error)


def test_an_expired_token_is_final_and_says_so() -> None:
    error = classify_graph_error(401, graph_error(190, "Error validating access token"))

    assert (error.retryable, error.error_code) == (False, "190")
    assert "token" in str(error)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_any_5xx_is_retryable_even_with_an_unknown_or_final_code(status: int) -> None:
    assert classify_graph_error(status, graph_error(999999)).retryable is True
    assert classify_graph_error(status, graph_error(100)).retryable is True
    assert classify_graph_error(status, {}).retryable is True


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_an_unknown_code_with_a_4xx_is_final(status: int) -> None:
    error = classify_graph_error(status, graph_error(999999))

    assert error.retryable is False
    assert error.error_code == "999999"


def test_an_unknown_code_with_429_is_a_throttle() -> None:
    assert classify_graph_error(429, graph_error(999999)).retryable is True


@pytest.mark.parametrize(
    "body",
    ["<html><body>502 Bad Gateway</body></html>", "", None, [1, 2], {"error": "text"}, 42],
)
def test_bodies_that_are_not_graph_errors_are_classified_by_status(body: object) -> None:
    bad_gateway = classify_graph_error(502, body)
    bad_request = classify_graph_error(400, body)

    assert (bad_gateway.retryable, bad_gateway.error_code) == (True, "http_502")
    assert (bad_request.retryable, bad_request.error_code) == (False, "http_400")
    assert "HTTP 502" in str(bad_gateway)


def test_an_html_error_page_is_cut_short_in_the_message() -> None:
    page = "<html>" + "x" * 5000 + "</html>"

    error = classify_graph_error(503, page)

    assert len(str(error)) < 500


def test_a_code_sent_as_text_is_still_recognised() -> None:
    assert classify_graph_error(400, graph_error("131047")).error_code == "131047"  # type: ignore[arg-type]


def test_details_are_preferred_to_the_generic_message() -> None:
    error = classify_graph_error(400, graph_error(131026, "Message Undeliverable.", "no WA"))

    assert str(error).endswith(": no WA")


def request() -> httpx.Request:
    return httpx.Request("POST", "https://graph.facebook.com/v26.0/1/messages")


@pytest.mark.parametrize(
    ("exception", "code"),
    [
        (httpx.ConnectTimeout("timed out", request=request()), "connect_timeout"),
        (
            httpx.ConnectError("[Errno 111] Connection refused", request=request()),
            "connection_error",
        ),
        (httpx.PoolTimeout("no connection", request=request()), "pool_timeout"),
    ],
)
def test_failing_to_connect_is_retryable_and_nothing_was_sent(exception, code) -> None:
    error = classify_transport_error(exception)

    assert (error.retryable, error.outcome_unknown, error.error_code) == (True, False, code)


@pytest.mark.parametrize(
    "exception",
    [
        httpx.ReadTimeout("timed out", request=request()),
        httpx.WriteTimeout("timed out", request=request()),
        httpx.RemoteProtocolError("Server disconnected", request=request()),
        httpx.ReadError("reset by peer", request=request()),
    ],
)
def test_losing_the_answer_after_sending_leaves_the_outcome_unknown(exception) -> None:
    error = classify_transport_error(exception)

    assert error.retryable is True
    assert error.outcome_unknown is True
    assert "dos veces" in str(error)


def test_a_malformed_base_url_is_a_final_configuration_error() -> None:
    error = classify_transport_error(httpx.UnsupportedProtocol("ftp", request=request()))

    assert error.retryable is False


@pytest.mark.parametrize(
    "answer",
    [{"messaging_product": "whatsapp"}, {"messages": []}, {"messages": [{"id": ""}]}, "OK"],
)
def test_a_success_without_a_wamid_is_an_unknown_outcome(answer: object) -> None:
    """Meta said yes but we cannot tell which message it created (MockTransport: this is
    about reading the answer, not about the network)."""

    def meta(_: httpx.Request) -> httpx.Response:
        if isinstance(answer, str):
            return httpx.Response(200, text=answer)
        return httpx.Response(200, json=answer)

    async def scenario() -> None:
        async with httpx.AsyncClient(transport=httpx.MockTransport(meta)) as client:
            gateway = GraphApiGateway(GraphApiSettings(TOKEN), client=client)
            await gateway.send_text(BUSINESS, CUSTOMER, "hola")

    with pytest.raises(GatewayError) as failed:
        asyncio.run(scenario())

    assert failed.value.outcome_unknown is True
    assert failed.value.retryable is True
    assert failed.value.error_code == "missing_message_id"


# -- over loopback -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api(slow_seconds=SLOW) as running:
        yield running


@pytest.fixture
def fake(server: RunningFakeGraphApi) -> RunningFakeGraphApi:
    server.state.reset()
    return server


def send(base_url: str) -> GatewayError:
    """Send one text through a real gateway; returns the GatewayError it raised."""

    async def scenario() -> str:
        settings = GraphApiSettings(
            TOKEN, base_url=base_url, connect_timeout=CLIENT_TIMEOUT, read_timeout=CLIENT_TIMEOUT
        )
        async with GraphApiGateway(settings) as gateway:
            return await gateway.send_text(BUSINESS, CUSTOMER, "hola")

    with pytest.raises(GatewayError) as failed:
        asyncio.run(scenario())
    return failed.value


def fail_next(fake: RunningFakeGraphApi, **spec: Any) -> None:
    """Queue a failure through the fake's HTTP control, as a developer would."""
    response = httpx.post(f"{fake.base_url}/__fail_next", json=spec, timeout=5)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("code", [131047, 131026, 131030, 100, 132000, 190])
def test_final_graph_errors_from_the_fake_are_not_retryable(fake, code: int) -> None:
    fail_next(fake, code=code, http_status=401 if code == 190 else 400)

    error = send(fake.base_url)

    assert (error.retryable, error.outcome_unknown, error.error_code) == (False, False, str(code))
    assert fake.state.accepted() == []


@pytest.mark.parametrize(
    ("code", "status"), [(130429, 429), (131056, 400), (80007, 400), (4, 400), (1, 500), (2, 500)]
)
def test_throttles_and_server_errors_from_the_fake_are_retryable(fake, code, status) -> None:
    fail_next(fake, code=code, http_status=status)

    error = send(fake.base_url)

    assert (error.retryable, error.outcome_unknown, error.error_code) == (True, False, str(code))


def test_the_fakes_default_statuses_for_throttle_and_server_error(fake) -> None:
    fail_next(fake, code=130429)
    fail_next(fake, code=2)

    throttled, broken = send(fake.base_url), send(fake.base_url)

    assert [r["response_status"] for r in fake.state.requests()] == [429, 500]
    assert throttled.retryable
    assert broken.retryable


def test_a_non_json_error_page_is_retryable_when_it_is_a_5xx(fake) -> None:
    fail_next(fake, http_status=502, raw_body="<html><h1>502 Bad Gateway</h1></html>")

    error = send(fake.base_url)

    assert (error.retryable, error.error_code) == (True, "http_502")
    assert "502 Bad Gateway" in str(error)


def test_an_answer_slower_than_the_client_timeout_is_an_unknown_outcome(fake) -> None:
    fail_next(fake, slow=True)

    error = send(fake.base_url)

    assert (error.retryable, error.outcome_unknown, error.error_code) == (True, True, "timeout")
    [accepted] = fake.state.accepted()  # Meta may well have sent it: the fake did
    assert accepted.answered_late is True


def test_a_refused_connection_is_retryable_and_nothing_was_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Bound then closed: nothing listens on the port any more.

    error = send(f"http://127.0.0.1:{port}")

    assert (error.retryable, error.outcome_unknown, error.error_code) == (
        True,
        False,
        "connection_error",
    )
