"""The outbox: what a claim is, and what each outcome of a send does to the message.

Replies are stored as pending in the same transaction as the decision; the outbox sends
them (``outbox_pipeline``). A claim hides a message for ``lease`` (the worker's time to
send it) and marks it in flight; a worker that dies mid-send loses nothing, the message is
simply due again when the lease ends, and that second claim counts an unknown outcome
(the dead worker may have sent it).

Unknown outcomes: when a send times out after the request may have reached Meta, we cannot
know whether WhatsApp delivered it. The rule is *at least once*: retry like any retryable
error, and count it in ``Delivery.unknown_outcomes`` (so a rare double is visible, never a
silent loss).

Throttles spend no attempt: 130429 and HTTP 429 (the number is sending faster than Meta
allows) pause the whole number and send again; 131056 (too many messages to this one
customer) puts the message back for ``pair_delay``, and the rest of its conversation waits
behind it. Neither can make a message fail, however long it lasts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import Delivery, DeliveryStatus, SendFailure
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.events import DeliveryStatusChanged, Event
from crm_whatsapp.domain.message import AuthorKind, Message
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.status import apply_status

OUTSIDE_WINDOW = SendFailure(
    "outside_service_window",
    "La ventana de 24 horas se cerró antes del envío; solo se puede enviar una plantilla.",
)
OPTED_OUT = SendFailure(
    "customer_opted_out",
    "El cliente pidió no recibir mensajes (BAJA) después de que este se puso en cola.",
)
NOT_STARTED = SendFailure(
    "not_started",
    "El envío no empezó antes de que venciera el turno del worker; se reintentará.",
    retryable=True,
)

NUMBER_THROTTLES = frozenset({"130429", "http_429", "80007"})
"""Meta's "this number (or account) is sending too fast": slow the number down."""
PAIR_THROTTLES = frozenset({"131056"})
"""Meta's "too many messages to this customer": delay only their conversation."""

LEASE_IN_USE = 0.8
"""Share of a claim's lease a worker may spend before starting the send; the rest is margin
for the send itself and for recording its outcome before another worker may claim it."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff (``first_delay`` doubled each attempt, capped at ``max_delay``),
    claims, concurrency and the pauses Meta's throttles ask for."""

    max_attempts: int = 6
    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(minutes=2)
    batch_size: int = 64
    """Most messages one claim takes (a worker claims for its free places, up to this)."""
    record_attempts: int = 5
    """Tries at storing outcomes in one pass (waits 0.1 s, doubled up to 2 s), more while
    the claims' leases hold; a worker keeps trying for as long as it runs."""
    concurrency: int = 64
    """Sends in flight at once per worker."""
    uploads: int = 4
    """Files being uploaded to Meta at once per worker: each is in memory while it goes
    (the Graph API takes a file in one request), so a burst of 100 MB documents holds
    ``uploads`` × 100 MB, not ``concurrency`` × 100 MB; text never waits for them."""
    throttle_pause: timedelta = timedelta(seconds=1)
    """How long a number rests after 130429; doubled while Meta keeps saying it."""
    max_throttle_pause: timedelta = timedelta(seconds=30)
    pair_delay: timedelta = timedelta(seconds=6)
    """How long a conversation waits after 131056 (Meta allows about one message every
    six seconds to one customer)."""

    def __post_init__(self) -> None:
        counts = (
            self.max_attempts,
            self.batch_size,
            self.record_attempts,
            self.concurrency,
            self.uploads,
        )
        if min(counts) < 1:
            raise ValueError(
                "max_attempts, batch_size, record_attempts, concurrency and uploads must be "
                "at least 1"
            )
        delays = (self.first_delay, self.lease, self.throttle_pause, self.pair_delay)
        if min(delays) <= timedelta(0):
            raise ValueError("first_delay, lease, throttle_pause and pair_delay must be positive")

    def delay_after(self, attempts: int) -> timedelta:
        factor = 1 << max(attempts - 1, 0)
        return min(self.first_delay * factor, self.max_delay)

    def throttle_pause_after(self, throttles_in_a_row: int) -> timedelta:
        factor = 1 << min(max(throttles_in_a_row - 1, 0), 20)
        return min(self.throttle_pause * factor, self.max_throttle_pause)


@dataclass(frozen=True, slots=True)
class OutboxReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown_outcomes: int = 0
    throttled: int = 0
    """Messages put back without spending an attempt (Meta's throttles, or not started)."""

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed + self.throttled

    def plus(self, other: OutboxReport) -> OutboxReport:
        return OutboxReport(
            self.sent + other.sent,
            self.retrying + other.retrying,
            self.failed + other.failed,
            self.unknown_outcomes + other.unknown_outcomes,
            self.throttled + other.throttled,
        )

    @classmethod
    def of(cls, counts: Counter[str]) -> OutboxReport:
        return cls(
            sent=counts["sent"],
            retrying=counts["retrying"],
            failed=counts["failed"],
            unknown_outcomes=counts["unknown"],
            throttled=counts["throttled"],
        )


@dataclass(frozen=True, slots=True)
class OutboxJob:
    """A claimed message and its conversation, as they were when claimed."""

    message: Message
    conversation: Conversation

    @property
    def claim(self) -> int:
        """Which claim this is (the attempt count it set), to spot a superseded one."""
        return self.message.delivery.attempts if self.message.delivery else 0


@dataclass(frozen=True, slots=True)
class PutBack:
    """Not sent, and no attempt spent: due again at ``after`` from now."""

    after: timedelta
    failure: SendFailure


Result = str | GatewayError | SendFailure | PutBack
"""What one send came to: Meta's wamid, the gateway's error, a reason not to send at all,
or a put-back (a throttle, or a claim whose lease ran out before its turn)."""


def claim_due(deps: Dependencies, policy: RetryPolicy, limit: int) -> list[OutboxJob]:
    """Claim up to ``limit`` due messages (each conversation's first pending one)."""
    with deps.unit_of_work() as uow:
        # The lease starts once the transaction has begun: a claim that first waited for
        # the database's write lock must not hand out a lease already partly gone.
        now = deps.clock.now()
        repo = uow.conversations
        claimed = [
            message.with_delivery(message.delivery.claimed(now, now + policy.lease))
            for message in repo.due_outbound(now, limit)
            if message.delivery is not None
        ]
        repo.update_messages(claimed)
        conversations = repo.get_conversations(sorted({m.conversation_id for m in claimed}))
        uow.commit()
    return [OutboxJob(message, conversations[message.conversation_id]) for message in claimed]


def blocked(message: Message, conversation: Conversation, now: datetime) -> SendFailure | None:
    """What changed while the message waited in the outbox that forbids sending it now.

    Text needs the 24-hour window still open. A customer who opted out meanwhile gets
    neither the bot's queued answers (except the opt-out confirmation itself) nor templates;
    an agent's text inside the window still goes, as they are talking with the customer.
    """
    if message.template is None and not conversation.service_window_open(now):
        return OUTSIDE_WINDOW
    unwanted = message.template is not None or message.author.kind is AuthorKind.BOT
    if conversation.opted_out and unwanted and message.details.get("rule") != "opt_out":
        return OPTED_OUT
    return None


def record_outcomes(
    deps: Dependencies, done: Sequence[tuple[OutboxJob, Result]], policy: RetryPolicy
) -> Counter[str]:
    """Store a batch of outcomes in one short transaction, then tell the live listeners.

    Counts "sent", "retrying", "failed", "throttled", "unknown" and "superseded" (an
    outcome recorded after its lease ran out and another claim took the message over).
    """
    counts: Counter[str] = Counter()
    events: list[Event] = []
    now = deps.clock.now()
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        stored = repo.get_messages(sorted({job.message.id for job, _ in done}))
        # Status reports that beat our record of the send (Meta can be that quick).
        parked = repo.take_parked_statuses_of(sorted({r for _, r in done if isinstance(r, str)}))
        changed: dict[str, Message] = {}
        for job, result in done:
            current = changed.get(job.message.id) or stored.get(job.message.id)
            if current is None:  # deleted meanwhile
                counts["superseded"] += 1
                continue
            updated, outcome = _recorded(current, job, result, now, policy)
            if isinstance(result, str) and updated is not current:
                for update in parked.pop(result, ()):
                    updated = apply_status(updated, update)
            if updated is not current:
                changed[updated.id] = updated
            counts[outcome] += 1
            if isinstance(result, GatewayError) and result.outcome_unknown:
                counts["unknown"] += 1
            status = updated.delivery_status
            if updated is not current and status not in (None, DeliveryStatus.PENDING):
                events.append(DeliveryStatusChanged(updated.conversation_id, updated.id, status))
        repo.update_messages(list(changed.values()))
        uow.commit()
    if events:
        deps.events.publish(events)
    return counts


def _recorded(
    current: Message, job: OutboxJob, result: Result, now: datetime, policy: RetryPolicy
) -> tuple[Message, str]:
    delivery = current.delivery
    ours = delivery is not None and delivery.in_flight and delivery.attempts == job.claim
    if ours:
        return outcome_of(current, result, now, policy)
    # Our lease ran out before this outcome could be stored, and the message was claimed
    # again (that claim counted an unknown outcome) or settled meanwhile. A send that did
    # reach Meta is still news if nobody has recorded one; anything else is the new
    # claim's to decide.
    if isinstance(result, str) and current.delivery_status is DeliveryStatus.PENDING:
        return current.sent_as(result, now), "sent"
    return current, "superseded"


def outcome_of(
    message: Message, result: Result, now: datetime, policy: RetryPolicy
) -> tuple[Message, str]:
    """The message after one attempt, and whether it was "sent", is "retrying", was
    "throttled" (put back, no attempt spent) or "failed"."""
    delivery = message.delivery or Delivery()
    if isinstance(result, str):
        return message.sent_as(result, now), "sent"
    if isinstance(result, PutBack):
        return message.with_delivery(delivery.released(now + result.after, result.failure)), (
            "throttled"
        )
    failure = _failure(result)
    if isinstance(result, GatewayError) and result.error_code in PAIR_THROTTLES:
        put_back = delivery.released(now + policy.pair_delay, failure)
        return message.with_delivery(put_back), "throttled"
    unknown = isinstance(result, GatewayError) and result.outcome_unknown
    if failure.retryable and delivery.attempts < policy.max_attempts:
        retry_at = now + policy.delay_after(delivery.attempts)
        retrying = delivery.will_retry(failure, retry_at, outcome_unknown=unknown)
        return message.with_delivery(retrying), "retrying"
    if unknown:  # Meta may have delivered it: say so on the failed message too
        message = message.with_delivery(delivery.with_unknown_outcome())
    return message.failed(failure, now), "failed"


def gateway_failure(error: GatewayError) -> SendFailure:
    return SendFailure(error.error_code or "gateway_error", str(error), error.retryable)


def _failure(result: GatewayError | SendFailure) -> SendFailure:
    return result if isinstance(result, SendFailure) else gateway_failure(result)
