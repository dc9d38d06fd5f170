"""Status reports become StatusUpdates; Meta's errors that are not about a message are kept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from crm_whatsapp.adapters.whatsapp.webhook import (
    ProblemKind,
    WebhookProblem,
    is_retryable,
    parse_webhook,
)
from crm_whatsapp.domain.delivery import DeliveryStatus, SendFailure, StatusUpdate

FIXTURES = Path(__file__).parent / "fixtures"
NUMBER_ID = "106540352242922"
WA_ID = "5215512345678"
BSUID = "MX.1502576394655843"
T0 = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
CONVERSATION = {
    "id": "4a8f3c2b1d0e9f8a7b6c5d4e3f2a1b0c",
    "expiration_timestamp": "1773243000",
    "origin": {"type": "service"},
}
PRICING = {
    "billable": False,
    "pricing_model": "PMP",
    "category": "service",
    "type": "free_customer_service",
}


def _document(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_bytes())
    return document


def _only_status(name: str) -> StatusUpdate:
    batch = parse_webhook((FIXTURES / f"{name}.json").read_bytes())
    assert (batch.messages, batch.problems) == ((), ())
    (status,) = batch.statuses
    return status


def _expected(n: int, status: DeliveryStatus, **fields: Any) -> StatusUpdate:
    defaults: dict[str, Any] = {
        "wamid": f"wamid.HBgNNTIxNTUxMjM0NTY3OBUCABEYEjk5OTk5OTk5OTk5OTk5{n:04d}AA==",
        "status": status,
        "timestamp": T0 + timedelta(seconds=100 + n),
        "recipient_id": WA_ID,
    }
    return StatusUpdate(**(defaults | fields))


def test_sent_keeps_conversation_pricing_and_the_business_scoped_recipient() -> None:
    assert _only_status("status_sent") == _expected(
        1,
        DeliveryStatus.SENT,
        details={
            "meta_status": "sent",
            "business_number_id": NUMBER_ID,
            "recipient_user_id": BSUID,
            "conversation": CONVERSATION,
            "pricing": PRICING,
        },
    )


def test_delivered() -> None:
    assert _only_status("status_delivered") == _expected(
        2,
        DeliveryStatus.DELIVERED,
        details={
            "meta_status": "delivered",
            "business_number_id": NUMBER_ID,
            "recipient_user_id": BSUID,
            "conversation": CONVERSATION,
            "pricing": PRICING,
        },
    )


def test_read() -> None:
    assert _only_status("status_read") == _expected(
        3,
        DeliveryStatus.READ,
        details={
            "meta_status": "read",
            "business_number_id": NUMBER_ID,
            "recipient_user_id": BSUID,
        },
    )


def test_a_played_voice_note_counts_as_read_and_says_played() -> None:
    assert _only_status("status_played") == _expected(
        4,
        DeliveryStatus.READ,
        details={
            "meta_status": "played",
            "business_number_id": NUMBER_ID,
            "recipient_user_id": BSUID,
        },
    )


def test_failed_carries_the_failure_and_all_of_metas_error() -> None:
    explanation = (
        "Message failed to send because more than 24 hours have passed since the customer "
        "last replied to this number."
    )
    assert _only_status("status_failed") == _expected(
        5,
        DeliveryStatus.FAILED,
        failure=SendFailure(
            code="131047", title=f"Re-engagement message: {explanation}", retryable=False
        ),
        details={
            "meta_status": "failed",
            "business_number_id": NUMBER_ID,
            "errors": [
                {
                    "code": 131047,
                    "title": "Re-engagement message",
                    "message": "Re-engagement message",
                    "details": explanation,
                    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                }
            ],
        },
    )


def _with_status(**changes: Any) -> bytes:
    document = _document("status_failed")
    status = document["entry"][0]["changes"][0]["value"]["statuses"][0]
    status.update(changes)
    return json.dumps(document).encode()


@pytest.mark.parametrize(
    ("code", "retryable"),
    [
        *[(code, True) for code in (130429, 131056, 80007, 4, 131000, 131016)],
        *[(code, False) for code in (131047, 131026, 132000, 100)],
    ],
)
def test_throttling_and_metas_own_trouble_are_retryable(code: int, retryable: bool) -> None:
    body = _with_status(errors=[{"code": code, "title": "Some title"}])
    (status,) = parse_webhook(body).statuses
    assert status.failure == SendFailure(str(code), "Some title", retryable)
    assert is_retryable(code) is retryable


def test_a_failure_without_an_error_still_fails() -> None:
    body = _with_status(errors=[])
    (status,) = parse_webhook(body).statuses
    assert status.failure == SendFailure("unknown", "failed without an error from Meta")


@pytest.mark.parametrize(
    ("error", "title"),
    [
        ({"code": 1, "message": "Only message"}, "Only message"),
        ({"code": 1, "title": "Only title"}, "Only title"),
        ({"code": 1, "error_data": {"details": "Only details"}}, "Only details"),
        ({"code": 1, "title": "Same", "error_data": {"details": "Same"}}, "Same"),
        ({"code": 131048}, "error 131048"),
    ],
)
def test_the_failure_title_uses_whatever_words_meta_gave(error: dict[str, Any], title: str) -> None:
    (status,) = parse_webhook(_with_status(errors=[error])).statuses
    assert status.failure is not None
    assert status.failure.title == title


def test_an_unknown_status_is_a_problem_not_an_error() -> None:
    body = _with_status(status="deleted")
    batch = parse_webhook(body)
    assert batch.statuses == ()
    (problem,) = batch.problems
    assert problem.kind is ProblemKind.UNKNOWN_STATUS
    assert problem.business_number_id == NUMBER_ID
    assert "deleted" in problem.description
    assert problem.details["meta_status"] == "deleted"
    assert problem.details["wamid"] == _expected(5, DeliveryStatus.FAILED).wamid


def test_value_level_errors_are_kept_as_problems() -> None:
    batch = parse_webhook((FIXTURES / "value_errors.json").read_bytes())
    assert (batch.messages, batch.statuses) == ((), ())
    assert batch.problems == (
        WebhookProblem(
            kind=ProblemKind.WEBHOOK_ERROR,
            business_number_id=NUMBER_ID,
            description="Something went wrong: Message failed to send due to an unknown error.",
            code="131000",
            details={
                "code": 131000,
                "title": "Something went wrong",
                "message": "Something went wrong",
                "details": "Message failed to send due to an unknown error.",
            },
        ),
    )
    assert not batch.is_empty
