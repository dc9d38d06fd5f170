"""Outbound delivery status only moves forward, whatever order Meta's reports arrive in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.delivery import Delivery, DeliveryStatus, SendFailure

T0 = datetime(2026, 3, 10, 12, tzinfo=UTC)
REPORTS = [
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.READ,
    DeliveryStatus.FAILED,
]


def test_a_delivered_report_after_read_changes_nothing() -> None:
    read = Delivery().advance(DeliveryStatus.READ, T0)
    assert read.advance(DeliveryStatus.DELIVERED, T0 + timedelta(seconds=5)) == read


def test_read_implies_sent_and_delivered_times() -> None:
    read = Delivery().advance(DeliveryStatus.READ, T0)
    assert (read.sent_at, read.delivered_at, read.read_at) == (T0, T0, T0)


def test_failed_is_terminal_until_an_explicit_retry() -> None:
    failure = SendFailure("131026", "Message undeliverable")
    failed = Delivery().advance(DeliveryStatus.SENT, T0).advance(DeliveryStatus.FAILED, T0, failure)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.last_error == failure
    for late in REPORTS:
        assert failed.advance(late, T0 + timedelta(minutes=1)) == failed
    retried = failed.retry(T0 + timedelta(minutes=2))
    assert retried.status is DeliveryStatus.PENDING
    assert retried.next_attempt_at == T0 + timedelta(minutes=2)
    assert retried.attempts == 0


def test_a_failure_report_after_read_is_stale() -> None:
    read = Delivery().advance(DeliveryStatus.READ, T0)
    assert read.advance(DeliveryStatus.FAILED, T0, SendFailure("1", "x")) == read


def test_retry_of_a_message_that_did_not_fail_changes_nothing() -> None:
    sent = Delivery().advance(DeliveryStatus.SENT, T0)
    assert sent.retry(T0) == sent


def test_claiming_counts_the_attempt_and_hides_the_message_until_the_lease_ends() -> None:
    claimed = Delivery.pending(T0).claimed(T0, T0 + timedelta(minutes=2))
    assert claimed.attempts == 1
    assert claimed.next_attempt_at == T0 + timedelta(minutes=2)
    assert claimed.status is DeliveryStatus.PENDING


@given(st.lists(st.sampled_from(REPORTS), max_size=12))
def test_status_never_moves_backwards_for_any_order_of_reports(
    reports: list[DeliveryStatus],
) -> None:
    delivery = Delivery()
    for offset, status in enumerate(reports):
        after = delivery.advance(status, T0 + timedelta(seconds=offset))
        if delivery.status is DeliveryStatus.FAILED:
            assert after == delivery
        else:
            assert after.status.rank >= delivery.status.rank
        delivery = after


@given(st.permutations(REPORTS[:3]))
def test_sent_delivered_read_in_any_order_end_at_read(order: list[DeliveryStatus]) -> None:
    delivery = Delivery()
    for status in order:
        delivery = delivery.advance(status, T0)
    assert delivery.status is DeliveryStatus.READ
