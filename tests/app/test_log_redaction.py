"""Secret values are scrubbed from every log record, including uvicorn's request lines."""

from __future__ import annotations

import logging
import time

import pytest

from crm_whatsapp.app.log_redaction import REDACTED, redact, redact_secrets_in_logs


def test_a_secret_in_a_message_or_its_arguments_never_reaches_a_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redact_secrets_in_logs(["verify-token-0042", "EAAG-secret-77"])
    logger = logging.getLogger("uvicorn.access")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logger.info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/webhook?hub.mode=subscribe&hub.verify_token=verify-token-0042&hub.challenge=1",
            "1.1",
            200,
        )
        logging.getLogger("crm_whatsapp.x").warning("token EAAG-secret-77 refused")
    text = caplog.text
    assert "verify-token-0042" not in text
    assert "EAAG-secret-77" not in text
    assert f"hub.verify_token={REDACTED}" in text


def test_a_secret_in_an_exception_is_not_printed_with_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    redact_secrets_in_logs(["pw-in-exception-9"])
    try:
        raise RuntimeError("connect to postgresql://crm:pw-in-exception-9@db failed")
    except RuntimeError:
        logging.getLogger("crm_whatsapp.y").exception("database down")
    assert "pw-in-exception-9" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_short_values_are_not_treated_as_secrets(caplog: pytest.LogCaptureFixture) -> None:
    redact_secrets_in_logs(["a"])
    with caplog.at_level(logging.INFO):
        logging.getLogger("crm_whatsapp.z").info("a cat and a dog")
    assert "a cat and a dog" in caplog.text


def _access_log(caplog: pytest.LogCaptureFixture, path: str) -> str:
    """``path`` as uvicorn's access log writes a request line (its five arguments)."""
    redact_secrets_in_logs([])  # no configured value: only the parameters' names count
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200
        )
    return caplog.text


@pytest.mark.parametrize(
    ("path", "secrets", "kept"),
    [
        pytest.param(
            "/api/v1/media/m-1?expira=1767225600&firma=9f86d081884c7d659a2feaa0c55ad015",
            ["9f86d081884c7d659a2feaa0c55ad015"],
            ["expira=1767225600", f"firma={REDACTED}"],
            id="a media link's signature",
        ),
        pytest.param(
            "/webhook?hub.mode=subscribe&hub.verify_token=not-configured-here&hub.challenge=77",
            ["not-configured-here"],
            ["hub.mode=subscribe", "hub.challenge=77", f"hub.verify_token={REDACTED}"],
            id="a verify token the service does not know",
        ),
        pytest.param(
            "/x?ACCESS_TOKEN=EAAGupper&Password=hunter2;api_key=k-123&Secret=s-1#token=t-9",
            ["EAAGupper", "hunter2", "k-123", "s-1", "t-9"],
            [f"ACCESS_TOKEN={REDACTED}", f"Password={REDACTED}"],
            id="any case, any separator",
        ),
        pytest.param(
            "/x?access%5Ftoken=enc-1&hub%2Everify_token=enc-2&X-Amz-Signature=enc-3",
            ["enc-1", "enc-2", "enc-3"],
            [f"access%5Ftoken={REDACTED}"],
            id="percent-encoded names, a presigned URL",
        ),
        pytest.param(
            "/login?next=https%3A%2F%2Fcrm.example%2Fcb%3Fcode%3D1%26access_token%3Dnested-1"
            "%26y%3D2&again=https%253A%252F%252Fa%253Fkey%253Dnested-2%2526z%253D3",
            ["nested-1", "nested-2"],
            [f"access_token%3D{REDACTED}%26y%3D2", f"key%253D{REDACTED}%2526z"],
            id="a URL inside a URL, encoded once and twice",
        ),
    ],
)
def test_secret_named_query_parameters_are_redacted_whatever_their_value(
    caplog: pytest.LogCaptureFixture, path: str, secrets: list[str], kept: list[str]
) -> None:
    """Attack: reading the logs to replay a credential nobody configured as a secret (a
    signed media link, a token a client put in a query string, a presigned S3 URL): the
    log shows the parameter's name, never its value."""
    text = _access_log(caplog, path)
    for secret in secrets:
        assert secret not in text
    for part in kept:
        assert part in text


def test_ordinary_parameters_and_words_are_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    path = "/api/v1/conversaciones-whatsapp?limit=50&cursor=eyJhIjoxfQ&monkey=banana&keys=3"
    assert path in _access_log(caplog, path)
    with caplog.at_level(logging.INFO):
        logging.getLogger("crm_whatsapp.z").info("token=plain-text outside any URL, a = b")
    assert "token=plain-text outside any URL, a = b" in caplog.text


def test_a_secret_parameter_in_an_exception_url_is_not_printed_with_the_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Attack: an HTTP client's error quotes the URL it called, token and all."""
    redact_secrets_in_logs([])
    try:
        raise RuntimeError("401 for url 'https://graph.example/v21.0/me?access_token=EAAGexc'")
    except RuntimeError:
        logging.getLogger("crm_whatsapp.y").exception("Graph API call failed")
    assert "EAAGexc" not in caplog.text
    assert f"access_token={REDACTED}" in caplog.text


@pytest.mark.parametrize(
    "hostile",
    ["%26" * 200_000, "?a=" + "%3Fa%3D" * 100_000, ("&" + "%41" * 42) * 5_000, "?" + "a" * 600_000],
)
def test_a_hostile_request_line_costs_linear_time(hostile: str) -> None:
    """Attack: a request line crafted to make the redaction backtrack, stalling the event
    loop that writes the access log."""
    started = time.perf_counter()
    redact(hostile)
    assert time.perf_counter() - started < 3.0
