"""What only a real database can show: round trips, concurrent connections, rollbacks, and a
database that is down or locked. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.sql.maintenance import prune_parked_statuses
from crm_whatsapp.adapters.sql.queries import SqlConversationQueries
from crm_whatsapp.adapters.sql.unit_of_work import SqlUnitOfWork
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import Delivery, DeliveryStatus, SendFailure, StatusUpdate
from crm_whatsapp.domain.errors import (
    ConversationNotFound,
    MessageNotFound,
    StorageUnavailable,
)
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import (
    Author,
    Direction,
    Message,
    MessageKind,
    Processing,
    ProcessingState,
    TemplateMessage,
)
from crm_whatsapp.domain.use_cases import receive_inbound, send_due_outbound
from crm_whatsapp.domain.use_cases.outbox import RetryPolicy
from crm_whatsapp.testing import NOW, conversations, inbound_messages, text_from

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
ANA = CustomerIdentity.from_wa_id("5215512345678")


def count(database: Database, table: str) -> int:
    t = getattr(database.tables, table)
    with database.reader.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(t)).scalar_one())


def start(database: Database, conversation: Conversation) -> Conversation:
    with SqlUnitOfWork(database) as uow:
        stored = uow.conversations.get_or_start(conversation)
        uow.commit()
    return stored


def inbound(conversation_id: str, wamid: str, message_id: str = "m-1") -> Message:
    return Message(
        id=message_id,
        conversation_id=conversation_id,
        direction=Direction.INBOUND,
        kind=MessageKind.TEXT,
        created_at=T0,
        author=Author.customer(),
        text="hola",
        wamid=wamid,
        whatsapp_timestamp=T0 - timedelta(seconds=3),
        processing=Processing(),
    )


def in_thread(work: Callable[[], Any]) -> Any:
    """Run ``work`` on another thread (and so another connection); returns its future."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(work)
    pool.shutdown(wait=False)
    return future


# -- round trips ---------------------------------------------------------------------


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(conversations())
def test_any_conversation_reads_back_equal(database: Database, conversation: Conversation):
    with SqlUnitOfWork(database) as uow:
        uow.conversations.get_or_start(conversation)
        stored = uow.conversations.get(conversation.id)
        # rolled back on leaving: every example starts from the same empty tables

    assert stored == conversation


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(inbound_messages(conversation_id="c-1"))
def test_any_inbound_message_reads_back_equal(database: Database, message: Message):
    with SqlUnitOfWork(database) as uow:
        uow.conversations.get_or_start(Conversation.start("c-1", BUSINESS, ANA, NOW))
        assert uow.conversations.add_inbound(message)
        assert uow.conversations.get_message(message.id) == message


def test_an_outbound_message_with_every_field_reads_back_equal(database: Database):
    conversation = start(database, Conversation.start("c-1", BUSINESS, ANA, T0))
    message = Message(
        id="m-out",
        conversation_id=conversation.id,
        direction=Direction.OUTBOUND,
        kind=MessageKind.TEMPLATE,
        created_at=T0,
        author=Author.agent("Laura Ñúñez"),
        text=None,
        wamid="wamid.HBgN",
        reply_to_wamid="wamid.in",
        details={"rule": "keyword:precios", "nested": {"a": [1, 2.5, None, "ñ"]}},
        raw='{"raw": "as sent"}',
        template=TemplateMessage("seguimiento", "es_MX", ("Ana", "mañana")),
        delivery=Delivery(
            status=DeliveryStatus.FAILED,
            attempts=3,
            next_attempt_at=None,
            last_error=SendFailure("131026", "Mensaje no entregable", retryable=False),
            unknown_outcomes=1,
            sent_at=T0 + timedelta(seconds=1),
            delivered_at=T0 + timedelta(seconds=2),
            failed_at=T0 + timedelta(seconds=3),
        ),
    )
    with SqlUnitOfWork(database) as uow:
        uow.conversations.add_outbound(message)
        uow.commit()

    with SqlUnitOfWork(database) as uow:
        assert uow.conversations.get_message("m-out") == message
        assert uow.conversations.message_by_wamid("wamid.HBgN") == message
        assert uow.conversations.message_by_wamid("wamid.other") is None


def test_unknown_ids_are_not_found(database: Database):
    with SqlUnitOfWork(database) as uow:
        repo = uow.conversations
        with pytest.raises(ConversationNotFound):
            repo.get("nope")
        with pytest.raises(ConversationNotFound):
            repo.save(Conversation.start("nope", BUSINESS, ANA, T0))
        with pytest.raises(MessageNotFound):
            repo.get_message("nope")
        with pytest.raises(MessageNotFound):
            repo.update_message(inbound("c-1", "wamid.x", "nope"))
    with SqlUnitOfWork(database) as uow, pytest.raises(ConversationNotFound):
        uow.conversations.add_inbound(inbound("no-such-conversation", "wamid.y"))


# -- identities --------------------------------------------------------------------


def test_a_customer_who_changed_number_keeps_the_conversation_and_the_old_number_moves_on(
    database: Database,
):
    before = CustomerIdentity.from_wa_id("5215511111111", user_id="MX.bsuid.1")
    after = CustomerIdentity.from_wa_id("5215522222222", user_id="MX.bsuid.1")
    stranger = CustomerIdentity.from_wa_id("5215511111111", user_id="MX.bsuid.2")
    first = start(database, Conversation.start("c-1", BUSINESS, before, T0))

    with SqlUnitOfWork(database) as uow:
        found = uow.conversations.get_or_start(Conversation.start("c-2", BUSINESS, after, T0))
        uow.conversations.save(found.with_customer(after))
        uow.commit()
    recycled = start(database, Conversation.start("c-3", BUSINESS, stranger, T0))

    assert found.id == first.id == "c-1"
    assert recycled.id == "c-3"
    with SqlUnitOfWork(database) as uow:
        repo = uow.conversations
        assert repo.get("c-1").customer.wa_id == "5215522222222"
        assert [c.id for c in repo.of_customer(after)] == ["c-1"]
        assert [c.id for c in repo.of_customer(stranger)] == ["c-3"]
        again = repo.get_or_start(Conversation.start("c-4", BUSINESS, stranger, T0))
        assert again.id == "c-3"


def test_the_same_customer_on_two_business_numbers_has_two_conversations(database: Database):
    one = start(database, Conversation.start("c-1", BUSINESS, ANA, T0))
    other = start(database, Conversation.start("c-2", "207651463353033", ANA, T0))

    assert (one.id, other.id) == ("c-1", "c-2")
    with SqlUnitOfWork(database) as uow:
        assert {c.id for c in uow.conversations.of_customer(ANA)} == {"c-1", "c-2"}


# -- idempotency and concurrency ---------------------------------------------------


def test_two_connections_storing_one_wamid_at_once_give_one_row_and_one_duplicate(
    database: Database,
):
    """The second insert waits for the first transaction and then learns it was a duplicate
    (ON CONFLICT DO NOTHING), instead of both passing a check and inserting twice."""
    start(database, Conversation.start("c-1", BUSINESS, ANA, T0))
    first = SqlUnitOfWork(database).__enter__()
    assert first.conversations.add_inbound(inbound("c-1", "wamid.same", "m-1"))

    def second() -> bool:
        with SqlUnitOfWork(database) as uow:
            stored = uow.conversations.add_inbound(inbound("c-1", "wamid.same", "m-2"))
            uow.commit()
            return stored

    racing = in_thread(second)
    with pytest.raises(TimeoutError):
        racing.result(timeout=0.3)  # it is waiting for the first transaction
    first.commit()
    first.__exit__(None, None, None)

    assert racing.result(timeout=10) is False
    assert count(database, "messages") == 1


def test_a_new_customers_first_two_messages_at_once_start_one_conversation(database: Database):
    first = SqlUnitOfWork(database).__enter__()
    mine = first.conversations.get_or_start(Conversation.start("c-1", BUSINESS, ANA, T0))

    def second() -> str:
        with SqlUnitOfWork(database) as uow:
            theirs = uow.conversations.get_or_start(Conversation.start("c-2", BUSINESS, ANA, T0))
            uow.commit()
            return theirs.id

    racing = in_thread(second)
    with pytest.raises(TimeoutError):
        racing.result(timeout=0.3)
    first.commit()
    first.__exit__(None, None, None)

    assert racing.result(timeout=10) == mine.id == "c-1"
    assert count(database, "conversations") == 1


def test_many_threads_receiving_the_same_webhook_store_it_once(backend):
    """Meta retries a webhook while the first delivery is still being processed."""

    setup = backend(now=T0)
    incoming = [text_from(f"52155{n:08d}", "hola", T0, wamid=f"wamid.{n}") for n in range(5)]
    barrier = threading.Barrier(4)

    def deliver_all() -> list[bool]:
        barrier.wait()
        return [receive_inbound(setup.deps, message).duplicate for message in incoming]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = [f.result(timeout=60) for f in [pool.submit(deliver_all) for _ in range(4)]]

    stored = setup.snapshot()
    assert sum(not duplicate for run in results for duplicate in run) == 5
    assert len(stored.conversations) == 5
    assert sorted(m.wamid for m in stored.messages.values() if m.is_inbound) == sorted(
        m.wamid for m in incoming
    )


# -- the outbox --------------------------------------------------------------------


def pending_replies(database: Database, how_many: int, *, one_conversation: bool = False) -> None:
    """``how_many`` queued replies, due a second apart: each to its own customer, or all in
    one conversation (where only the first can be due: they leave in order)."""
    with SqlUnitOfWork(database) as uow:
        for n in range(how_many):
            if n == 0 or not one_conversation:
                customer = CustomerIdentity.from_wa_id(f"52155{n:08d}")
                conversation = uow.conversations.get_or_start(
                    Conversation.start(f"c-{n}", BUSINESS, customer, T0)
                )
            uow.conversations.add_outbound(
                Message(
                    id=f"out-{n:03d}",
                    conversation_id=conversation.id,
                    direction=Direction.OUTBOUND,
                    kind=MessageKind.TEXT,
                    created_at=T0 + timedelta(milliseconds=n),
                    author=Author.bot(),
                    text=f"respuesta {n}",
                    delivery=Delivery.pending(T0 + timedelta(seconds=n)),
                )
            )
        uow.commit()


def test_the_outbox_claims_due_messages_oldest_first_and_only_pending_ones(database: Database):
    pending_replies(database, 5)
    with SqlUnitOfWork(database) as uow:
        sent = uow.conversations.get_message("out-000").sent_as("wamid.0", T0)
        uow.conversations.update_message(sent)
        uow.commit()

    with SqlUnitOfWork(database) as uow:
        due = uow.conversations.due_outbound(T0 + timedelta(seconds=3), limit=10)

    assert [m.id for m in due] == ["out-001", "out-002", "out-003"]


def test_a_conversations_next_reply_is_due_only_once_the_one_before_it_is_settled(
    database: Database,
):
    """Order per conversation: however many sends are in flight, the second reply waits
    for the first one's outcome (sent or failed), even when it is due and the first is
    not (the first is waiting for a retry)."""
    pending_replies(database, 3, one_conversation=True)
    later = T0 + timedelta(minutes=1)

    def due_ids() -> list[str]:
        with SqlUnitOfWork(database) as uow:
            return [m.id for m in uow.conversations.due_outbound(later, limit=10)]

    assert due_ids() == ["out-000"]
    with SqlUnitOfWork(database) as uow:
        first = uow.conversations.get_message("out-000")
        assert first.delivery is not None
        uow.conversations.update_message(
            first.with_delivery(first.delivery.claimed(T0, later + timedelta(minutes=2)))
        )
        uow.commit()
    assert due_ids() == []  # in flight: the others wait for its outcome
    with SqlUnitOfWork(database) as uow:
        first = uow.conversations.get_message("out-000")
        uow.conversations.update_message(first.sent_as("wamid.0", T0))
        uow.commit()
    assert due_ids() == ["out-001"]
    with SqlUnitOfWork(database) as uow:
        second = uow.conversations.get_message("out-001")
        uow.conversations.update_message(second.failed(SendFailure("131026", "no"), T0))
        uow.commit()
    assert due_ids() == ["out-002"]


def test_a_worker_skips_the_messages_another_worker_holds_instead_of_waiting(
    postgresql_database: Database,
):
    """PostgreSQL only: SQLite has no row locks, it runs one writer at a time."""
    database = postgresql_database
    pending_replies(database, 6)
    first = SqlUnitOfWork(database).__enter__()
    held = first.conversations.due_outbound(T0 + timedelta(minutes=1), limit=3)

    def second() -> list[str]:
        with SqlUnitOfWork(database) as uow:
            return [m.id for m in uow.conversations.due_outbound(T0 + timedelta(minutes=1), 10)]

    others = in_thread(second).result(timeout=5)  # no waiting: SKIP LOCKED
    first.__exit__(None, None, None)

    assert [m.id for m in held] == ["out-000", "out-001", "out-002"]
    assert others == ["out-003", "out-004", "out-005"]


def test_concurrent_outbox_workers_never_send_a_message_twice(backend):

    setup = backend(now=T0)
    for n in range(24):
        receive_inbound(setup.deps, text_from(f"52155{n:08d}", "hola", T0, wamid=f"wamid.{n}"))
    gateways = [InMemoryMessagingGateway(wamid_prefix=f"wamid.w{w}.") for w in range(4)]
    barrier = threading.Barrier(len(gateways))
    policy = RetryPolicy(batch_size=2)

    def work(gateway: InMemoryMessagingGateway) -> None:
        barrier.wait()
        while asyncio.run(send_due_outbound(setup.deps, gateway, policy)).claimed:
            pass

    with ThreadPoolExecutor(max_workers=len(gateways)) as pool:
        for future in [pool.submit(work, g) for g in gateways]:
            future.result(timeout=60)

    sent = [message.text for g in gateways for message in g.sent]
    assert len(sent) == 24
    replies = [m for m in setup.snapshot().messages.values() if not m.is_inbound]
    assert {m.delivery_status for m in replies} == {DeliveryStatus.SENT}
    assert len({m.wamid for m in replies}) == 24


# -- transactions and failures -----------------------------------------------------


def test_leaving_without_commit_stores_nothing(database: Database):
    def use_case_that_fails_half_way() -> None:
        with SqlUnitOfWork(database) as uow:
            uow.conversations.get_or_start(Conversation.start("c-1", BUSINESS, ANA, T0))
            uow.conversations.add_inbound(inbound("c-1", "wamid.1"))
            raise RuntimeError("the use case failed half way")

    with pytest.raises(RuntimeError):
        use_case_that_fails_half_way()

    assert count(database, "conversations") == count(database, "messages") == 0
    assert count(database, "conversation_keys") == 0


def test_a_database_that_is_down_raises_storage_unavailable_without_the_password():
    database = Database("postgresql+psycopg://crm:s3cr3t-pw@127.0.0.1:9/crm")
    try:
        with pytest.raises(StorageUnavailable) as raised, SqlUnitOfWork(database):
            pass
        with pytest.raises(StorageUnavailable) as raised_query:
            SqlConversationQueries(database).conversation("c-1")
    finally:
        database.dispose()

    for error in (raised.value, raised_query.value):
        assert "s3cr3t-pw" not in str(error)
        assert "127.0.0.1" in str(error)


def test_a_locked_sqlite_database_raises_storage_unavailable(tmp_path):
    path = tmp_path / "locked.db"
    database = Database(f"sqlite:///{path}", busy_timeout_ms=100)
    database.migrate()
    holder = database.writer.connect()
    holder.begin()  # BEGIN IMMEDIATE: the write lock, held
    holder.execute(text("DELETE FROM crm_whatsapp_messages"))
    try:
        with pytest.raises(StorageUnavailable) as raised, SqlUnitOfWork(database):
            pass
    finally:
        holder.rollback()
        holder.close()
        database.dispose()

    assert "locked" in str(raised.value)


def test_an_in_memory_sqlite_url_is_refused_with_the_alternative():
    with pytest.raises(ValueError, match=r"crm_whatsapp\.adapters\.memory"):
        Database("sqlite://")


# -- parked statuses ---------------------------------------------------------------


def test_parked_statuses_are_taken_once_in_arrival_order_and_old_ones_are_pruned(
    database: Database,
):
    reports = [
        StatusUpdate("wamid.a", DeliveryStatus.DELIVERED, T0, details={"n": 1}),
        StatusUpdate(
            "wamid.a", DeliveryStatus.FAILED, T0, failure=SendFailure("131026", "no", False)
        ),
        StatusUpdate("wamid.old", DeliveryStatus.READ, T0 - timedelta(days=30)),
    ]
    with SqlUnitOfWork(database) as uow:
        for report in reports:
            uow.conversations.park_status(report)
        uow.commit()

    assert prune_parked_statuses(database, older_than=T0 - timedelta(days=7)) == 1
    with SqlUnitOfWork(database) as uow:
        assert list(uow.conversations.take_parked_statuses("wamid.a")) == reports[:2]
        uow.commit()
    with SqlUnitOfWork(database) as uow:
        assert list(uow.conversations.take_parked_statuses("wamid.a")) == []
        assert list(uow.conversations.take_parked_statuses("wamid.old")) == []


def test_processing_state_survives_an_update(database: Database):
    start(database, Conversation.start("c-1", BUSINESS, ANA, T0))
    with SqlUnitOfWork(database) as uow:
        uow.conversations.add_inbound(inbound("c-1", "wamid.1"))
        message = uow.conversations.get_message("m-1")
        uow.conversations.update_message(
            message.with_processing(ProcessingState.SKIPPED, "flood_limit", "keyword:precios")
        )
        uow.commit()

    with SqlUnitOfWork(database) as uow:
        processing = uow.conversations.get_message("m-1").processing
    assert processing == Processing(ProcessingState.SKIPPED, "flood_limit", "keyword:precios")


def test_the_conversation_found_after_losing_the_race_to_create_it_stays_locked(
    postgresql_database: Database,
):
    """Regression: rolling back to the savepoint released the lock on the winner's
    conversation, so two webhooks interleaved and deadlocked on PostgreSQL."""
    database = postgresql_database
    first = SqlUnitOfWork(database).__enter__()
    first.conversations.get_or_start(Conversation.start("c-1", BUSINESS, ANA, T0))
    second = SqlUnitOfWork(database)
    racing = in_thread(
        lambda: second.__enter__().conversations.get_or_start(
            Conversation.start("c-2", BUSINESS, ANA, T0)
        )
    )
    with pytest.raises(TimeoutError):
        racing.result(timeout=0.3)
    first.commit()
    first.__exit__(None, None, None)
    try:
        assert racing.result(timeout=10).id == "c-1"
        with database.writer.connect() as probe, pytest.raises(OperationalError, match="lock"):
            probe.execute(
                text("SELECT id FROM crm_whatsapp_conversations WHERE id = 'c-1' FOR UPDATE NOWAIT")
            )
    finally:
        second.__exit__(None, None, None)


def test_a_batch_of_messages_is_read_and_updated_together(database: Database):
    """The outbox's batch calls: the messages that exist among the ids (others left out),
    their conversations, and updates whose changed columns differ from one message to the
    next (grouped into one statement per set of columns)."""
    pending_replies(database, 4)
    later = T0 + timedelta(minutes=1)
    with SqlUnitOfWork(database) as uow:
        repo = uow.conversations
        found = repo.get_messages(["out-000", "out-001", "out-002", "no-such"])
        assert sorted(found) == ["out-000", "out-001", "out-002"]
        conversations = repo.get_conversations(["c-0", "c-2", "no-such"])
        assert sorted(conversations) == ["c-0", "c-2"]
        claimed = []
        for message_id, message in sorted(found.items()):
            assert message.delivery is not None
            claim = message.with_delivery(message.delivery.claimed(later, later))
            claimed.append(
                claim.sent_as(f"wamid.{message_id}", later) if message_id == "out-001" else claim
            )
        repo.update_messages(claimed)
        uow.commit()

    with SqlUnitOfWork(database) as uow:
        after = uow.conversations.get_messages(["out-000", "out-001", "out-002", "out-003"])
    assert after["out-000"].delivery is not None
    assert after["out-000"].delivery.in_flight
    assert after["out-000"].delivery.attempts == 1
    assert after["out-001"].wamid == "wamid.out-001"
    assert after["out-001"].delivery_status is DeliveryStatus.SENT
    assert after["out-003"].delivery is not None
    assert after["out-003"].delivery.attempts == 0
