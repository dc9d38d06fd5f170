"""The outbox: queued replies are sent once, retried with backoff, and never lost."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway
from crm_whatsapp.domain.delivery import DeliveryStatus, StatusUpdate
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.events import DeliveryStatusChanged
from crm_whatsapp.domain.message import Message, TemplateMessage
from crm_whatsapp.domain.use_cases import (
    OutboxReport,
    RetryPolicy,
    StatusOutcome,
    agent_reply,
    receive_inbound,
    record_status_update,
    send_due_outbound,
)
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.outbox import claim_due
from crm_whatsapp.testing import text_from

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
WA_ID = "5215512345678"
OVERLOADED = GatewayError("overloaded", retryable=True, error_code="131016")
BAD_NUMBER = GatewayError("not a WhatsApp user", retryable=False, error_code="131026")
TIMED_OUT = GatewayError("timed out after sending", retryable=True, outcome_unknown=True)


@pytest.fixture
def setup(backend):
    return backend(now=T0)


def customer_writes(setup, text: str = "hola", wamid: str = "wamid.in.1") -> Message:
    """A customer message arrives; returns the bot's pending reply."""
    incoming = text_from(WA_ID, text, setup.clock.now(), wamid=wamid, business_number_id=BUSINESS)
    outcome = receive_inbound(setup.deps, incoming)
    assert outcome.reply is not None
    return outcome.reply


def run(setup, policy: RetryPolicy | None = None, gateway=None) -> OutboxReport:
    return asyncio.run(send_due_outbound(setup.deps, gateway or setup.gateway, policy))


def stored(setup, message_id: str) -> Message:
    return setup.snapshot().messages[message_id]


def delivery_of(setup, message_id: str):
    delivery = stored(setup, message_id).delivery
    assert delivery is not None
    return delivery


def test_a_queued_bot_reply_is_sent_once_and_marked_sent_with_the_gateways_wamid(setup):
    reply = customer_writes(setup)

    report = run(setup)
    again = run(setup)

    assert report == OutboxReport(sent=1)
    assert again == OutboxReport()
    assert [(s.to.wa_id, s.text, s.wamid) for s in setup.gateway.sent] == [
        (WA_ID, reply.text, "wamid.fake.1")
    ]
    message = stored(setup, reply.id)
    assert message.wamid == "wamid.fake.1"
    assert message.delivery_status is DeliveryStatus.SENT
    assert delivery_of(setup, reply.id).sent_at == T0
    assert delivery_of(setup, reply.id).attempts == 1


def test_a_retryable_failure_is_retried_later_with_exponential_backoff(setup):
    policy = RetryPolicy(first_delay=timedelta(seconds=5))
    reply = customer_writes(setup)
    setup.gateway.fail_next(OVERLOADED, times=2)

    first = run(setup, policy)
    assert first == OutboxReport(retrying=1)
    delivery = delivery_of(setup, reply.id)
    assert delivery.status is DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert delivery.next_attempt_at == T0 + timedelta(seconds=5)
    assert delivery.last_error is not None
    assert delivery.last_error.code == "131016"

    setup.clock.advance(timedelta(seconds=5))
    assert run(setup, policy) == OutboxReport(retrying=1)
    assert delivery_of(setup, reply.id).next_attempt_at == T0 + timedelta(seconds=5 + 10)

    setup.clock.advance(timedelta(seconds=10))
    assert run(setup, policy) == OutboxReport(sent=1)
    assert delivery_of(setup, reply.id).attempts == 3
    assert stored(setup, reply.id).wamid == "wamid.fake.1"


def test_a_message_waiting_for_its_retry_is_not_sent_before_it_is_due(setup):
    policy = RetryPolicy(first_delay=timedelta(seconds=5))
    reply = customer_writes(setup)
    setup.gateway.fail_next(OVERLOADED)
    run(setup, policy)

    setup.clock.advance(timedelta(seconds=4))
    early = run(setup, policy)

    assert early == OutboxReport()
    assert setup.gateway.sent == []
    assert delivery_of(setup, reply.id).attempts == 1


@pytest.mark.parametrize(
    ("attempts", "expected"),
    [(1, 10), (2, 20), (3, 25), (4, 25), (10, 25)],
)
def test_the_backoff_doubles_each_attempt_and_is_capped_at_max_delay(attempts, expected):
    policy = RetryPolicy(first_delay=timedelta(seconds=10), max_delay=timedelta(seconds=25))

    assert policy.delay_after(attempts) == timedelta(seconds=expected)


def test_the_retry_schedule_of_a_stored_message_is_capped_at_max_delay(setup):
    policy = RetryPolicy(first_delay=timedelta(seconds=10), max_delay=timedelta(seconds=25))
    reply = customer_writes(setup)
    setup.gateway.fail_next(OVERLOADED, times=3)
    delays = []
    for _ in range(3):
        run(setup, policy)
        due = delivery_of(setup, reply.id).next_attempt_at
        assert due is not None
        delays.append(due - setup.clock.now())
        setup.clock.set(due)

    assert delays == [timedelta(seconds=s) for s in (10, 20, 25)]


def test_the_outbox_gives_up_after_max_attempts_and_marks_the_message_failed(setup):
    policy = RetryPolicy(max_attempts=3, first_delay=timedelta(seconds=1))
    reply = customer_writes(setup)
    setup.gateway.fail_next(OVERLOADED, times=5)

    reports = []
    for _ in range(4):
        reports.append(run(setup, policy))
        setup.clock.advance(timedelta(minutes=1))

    assert reports == [
        OutboxReport(retrying=1),
        OutboxReport(retrying=1),
        OutboxReport(failed=1),
        OutboxReport(),
    ]
    delivery = delivery_of(setup, reply.id)
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert delivery.last_error is not None
    assert (delivery.last_error.code, delivery.last_error.title) == ("131016", "overloaded")
    assert delivery.failed_at == T0 + timedelta(minutes=2)
    assert setup.gateway.sent == []


def test_a_non_retryable_error_fails_the_message_at_once(setup):
    reply = customer_writes(setup)
    setup.gateway.fail_next(BAD_NUMBER)

    report = run(setup)
    setup.clock.advance(timedelta(hours=1))
    later = run(setup)

    assert report == OutboxReport(failed=1)
    assert later == OutboxReport()
    delivery = delivery_of(setup, reply.id)
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.attempts == 1
    assert delivery.last_error is not None
    assert delivery.last_error.code == "131026"
    assert delivery.last_error.retryable is False


def test_a_timeout_with_unknown_outcome_is_retried_and_counted(setup):
    reply = customer_writes(setup)
    setup.gateway.fail_next(TIMED_OUT)

    first = run(setup)
    assert first == OutboxReport(retrying=1, unknown_outcomes=1)
    assert delivery_of(setup, reply.id).unknown_outcomes == 1
    assert delivery_of(setup, reply.id).last_error.code == "gateway_error"

    setup.clock.advance(RetryPolicy().first_delay)
    second = run(setup)

    assert second == OutboxReport(sent=1)
    delivery = delivery_of(setup, reply.id)
    assert delivery.status is DeliveryStatus.SENT
    assert delivery.unknown_outcomes == 1
    assert len(setup.gateway.sent) == 1


def test_text_past_the_24_hour_window_fails_without_calling_the_gateway(setup):
    reply = customer_writes(setup)
    setup.clock.advance(timedelta(hours=24))

    report = run(setup)

    assert report == OutboxReport(failed=1)
    assert setup.gateway.sent == []
    delivery = delivery_of(setup, reply.id)
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.last_error is not None
    assert delivery.last_error.code == "outside_service_window"
    assert stored(setup, reply.id).wamid is None


def test_a_template_is_still_sent_after_the_24_hour_window(setup):
    customer_writes(setup)
    run(setup)
    setup.clock.advance(timedelta(days=3))
    conversation_id = next(iter(setup.snapshot().conversations))
    template = TemplateMessage("recordatorio_pago", "es_MX", ("Ana",))
    queued = agent_reply(setup.deps, conversation_id, "Luis", template=template)

    report = run(setup)

    assert report == OutboxReport(sent=1)
    assert setup.gateway.sent[-1].template == template
    assert setup.gateway.sent[-1].text is None
    assert stored(setup, queued.id).delivery_status is DeliveryStatus.SENT


def test_a_claimed_message_is_not_claimed_again_before_its_lease_ends(setup):
    policy = RetryPolicy(lease=timedelta(minutes=2))
    reply = customer_writes(setup)

    first = claim_due(setup.deps, policy, policy.batch_size)
    setup.clock.advance(timedelta(minutes=2) - timedelta(seconds=1))
    second = claim_due(setup.deps, policy, policy.batch_size)

    assert [job.message.id for job in first] == [reply.id]
    assert second == []
    assert delivery_of(setup, reply.id).next_attempt_at == T0 + timedelta(minutes=2)


def test_a_message_whose_worker_died_is_claimed_again_after_the_lease_and_sent(setup):
    policy = RetryPolicy(lease=timedelta(minutes=2))
    reply = customer_writes(setup)
    claim_due(setup.deps, policy, policy.batch_size)  # the worker dies before recording anything

    setup.clock.advance(timedelta(minutes=2))
    report = run(setup, policy)

    assert report == OutboxReport(sent=1)
    assert len(setup.gateway.sent) == 1
    delivery = delivery_of(setup, reply.id)
    assert delivery.status is DeliveryStatus.SENT
    assert delivery.attempts == 2


class RacingGateway:
    """Meta accepts the message and its status webhook beats our own bookkeeping."""

    def __init__(self, deps: Dependencies, status: DeliveryStatus, at: datetime) -> None:
        self.inner = InMemoryMessagingGateway(wamid_prefix="wamid.race.")
        self.deps = deps
        self.status = status
        self.at = at
        self.outcomes: list[StatusOutcome] = []

    async def send_text(self, business_number_id, to, text, *, reply_to_wamid=None, **kw) -> str:
        wamid = await self.inner.send_text(
            business_number_id, to, text, reply_to_wamid=reply_to_wamid, **kw
        )
        update = StatusUpdate(wamid, self.status, self.at, recipient_id=to.wa_id)
        self.outcomes.append(record_status_update(self.deps, update))
        return wamid

    async def send_template(self, business_number_id, to, template) -> str:
        raise AssertionError("no template expected")

    async def mark_read(self, business_number_id, wamid) -> None:
        await self.inner.mark_read(business_number_id, wamid)


@pytest.mark.parametrize("status", [DeliveryStatus.DELIVERED, DeliveryStatus.READ])
def test_a_status_that_arrived_before_the_send_was_recorded_is_applied_with_it(setup, status):
    reply = customer_writes(setup)
    racing = RacingGateway(setup.deps, status, T0 + timedelta(seconds=1))

    report = run(setup, gateway=racing)

    assert report == OutboxReport(sent=1)
    assert racing.outcomes == [StatusOutcome.PARKED]
    message = stored(setup, reply.id)
    assert message.wamid == "wamid.race.1"
    assert message.delivery_status is status
    assert message.delivery is not None
    assert message.delivery.delivered_at == T0 + timedelta(seconds=1)
    assert setup.snapshot().parked_statuses == {}


def test_sending_publishes_the_new_delivery_status(setup):
    reply = customer_writes(setup)
    setup.events.events.clear()

    run(setup)

    assert setup.events.events == [
        DeliveryStatusChanged(reply.conversation_id, reply.id, DeliveryStatus.SENT)
    ]


def test_a_failed_send_publishes_the_failed_status(setup):
    reply = customer_writes(setup)
    setup.gateway.fail_next(BAD_NUMBER)
    setup.events.events.clear()

    run(setup)

    assert setup.events.events == [
        DeliveryStatusChanged(reply.conversation_id, reply.id, DeliveryStatus.FAILED)
    ]


def test_several_due_messages_are_sent_oldest_first(setup):
    first = customer_writes(setup, "hola", "wamid.in.1")
    setup.clock.advance(timedelta(seconds=30))
    second = customer_writes(setup, "¿tienen envío?", "wamid.in.2")

    report = run(setup)

    assert report == OutboxReport(sent=2)
    assert [s.text for s in setup.gateway.sent] == [first.text, second.text]
    assert stored(setup, second.id).wamid == "wamid.fake.2"


def test_a_bot_reply_queued_before_the_customer_opted_out_is_not_sent(setup):
    reply = customer_writes(setup, "hola", "wamid.in.1")
    customer_writes(setup, "BAJA", "wamid.in.2")

    report = run(setup)

    assert [m.text for m in setup.gateway.sent] == [
        "Listo, ya no te enviaremos mensajes. Si cambias de opinión, escribe ALTA."
    ]
    assert report.sent == 1
    assert report.failed == 1
    failed = delivery_of(setup, reply.id)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.last_error is not None
    assert failed.last_error.code == "customer_opted_out"


def test_an_agents_text_to_a_customer_who_opted_out_still_goes_inside_the_window(setup):
    customer_writes(setup, "BAJA", "wamid.in.1")
    conversation_id = next(iter(setup.snapshot().conversations))
    agent_reply(setup.deps, conversation_id, "Laura", text="Entendido, te damos de baja.")

    report = run(setup)

    assert report.sent == 2
    assert setup.gateway.sent[-1].text == "Entendido, te damos de baja."


def test_an_unknown_outcome_on_the_last_attempt_is_counted_on_the_failed_message(setup):
    """Regression: giving up after a timeout left ``unknown_outcomes`` at 0, hiding that
    Meta may have delivered the message it now shows as failed."""
    policy = RetryPolicy(max_attempts=1)
    reply = customer_writes(setup)
    setup.gateway.fail_next(TIMED_OUT)

    assert run(setup, policy) == OutboxReport(failed=1, unknown_outcomes=1)

    delivery = delivery_of(setup, reply.id)
    assert delivery.status is DeliveryStatus.FAILED
    assert delivery.unknown_outcomes == 1
