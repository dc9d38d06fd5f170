"""Meta's error on a failed message, as a ``SendFailure`` that says whether to try again.

Only errors that are about load or Meta's own trouble are worth a retry; anything about the
recipient or the message (not on WhatsApp, outside the 24-hour window, template rejected)
fails the same way every time.
"""

from __future__ import annotations

from crm_whatsapp.adapters.whatsapp.graph_api.errors import GRAPH_ERROR_CODES
from crm_whatsapp.adapters.whatsapp.webhook.base import MetaError
from crm_whatsapp.domain.delivery import SendFailure

RETRYABLE_ERROR_CODES = frozenset(
    code for code, kind in GRAPH_ERROR_CODES.items() if kind.retryable
)
"""One table for the whole adapter: what the gateway retries, a failed status says too."""

UNKNOWN_FAILURE = SendFailure(code="unknown", title="failed without an error from Meta")


def is_retryable(code: int) -> bool:
    return code in RETRYABLE_ERROR_CODES


def send_failure(error: MetaError) -> SendFailure:
    """The code as a string, Meta's words for it, and whether a retry can help."""
    return SendFailure(
        code=str(error.code), title=error.describe(), retryable=is_retryable(error.code)
    )
