"""The outbox: send what the use cases queued, retrying what can be retried.

Replies are stored as pending in the same transaction as the decision; this step sends
them. A claim hides a message for ``lease`` (the worker's time to send it); a worker that
dies mid-send loses nothing, the message is simply due again when the lease ends.

Unknown outcomes: when a send times out after the request may have reached Meta, we cannot
know whether WhatsApp delivered it. The rule is *at least once*: retry like any retryable
error, and count it in ``Delivery.unknown_outcomes`` (so a rare double is visible, never a
silent loss).

Each outcome is recorded in its own short unit of work right after its send. (Measured:
recording a whole batch in one transaction, or sending a batch concurrently, held
SQLite's single write lock long enough to slow the webhooks by a third.) The send already
happened when its outcome is recorded, so a failure to record (the database busy or
down) is retried for as long as the claim's lease holds: until then no other worker can take
the message, while giving up would send it again when the lease ends. For the same reason a
pass stops sending once 80% of the lease has gone by (a slow Graph API, a long outage): what
it leaves was not sent and is due again when the lease ends. So the lease must exceed the
gateway's timeout by a good margin (defaults: 2 minutes and 20 s).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import Delivery, DeliveryStatus, SendFailure
from crm_whatsapp.domain.errors import GatewayError, StorageUnavailable
from crm_whatsapp.domain.events import DeliveryStatusChanged
from crm_whatsapp.domain.message import AuthorKind, Message
from crm_whatsapp.domain.ports import MessagingGateway
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


LEASE_IN_USE = 0.8
"""Share of a claim's lease a pass may spend sending and recording; the rest is margin."""
MAX_RECORD_DELAY = 2.0
"""Longest wait in seconds between two tries at recording an outcome."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``first_delay`` doubled each attempt, capped at ``max_delay``."""

    max_attempts: int = 6
    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(minutes=2)
    batch_size: int = 20
    record_attempts: int = 5
    """Tries at storing the outcome of a send (waits 0.1 s, doubled up to 2 s); more while
    the claim's lease holds."""

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.batch_size < 1 or self.record_attempts < 1:
            raise ValueError("max_attempts, batch_size and record_attempts must be at least 1")
        if self.first_delay <= timedelta(0) or self.lease <= timedelta(0):
            raise ValueError("first_delay and lease must be positive")

    def delay_after(self, attempts: int) -> timedelta:
        factor = 1 << max(attempts - 1, 0)
        return min(self.first_delay * factor, self.max_delay)


@dataclass(frozen=True, slots=True)
class OutboxReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    unknown_outcomes: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.retrying + self.failed


@dataclass(frozen=True, slots=True)
class _Job:
    message: Message
    conversation: Conversation


async def send_due_outbound(
    deps: Dependencies, gateway: MessagingGateway, policy: RetryPolicy | None = None
) -> OutboxReport:
    """Claim the due messages, send each in order, record each outcome."""
    policy = policy or RetryPolicy()
    outcomes: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    lease_ends = loop.time() + policy.lease.total_seconds() * LEASE_IN_USE
    for index, job in enumerate(_claim(deps, policy)):
        if index and loop.time() >= lease_ends:
            break  # another worker may claim the rest soon: leave them to it, unsent
        result = await _attempt(gateway, job, deps.clock.now())
        outcomes.update(await _record_with_retries(deps, job, result, policy, lease_ends))
    return OutboxReport(
        outcomes["sent"], outcomes["retrying"], outcomes["failed"], outcomes["unknown"]
    )


Result = str | GatewayError | SendFailure


async def _record_with_retries(
    deps: Dependencies, job: _Job, result: Result, policy: RetryPolicy, lease_ends: float
) -> Counter[str]:
    """``record_attempts`` tries at least, then more until ``lease_ends`` (loop time)."""
    loop = asyncio.get_running_loop()
    delay = 0.1
    attempt = 0
    while True:
        attempt += 1
        try:
            return _record(deps, job, result, policy)
        except StorageUnavailable:
            if attempt >= policy.record_attempts and loop.time() + delay >= lease_ends:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RECORD_DELAY)


def _claim(deps: Dependencies, policy: RetryPolicy) -> list[_Job]:
    now = deps.clock.now()
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        jobs = []
        for message in repo.due_outbound(now, policy.batch_size):
            if message.delivery is None:
                continue
            claimed = message.with_delivery(message.delivery.claimed(now, now + policy.lease))
            repo.update_message(claimed)
            jobs.append(_Job(claimed, repo.get(message.conversation_id)))
        uow.commit()
    return jobs


async def _attempt(
    gateway: MessagingGateway, job: _Job, now: datetime
) -> str | GatewayError | SendFailure:
    message, conversation = job.message, job.conversation
    blocked = _blocked(message, conversation, now)
    if blocked is not None:
        return blocked
    try:
        if message.template is not None:
            return await gateway.send_template(
                conversation.business_number_id, conversation.customer, message.template
            )
        return await gateway.send_text(
            conversation.business_number_id,
            conversation.customer,
            message.text or "",
            reply_to_wamid=message.reply_to_wamid,
        )
    except GatewayError as error:
        return error


def _blocked(message: Message, conversation: Conversation, now: datetime) -> SendFailure | None:
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


def _record(deps: Dependencies, job: _Job, result: Result, policy: RetryPolicy) -> Counter[str]:
    """Store the attempt's outcome; counts "sent", "retrying" or "failed", and "unknown"."""
    now = deps.clock.now()
    with deps.unit_of_work() as uow:
        repo = uow.conversations
        message, outcome = _outcome(repo.get_message(job.message.id), result, now, policy)
        if isinstance(result, str):
            for update in repo.take_parked_statuses(result):
                message = apply_status(message, update)
        repo.update_message(message)
        uow.commit()
    status = message.delivery_status
    if status is not None and status is not DeliveryStatus.PENDING:
        deps.events.publish([DeliveryStatusChanged(message.conversation_id, message.id, status)])
    outcomes = Counter([outcome])
    if isinstance(result, GatewayError) and result.outcome_unknown:
        outcomes["unknown"] += 1
    return outcomes


def _outcome(
    message: Message, result: Result, now: datetime, policy: RetryPolicy
) -> tuple[Message, str]:
    """The message after one attempt, and whether it was "sent", is "retrying" or "failed"."""
    delivery = message.delivery or Delivery()
    if isinstance(result, str):
        return message.sent_as(result, now), "sent"
    failure = _failure(result)
    unknown = isinstance(result, GatewayError) and result.outcome_unknown
    if failure.retryable and delivery.attempts < policy.max_attempts:
        retry_at = now + policy.delay_after(delivery.attempts)
        retrying = delivery.will_retry(failure, retry_at, outcome_unknown=unknown)
        return message.with_delivery(retrying), "retrying"
    if unknown:  # Meta may have delivered it: say so on the failed message too
        message = message.with_delivery(delivery.with_unknown_outcome())
    return message.failed(failure, now), "failed"


def _failure(result: GatewayError | SendFailure) -> SendFailure:
    if isinstance(result, SendFailure):
        return result
    return SendFailure(result.error_code or "gateway_error", str(result), result.retryable)
