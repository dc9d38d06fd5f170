"""Download URLs kept out of httpx's log lines.

A download URL of Meta's is a credential for about five minutes, and httpx logs each
request's URL (logger ``httpx``, INFO). ``hiding_urls(url)`` marks the current task as
sending such a request: while it lasts, a filter on that logger replaces every URL in the
task's records with ``HIDDEN_URL``; other tasks' records pass as they are. (httpcore's
debug records name the host and port only, never the path.)
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx

HIDDEN_URL = "[media download URL]"

_hidden_url: ContextVar[str | None] = ContextVar("crm_whatsapp_hidden_url", default=None)


@contextmanager
def hiding_urls(url: str) -> Iterator[None]:
    """Hide ``url`` (and any URL httpx logs, such as a redirect's) in this task."""
    token = _hidden_url.set(url)
    try:
        yield
    finally:
        _hidden_url.reset(token)


class _HideDownloadUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        url = _hidden_url.get()
        if url is None:
            return True
        args = record.args
        if isinstance(args, tuple):
            record.args = tuple(_hide(arg, url) for arg in args)
        elif isinstance(args, dict):
            record.args = {key: _hide(value, url) for key, value in args.items()}
        if isinstance(record.msg, str) and url in record.msg:
            record.msg = record.msg.replace(url, HIDDEN_URL)
        return True


def _hide(value: object, url: str) -> object:
    if isinstance(value, httpx.URL):
        return HIDDEN_URL
    if isinstance(value, str) and url in value:
        return value.replace(url, HIDDEN_URL)
    return value


logging.getLogger("httpx").addFilter(_HideDownloadUrls())
