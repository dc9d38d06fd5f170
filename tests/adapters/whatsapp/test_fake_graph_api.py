"""The fake Graph API accepts what Meta accepts, refuses what Meta refuses, records every
request with the token hidden, and fails on purpose when asked to."""

from __future__ import annotations

import base64
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    Failure,
    FakeGraphApiOptions,
    RunningFakeGraphApi,
    running_fake_graph_api,
)

BUSINESS = "106540352242922"
PATH = f"/v26.0/{BUSINESS}/messages"
AUTH = {"Authorization": "Bearer EAAG-fake-test"}
TEXT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "5215512345678",
    "type": "text",
    "text": {"body": "hola"},
}


@pytest.fixture(scope="module")
def server() -> Iterator[RunningFakeGraphApi]:
    with running_fake_graph_api(slow_seconds=0.0) as running:
        yield running


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One client for the module (a new httpx client per call costs ~30 ms of TLS setup)."""
    with httpx.Client() as client:
        yield client


@pytest.fixture
def fake(server: RunningFakeGraphApi) -> RunningFakeGraphApi:
    server.state.reset()
    return server


@pytest.fixture
def post(http: httpx.Client):
    def post(fake: RunningFakeGraphApi, body: Any, *, path: str = PATH, headers=AUTH):
        if isinstance(body, bytes):
            return http.post(fake.base_url + path, content=body, headers=headers)
        return http.post(fake.base_url + path, json=body, headers=headers)

    return post


def assert_meta_error(response: httpx.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error["type"] == "OAuthException"
    assert isinstance(error["message"], str)
    assert error["message"]
    assert error["error_data"]["messaging_product"] == "whatsapp"
    assert isinstance(error["error_data"]["details"], str)
    assert isinstance(error["fbtrace_id"], str)
    assert error["fbtrace_id"]
    return error


def test_a_valid_text_gets_metas_success_answer(fake, post) -> None:
    response = post(fake, TEXT)

    assert response.status_code == 200
    answer = response.json()
    wamid = answer["messages"][0]["id"]
    assert answer == {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "5215512345678", "wa_id": "5215512345678"}],
        "messages": [{"id": wamid}],
    }
    assert wamid.startswith("wamid.")
    base64.b64decode(wamid.removeprefix("wamid."), validate=True)


def test_a_template_answer_says_accepted_and_a_bsuid_send_echoes_user_id(fake, post) -> None:
    body = {
        "messaging_product": "whatsapp",
        "recipient": "MX.134912086553",
        "type": "template",
        "template": {"name": "bienvenida", "language": {"code": "es"}},
    }

    answer = post(fake, body).json()

    assert answer["contacts"] == [{"input": "MX.134912086553", "user_id": "MX.134912086553"}]
    assert answer["messages"][0]["message_status"] == "accepted"


def test_a_read_receipt_gets_success_true_and_is_not_a_message(fake, post) -> None:
    response = post(
        fake, {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}
    )

    assert (response.status_code, response.json()) == (200, {"success": True})
    assert fake.state.accepted() == []


@pytest.mark.parametrize("version", ["v19.0", "v26.0", "v99.9"])
def test_any_api_version_is_served(fake, version: str, post) -> None:
    assert post(fake, TEXT, path=f"/{version}/{BUSINESS}/messages").status_code == 200


def test_wamids_are_unique(fake, post) -> None:
    with httpx.Client(base_url=fake.base_url, headers=AUTH) as client:
        wamids = [client.post(PATH, json=TEXT).json()["messages"][0]["id"] for _ in range(50)]

    assert len(set(wamids)) == 50


@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({k: v for k, v in TEXT.items() if k != "messaging_product"}, "messaging_product"),
        ({**TEXT, "messaging_product": "sms"}, "messaging_product"),
        ({k: v for k, v in TEXT.items() if k != "to"}, "to"),
        ({k: v for k, v in TEXT.items() if k != "text"}, "text"),
        ({**TEXT, "text": {"body": ""}}, "text['body']"),
        ({**TEXT, "type": "fax"}, "type"),
        ({**TEXT, "type": "template", "template": {"language": {"code": "es"}}}, "name"),
        ({**TEXT, "type": "template", "template": {"name": "x"}}, "language"),
        ({"messaging_product": "whatsapp", "status": "read"}, "message_id"),
        ({"messaging_product": "whatsapp", "status": "deleted", "message_id": "w"}, "status"),
        ([TEXT], "messaging_product"),
        (b"{not json", "messaging_product"),
    ],
)
def test_malformed_bodies_get_metas_invalid_parameter_error(fake, body, complaint, post) -> None:
    response = post(fake, body)

    error = assert_meta_error(response, 400, 100)
    assert error["message"].startswith("(#100)")
    assert complaint in error["message"]
    assert fake.state.accepted() == []
    assert fake.state.requests()[-1]["response_status"] == 400


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer"}]
)
def test_no_bearer_token_gets_401_code_190(fake, headers, post) -> None:
    response = post(fake, TEXT, headers=headers)

    assert_meta_error(response, 401, 190)
    assert "OAuth" in response.headers["www-authenticate"]
    assert fake.state.accepted() == []


def test_with_an_expected_token_any_other_is_refused(post) -> None:
    with running_fake_graph_api(access_token="the-right-one") as fake:
        refused = post(fake, TEXT, headers={"Authorization": "Bearer the-wrong-one"})
        accepted = post(fake, TEXT, headers={"Authorization": "Bearer the-right-one"})

    assert_meta_error(refused, 401, 190)
    assert accepted.status_code == 200


def test_every_request_is_recorded_with_the_authorization_redacted(fake, post, http) -> None:
    post(fake, TEXT)
    post(fake, {"messaging_product": "whatsapp"})

    recorded = http.get(fake.base_url + "/__requests").json()

    assert [(r["method"], r["path"], r["body"], r["response_status"]) for r in recorded] == [
        ("POST", PATH, TEXT, 200),
        ("POST", PATH, {"messaging_product": "whatsapp"}, 400),
    ]
    assert {r["headers"]["authorization"] for r in recorded} == {"Bearer ***"}
    assert "EAAG-fake-test" not in http.get(fake.base_url + "/__requests").text
    assert recorded == fake.state.requests()


def test_delete_clears_the_recorded_requests(fake, post, http) -> None:
    post(fake, TEXT)

    assert http.delete(fake.base_url + "/__requests").status_code == 204
    assert http.get(fake.base_url + "/__requests").json() == []


def test_accepted_messages_are_listed(fake, post, http) -> None:
    wamid = post(fake, TEXT).json()["messages"][0]["id"]

    [accepted] = http.get(fake.base_url + "/__accepted").json()

    assert accepted["wamid"] == wamid
    assert (accepted["phone_number_id"], accepted["recipient"]) == (BUSINESS, "5215512345678")
    assert accepted["body"] == TEXT


def test_fail_next_answers_the_given_error_the_given_number_of_times(fake, post, http) -> None:
    queued = http.post(
        fake.base_url + "/__fail_next", json={"code": 131047, "http_status": 400, "times": 2}
    )

    statuses = [post(fake, TEXT) for _ in range(3)]

    assert queued.json() == {"queued": 2}
    for response in statuses[:2]:
        error = assert_meta_error(response, 400, 131047)
        assert "Re-engagement" in error["message"]
    assert statuses[2].status_code == 200
    assert len(fake.state.accepted()) == 1


def test_fail_next_can_answer_a_non_json_page(fake, post, http) -> None:
    http.post(fake.base_url + "/__fail_next", json={"http_status": 503, "raw_body": "<h1>down"})

    response = post(fake, TEXT)

    assert (response.status_code, response.text) == (503, "<h1>down")


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"code": "131047"},
        {"code": 1, "times": 0},
        {"code": 1, "http_status": 200},
        {"code": 1, "colour": "red"},
        [1],
    ],
)
def test_fail_next_refuses_specs_it_cannot_follow(fake, spec, http) -> None:
    assert http.post(fake.base_url + "/__fail_next", json=spec).status_code == 400


def test_fail_rate_fails_about_that_fraction_with_500_429_and_slow_answers() -> None:
    with (
        running_fake_graph_api(fail_rate=0.3, seed=11, slow_seconds=0.0) as fake,
        httpx.Client(base_url=fake.base_url, headers=AUTH) as client,
    ):
        responses = [client.post(PATH, json=TEXT) for _ in range(200)]
        late = sum(message.answered_late for message in fake.state.accepted())

    kinds = Counter(response.status_code for response in responses)
    codes = {r.json()["error"]["code"] for r in responses if r.status_code == 500}
    assert set(kinds) == {200, 429, 500}
    assert codes <= {1, 2}
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 429} == {130429}
    assert late > 0  # the slow ones: accepted (answered after the delay)
    failed = kinds[429] + kinds[500] + late
    assert 0.2 <= failed / 200 <= 0.4


def test_the_same_seed_fails_the_same_requests() -> None:
    def run(seed: int) -> list[int]:
        with (
            running_fake_graph_api(fail_rate=0.5, seed=seed, slow_seconds=0.0) as fake,
            httpx.Client(base_url=fake.base_url, headers=AUTH) as client,
        ):
            return [client.post(PATH, json=TEXT).status_code for _ in range(30)]

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_a_slow_answer_is_accepted_at_once_and_shutdown_does_not_wait_for_it(http) -> None:
    started = time.monotonic()
    with running_fake_graph_api(slow_seconds=5.0) as slow:
        slow.state.fail_next(Failure(slow=True))
        with pytest.raises(httpx.ReadTimeout):
            http.post(slow.base_url + PATH, json=TEXT, headers=AUTH, timeout=0.2)
        [accepted] = slow.state.accepted()
        assert accepted.answered_late is True
        assert slow.state.requests()[0]["response_status"] == 200

    assert time.monotonic() - started < 3.0


@pytest.mark.parametrize(
    "options",
    [
        {"fail_rate": 1.5},
        {"fail_rate": -0.1},
        {"slow_seconds": -1},
        {"status_delays": (0.1, 0.1)},
        {"status_webhook_url": "http://127.0.0.1:1/webhook"},
    ],
)
def test_options_that_cannot_work_are_refused(options) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by option
        FakeGraphApiOptions(**options)


def test_the_options_repr_hides_the_secrets() -> None:
    options = FakeGraphApiOptions(
        status_webhook_url="http://127.0.0.1:1/w", app_secret="s3cr3t", access_token="t0k3n"
    )

    assert "s3cr3t" not in repr(options)
    assert "t0k3n" not in repr(options)
