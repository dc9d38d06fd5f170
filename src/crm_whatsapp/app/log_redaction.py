"""Secrets never reach a log line, whoever logs them (us, uvicorn's access log, a library).

The webhook's subscription check carries the verify token in its query string, and uvicorn
logs every request line; a library may put a header or a URL in an exception message. So
besides never logging secrets ourselves, every log record's final text is checked against
the configured secret values and any occurrence is replaced before a handler sees it.

Values nobody configured are secrets too: a media link's ``firma``, a presigned URL's
``X-Amz-Signature``, a token someone put in a query string. So in any URL in a record, the
value of every query parameter whose name says secret (``token``, ``access_token``,
``hub.verify_token``, ``firma``, ``signature``, ``secret``, ``key``, ``password``,
``api_key`` and the like, in any case, percent-encoded or inside an encoded URL) is
replaced as well.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

REDACTED = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would redact ordinary words, and are no secrets

_ENCODED = r"%(?:25)*"  # one percent sign, or several layers of encoding of it
_ENCODED_SEPARATOR = rf"{_ENCODED}(?:3[fFdD]|26|23)"  # ? = & # inside an encoded URL
_PARAMETER_NAME = re.compile(
    # where a parameter starts: ? & ; # as they are or percent-encoded (a URL inside a URL);
    # a name ends before any separator and is bounded, so a hostile line costs linear time
    rf"(?:[?&;#]|{_ENCODED}(?:3[fF]|26|23))"
    rf"(?P<name>(?:(?!{_ENCODED_SEPARATOR})[\w.~\-\[\]%]){{1,128}})"
    rf"(?:=|{_ENCODED}3[dD])"
)
_PARAMETER_VALUE = re.compile(
    # up to the next parameter, the end of the URL or of the quoted text around it
    rf"(?:(?!{_ENCODED}26|{_ENCODED}23)[^&#;\s\"'<>])+"
)
SECRET_PARAMETER = re.compile(
    r"(?:^|[._\-])(?:access_token|token|verify_token|firma|signature|sig|secret|key|"
    r"password|passwd|pwd|api_key|apikey|credential|credentials)$"
)
"""A parameter name that says secret, on its last word: ``hub.verify_token``,
``X-Amz-Signature``, ``client_secret``; not ``monkey`` nor ``hub.challenge``."""

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
    """``text`` without the configured secrets nor the values of secret query parameters."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return redact_query_secrets(text)


def redact_query_secrets(text: str) -> str:
    """Each secret-named query parameter's value in ``text`` replaced by ``***``."""
    if "=" not in text and "%" not in text:  # the common case: no query string at all
        return text
    parts: list[str] = []
    done = 0
    position = 0
    while (name := _PARAMETER_NAME.search(text, position)) is not None:
        position = name.end()
        # an ordinary value may hold an encoded URL with a secret of its own: the search
        # goes on inside it
        if not is_secret_parameter(name["name"]):
            continue
        value = _PARAMETER_VALUE.match(text, position)
        if value is None or value[0] == REDACTED:
            continue
        parts += [text[done:position], REDACTED]
        done = position = value.end()
    return "".join([*parts, text[done:]])


def is_secret_parameter(name: str) -> bool:
    """Whether a query parameter named ``name`` (as it appears, perhaps percent-encoded)
    holds a secret."""
    for _ in range(3):  # a URL inside a URL inside a URL: encoded up to three times
        decoded = unquote(name)
        if decoded == name:
            break
        name = decoded
    words = name.lower().replace("[", ".").replace("]", ".").strip(".")
    return SECRET_PARAMETER.search(words) is not None


def _scrub(record: logging.LogRecord) -> None:
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
