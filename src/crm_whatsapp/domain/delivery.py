"""Outbound delivery state, and Meta's status reports that move it.

It only moves forward, whatever order the reports arrive in.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


class DeliveryStatus(enum.Enum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"

    @property
    def rank(self) -> int:
        """Progress order: FAILED may follow SENT or DELIVERED, never READ."""
        return _RANKS[self]


_RANKS = {
    DeliveryStatus.PENDING: 0,
    DeliveryStatus.SENT: 1,
    DeliveryStatus.DELIVERED: 2,
    DeliveryStatus.FAILED: 3,
    DeliveryStatus.READ: 4,
}


@dataclass(frozen=True, slots=True)
class SendFailure:
    """Why a send failed, as Meta or the gateway put it (e.g. code 131047)."""

    code: str
    title: str
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where an outbound message is on its way to the customer, and the outbox schedule.

    Status webhooks arrive late and out of order: ``advance`` ignores any move backwards,
    a ``delivered`` after ``read`` changes nothing, and ``failed`` is terminal except for an
    explicit ``retry`` (a failure report after ``read`` is stale: the customer read it).
    """

    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: SendFailure | None = None
    unknown_outcomes: int = 0
    in_flight: bool = False
    """Claimed by a worker whose outcome is not recorded yet: if the message is claimed again
    in this state, the first send may have reached Meta (the worker died or its lease ran
    out), so that claim counts an unknown outcome."""
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None

    @classmethod
    def pending(cls, due_at: datetime) -> Delivery:
        return cls(status=DeliveryStatus.PENDING, next_attempt_at=due_at)

    @property
    def is_terminal(self) -> bool:
        return self.status in (DeliveryStatus.FAILED, DeliveryStatus.READ)

    def can_advance_to(self, status: DeliveryStatus) -> bool:
        if status is DeliveryStatus.PENDING:
            return False
        if self.status is DeliveryStatus.FAILED:
            return False
        return status.rank > self.status.rank

    def advance(
        self, status: DeliveryStatus, at: datetime, failure: SendFailure | None = None
    ) -> Delivery:
        """The delivery after a status report; unchanged if the report is stale."""
        if not self.can_advance_to(status):
            return self
        moved = replace(self, status=status, next_attempt_at=None, in_flight=False)
        if status is DeliveryStatus.SENT:
            return replace(moved, sent_at=self.sent_at or at)
        if status is DeliveryStatus.DELIVERED:
            return replace(moved, sent_at=self.sent_at or at, delivered_at=at)
        if status is DeliveryStatus.READ:
            return replace(
                moved,
                sent_at=self.sent_at or at,
                delivered_at=self.delivered_at or at,
                read_at=at,
            )
        return replace(moved, failed_at=at, last_error=failure or self.last_error)

    def claimed(self, at: datetime, lease_until: datetime) -> Delivery:
        """An outbox worker took it: count the attempt, and hide it until the lease ends.

        If the worker dies before recording the outcome, the message becomes due again when
        the lease ends, so a crash never loses a reply; the claim after such a lease counts
        an unknown outcome, since the dead worker may have sent it (at least once, visibly).
        """
        return replace(
            self,
            attempts=self.attempts + 1,
            next_attempt_at=lease_until,
            in_flight=True,
            unknown_outcomes=self.unknown_outcomes + int(self.in_flight),
        )

    def released(self, due_at: datetime, failure: SendFailure | None = None) -> Delivery:
        """Back to the queue without spending the attempt: Meta throttled the number or the
        customer pair (130429, 429, 131056), or the worker never got to send it."""
        return replace(
            self,
            attempts=max(self.attempts - 1, 0),
            next_attempt_at=due_at,
            in_flight=False,
            last_error=failure or self.last_error,
        )

    def will_retry(
        self, failure: SendFailure, next_attempt_at: datetime, *, outcome_unknown: bool = False
    ) -> Delivery:
        return replace(
            self,
            next_attempt_at=next_attempt_at,
            last_error=failure,
            unknown_outcomes=self.unknown_outcomes + int(outcome_unknown),
            in_flight=False,
        )

    def with_unknown_outcome(self) -> Delivery:
        """An attempt timed out after Meta may have accepted it (counted even on giving up)."""
        return replace(self, unknown_outcomes=self.unknown_outcomes + 1)

    def retry(self, due_at: datetime) -> Delivery:
        """An explicit retry of a failed message (an agent's decision): back to pending."""
        if self.status is not DeliveryStatus.FAILED:
            return self
        return replace(
            self,
            status=DeliveryStatus.PENDING,
            next_attempt_at=due_at,
            attempts=0,
            failed_at=None,
            in_flight=False,
        )


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """Meta's report on one of our outbound messages (sent, delivered, read, failed)."""

    wamid: str
    status: DeliveryStatus
    timestamp: datetime
    failure: SendFailure | None = None
    recipient_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
