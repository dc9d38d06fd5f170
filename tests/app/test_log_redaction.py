"""Secret values are scrubbed from every log record, including uvicorn's request lines."""

from __future__ import annotations

import logging

import pytest

from crm_whatsapp.app.log_redaction import REDACTED, redact_secrets_in_logs


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
