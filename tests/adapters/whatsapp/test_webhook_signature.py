"""X-Hub-Signature-256: the HMAC-SHA256 of the exact body with the app secret, or a 401."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crm_whatsapp.adapters.whatsapp.webhook import (
    SIGNATURE_HEADER,
    InvalidSignature,
    sign,
    verify_signature,
)
from crm_whatsapp.domain.errors import CrmWhatsAppError

BODY = (Path(__file__).parent / "fixtures" / "text.json").read_bytes()
SECRET = "9f2b7c1e4d6a8b0c3e5f7a9b1d3f5e7c"


def _reason(body: bytes, header: str | None, secret: str = SECRET) -> str:
    with pytest.raises(InvalidSignature) as caught:
        verify_signature(body, header, secret)
    error = caught.value
    assert isinstance(error, CrmWhatsAppError)
    assert error.code == "invalid_signature"
    return error.reason


def test_the_header_is_sha256_and_the_hex_hmac_of_the_body() -> None:
    expected = hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
    assert sign(BODY, SECRET) == f"sha256={expected}"
    assert SIGNATURE_HEADER == "X-Hub-Signature-256"


def test_a_correct_signature_passes_even_in_upper_case_or_with_spaces() -> None:
    header = sign(BODY, SECRET)
    verify_signature(BODY, header, SECRET)
    verify_signature(BODY, "sha256=" + header.removeprefix("sha256=").upper(), SECRET)
    verify_signature(BODY, f"  {header}\t", SECRET)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_a_missing_header(header: str | None) -> None:
    assert _reason(BODY, header) == "missing"


@pytest.mark.parametrize(
    "header",
    [
        "abc",
        "sha1=" + "0" * 40,
        "sha256=",
        "sha256=" + "0" * 63,
        "sha256=" + "0" * 65,
        "sha256=" + "g" * 64,
        "SHA256=" + "0" * 64,
        "sha256=" + "é" * 64,
        "sha256 = " + "0" * 64,
    ],
)
def test_a_malformed_header(header: str) -> None:
    assert _reason(BODY, header) == "malformed"


def test_a_signature_of_another_body_or_secret_mismatches() -> None:
    assert _reason(BODY + b" ", sign(BODY, SECRET)) == "mismatch"
    assert _reason(BODY, sign(BODY, SECRET + "x")) == "mismatch"


def test_the_refusal_never_shows_the_expected_signature() -> None:
    expected = sign(BODY, SECRET)
    with pytest.raises(InvalidSignature) as caught:
        verify_signature(BODY, "sha256=" + "0" * 64, SECRET)
    assert expected.removeprefix("sha256=") not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_an_empty_secret_is_a_configuration_error_not_a_bad_request() -> None:
    with pytest.raises(ValueError, match="app secret is empty"):
        verify_signature(BODY, sign(BODY, SECRET), "")
    with pytest.raises(ValueError, match="app secret is empty"):
        sign(BODY, "")


SECRETS = st.text(min_size=1, max_size=40)


@given(st.binary(max_size=500), SECRETS)
def test_what_is_signed_verifies(body: bytes, secret: str) -> None:
    verify_signature(body, sign(body, secret), secret)


@given(st.binary(max_size=200), st.binary(max_size=200), SECRETS)
def test_any_other_body_fails(body: bytes, other: bytes, secret: str) -> None:
    assume(body != other)
    assert _reason(other, sign(body, secret), secret) == "mismatch"


@given(st.binary(max_size=200), SECRETS, SECRETS)
def test_any_other_secret_fails(body: bytes, secret: str, other: str) -> None:
    assume(secret != other)
    assert _reason(body, sign(body, secret), other) == "mismatch"


@given(st.binary(max_size=200), SECRETS, st.text(max_size=80))
def test_any_header_is_accepted_or_refused_with_our_error(
    body: bytes, secret: str, header: str
) -> None:
    try:
        verify_signature(body, header, secret)
    except InvalidSignature:
        return
    assert header.strip().lower() == sign(body, secret)
