"""The subscription GET: echo hub.challenge for Meta, refuse (403) everyone else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.adapters.whatsapp.webhook import VerificationRefused, answer_verification
from crm_whatsapp.domain.errors import CrmWhatsAppError

TOKEN = "token-de-verificación-9f2b"
GENUINE = {"hub.mode": "subscribe", "hub.verify_token": TOKEN, "hub.challenge": "1158201444"}


def _refusal(params: dict[str, str]) -> VerificationRefused:
    with pytest.raises(VerificationRefused) as caught:
        answer_verification(params, TOKEN)
    assert isinstance(caught.value, CrmWhatsAppError)
    assert caught.value.code == "verification_refused"
    return caught.value


def test_metas_request_gets_the_challenge_back() -> None:
    assert answer_verification(GENUINE, TOKEN) == "1158201444"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"hub.mode": "unsubscribe"}, "hub.mode is not 'subscribe'"),
        ({"hub.mode": "SUBSCRIBE"}, "hub.mode is not 'subscribe'"),
        ({"hub.verify_token": "otro"}, "hub.verify_token does not match"),
        ({"hub.verify_token": TOKEN + " "}, "hub.verify_token does not match"),
        ({"hub.verify_token": ""}, "hub.verify_token does not match"),
        ({"hub.challenge": ""}, "hub.challenge is missing"),
        ({"hub.challenge": "9" * 1025}, "hub.challenge is longer than 1024"),
    ],
)
def test_anything_else_is_refused(change: dict[str, str], problem: str) -> None:
    assert _refusal(GENUINE | change).problem == problem


@pytest.mark.parametrize("missing", ["hub.mode", "hub.verify_token", "hub.challenge"])
def test_a_missing_parameter_is_refused(missing: str) -> None:
    params = {key: value for key, value in GENUINE.items() if key != missing}
    _refusal(params)


def test_the_refusal_never_shows_either_token() -> None:
    error = _refusal(GENUINE | {"hub.verify_token": "adivinanza"})
    assert TOKEN not in str(error)
    assert "adivinanza" not in str(error)


def test_an_empty_configured_token_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="verify token is empty"):
        answer_verification(GENUINE | {"hub.verify_token": ""}, "")


@given(st.dictionaries(st.sampled_from(list(GENUINE)) | st.text(max_size=5), st.text(max_size=30)))
def test_any_query_is_answered_or_refused_with_our_error(params: dict[str, str]) -> None:
    try:
        challenge = answer_verification(params, TOKEN)
    except VerificationRefused:
        return
    assert params["hub.verify_token"] == TOKEN
    assert challenge == params["hub.challenge"]
