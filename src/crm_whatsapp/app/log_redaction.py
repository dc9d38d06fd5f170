"""Secrets never reach a log line, whoever logs them (us, uvicorn's access log, a library).

The webhook's subscription check carries the verify token in its query string, and uvicorn
logs every request line; a library may put a header or a URL in an exception message. So
besides never logging secrets ourselves, every log record's final text is checked against
the configured secret values and any occurrence is replaced before a handler sees it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words, and are no secrets

_lock = threading.Lock()
_secrets: frozenset[str] = frozenset()
_installed = False


def redact_secrets_in_logs(secrets: Iterable[str]) -> None:
    """Add ``secrets`` to the values scrubbed from every log record of this process."""
    global _secrets, _installed  # noqa: PLW0603 - one process-wide logging hook
    with _lock:
        _secrets = _secrets | {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}
        if _installed:
            return
        previous = logging.getLogRecordFactory()

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _scrub(record)
            return record

        logging.setLogRecordFactory(redacting_factory)
        _installed = True


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def _scrub(record: logging.LogRecord) -> None:
    if not _secrets:
        return
    try:
        message = record.getMessage()
    except Exception:  # a malformed record is the logging module's to report
        return
    if redact(message) != message:
        _scrub_message(record, message)
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        if redact(str(exc)) != str(exc):
            # the traceback would print the secret: keep the type and where, not the text
            record.exc_text = f"{type(exc).__name__}: {redact(str(exc))}"
            record.exc_info = None


def _scrub_message(record: logging.LogRecord, message: str) -> None:
    """Redact the template and each argument, keeping them apart: some formatters read the
    arguments themselves (uvicorn's access log unpacks five of them). If a secret only
    appears once they are joined, the record keeps the joined text, redacted."""
    if isinstance(record.msg, str) and isinstance(record.args, tuple):
        record.msg = redact(record.msg)
        record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        try:
            joined = record.getMessage()
        except Exception:  # the template's placeholders no longer fit: use the joined text
            joined = None
        if joined is not None and redact(joined) == joined:
            return
    record.msg, record.args = redact(message), None
