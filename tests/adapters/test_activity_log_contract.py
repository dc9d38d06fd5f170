"""The activity log's storage: the in-memory reference, SQLite and PostgreSQL keep and page
it alike, and it is part of the unit of work (rolled back with it)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from crm_whatsapp.domain.access import Actor, ActorKind
from crm_whatsapp.domain.activity import Activity, ActivityKind, Detail
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import ActivityNotFound, ConversationNotFound, InvalidCursor
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.queries import ConversationFilter

T0 = datetime(2026, 3, 10, 15, 0, 0, 123456, tzinfo=UTC)
BUSINESS = "106540352242922"

EVERY_DETAIL: dict[str, Detail] = {
    "text": 'Llamar mañana 🙂 "urgente"',
    "empty": "",
    "count": 3,
    "zero": 0,
    "negative": -42,
    "big": 2**53 + 1,
    "yes": True,
    "no": False,
    "nothing": None,
}


def stored_conversations(setup, *ids: str) -> list[Conversation]:
    conversations = [
        Conversation.start(
            cid, BUSINESS, CustomerIdentity.from_wa_id(f"52155{i:08d}"), T0 - timedelta(days=1)
        )
        for i, cid in enumerate(ids)
    ]
    with setup.deps.unit_of_work() as uow:
        for conversation in conversations:
            uow.conversations.get_or_start(conversation)
        uow.commit()
    return conversations


def entry(
    entry_id: str,
    conversation_id: str = "conv-1",
    *,
    at: datetime = T0,
    kind: ActivityKind = ActivityKind.NOTE,
    actor: Actor | None = None,
    details: dict[str, Detail] | None = None,
) -> Activity:
    return Activity(
        entry_id,
        conversation_id,
        at,
        kind,
        actor if actor is not None else Actor.agent("agent-7", "Ana López"),
        details if details is not None else {"text": f"nota {entry_id}"},
    )


def record(setup, *entries: Activity) -> None:
    with setup.deps.unit_of_work() as uow:
        for item in entries:
            uow.activity.record(item)
        uow.commit()


def record_and_fail(uow, item: Activity, error: Exception) -> None:
    uow.activity.record(item)
    raise error


def typed(details) -> dict[str, tuple[type, object]]:
    """True == 1 in Python: compare the types too, so a bool read back as 1 fails."""
    return {key: (type(value), value) for key, value in details.items()}


def walk(setup, conversation_id: str, page_size: int) -> tuple[list[Activity], int]:
    walked: list[Activity] = []
    pages, cursor = 0, None
    while True:
        page = setup.queries.activity(conversation_id, page_size, cursor)
        pages += 1
        assert len(page.items) <= page_size
        walked += page.items
        cursor = page.next_cursor
        if cursor is None:
            return walked, pages


# -- record and read back -------------------------------------------------------------


@pytest.mark.parametrize(
    "actor",
    [
        Actor.agent("agent-7", "Ana López"),
        Actor.service(),
        Actor.service(on_behalf_of="Luis Pérez"),
        Actor(ActorKind.SERVICE, "crm backend", "svc-1", "Luis"),
        Actor.system(),
        Actor.system("bot de horarios"),
    ],
    ids=["agent", "service", "service-for-someone", "service-with-id", "system", "named-system"],
)
def test_an_entry_reads_back_with_every_field(backend, actor):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1")
    written = entry("act-1", actor=actor, kind=ActivityKind.ASSIGN, details=EVERY_DETAIL)

    record(setup, written)

    listed = setup.queries.activity("conv-1", 10).items
    assert listed == [written]
    found = setup.queries.activity_entry("act-1")
    assert found == written
    assert found.actor == actor
    assert found.at == T0
    assert found.at.utcoffset() == timedelta(0)
    assert typed(found.details) == typed(EVERY_DETAIL)
    assert typed(listed[0].details) == typed(EVERY_DETAIL)


@pytest.mark.parametrize("kind", list(ActivityKind))
def test_every_kind_is_kept(backend, kind):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1")

    record(setup, entry("act-1", kind=kind, details={}))

    assert setup.queries.activity_entry("act-1").kind is kind
    assert setup.queries.activity_entry("act-1").details == {}


def test_a_moment_in_another_timezone_is_the_same_instant(backend):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1")
    mexico = T0.astimezone(timezone(timedelta(hours=-6)))

    record(setup, entry("act-1", at=mexico))

    assert setup.queries.activity_entry("act-1").at == T0


# -- pages ----------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 11, 12])
def test_the_log_is_paged_newest_first_with_ties_broken_by_id(backend, page_size):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1", "conv-2")
    minutes = [0, 5, 5, 5, 1, 9, 9, 3, 2, 7, 0]  # ties: the id decides
    entries = [entry(f"act-{i:02d}", at=T0 + timedelta(minutes=m)) for i, m in enumerate(minutes)]
    shuffled = entries[:]
    random.Random(7).shuffle(shuffled)
    record(setup, *shuffled, entry("other", "conv-2", at=T0 + timedelta(minutes=4)))

    walked, pages = walk(setup, "conv-1", page_size)

    newest_first = sorted(entries, key=lambda a: (a.at, a.id), reverse=True)
    assert [a.id for a in walked] == [a.id for a in newest_first]
    assert walked == newest_first
    assert pages == max(1, -(-len(entries) // page_size))


def test_an_empty_log_is_one_page_without_a_cursor(backend):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1")

    page = setup.queries.activity("conv-1", 10)

    assert (list(page.items), page.next_cursor) == ([], None)


def test_a_cursor_of_another_listing_is_refused(backend):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1", "conv-2")
    record(setup, entry("act-1"), entry("act-2", at=T0 + timedelta(seconds=1)))
    conversations_cursor = setup.queries.conversations(ConversationFilter(), 1).next_cursor
    activity_cursor = setup.queries.activity("conv-1", 1).next_cursor
    assert conversations_cursor is not None
    assert activity_cursor is not None

    with pytest.raises(InvalidCursor):
        setup.queries.activity("conv-1", 1, conversations_cursor)
    with pytest.raises(InvalidCursor):
        setup.queries.conversations(ConversationFilter(), 1, activity_cursor)
    with pytest.raises(InvalidCursor):
        setup.queries.activity("conv-1", 1, "not-a-cursor")


# -- the unit of work -----------------------------------------------------------------


def test_a_unit_of_work_left_without_commit_records_nothing(backend):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1")

    with setup.deps.unit_of_work() as uow:
        uow.activity.record(entry("act-1"))
        uow.activity.record(entry("act-2"))

    with pytest.raises(RuntimeError, match="half way"), setup.deps.unit_of_work() as uow:
        record_and_fail(uow, entry("act-3"), RuntimeError("a use case failing half way"))

    assert setup.queries.activity("conv-1", 10).items == []
    for entry_id in ("act-1", "act-2", "act-3"):
        with pytest.raises(ActivityNotFound):
            setup.queries.activity_entry(entry_id)


def test_the_log_is_rolled_back_with_the_change_it_records(backend):
    setup = backend(now=T0)
    (conversation,) = stored_conversations(setup, "conv-1")

    with setup.deps.unit_of_work() as uow:
        uow.conversations.save(conversation.taken_over_by("Ana López", "agent-7"))
        uow.activity.record(entry("act-1", kind=ActivityKind.TAKE_OVER))

    assert setup.queries.conversation("conv-1").assigned_agent is None
    assert setup.queries.activity("conv-1", 10).items == []


def test_a_savepoint_takes_back_only_the_entries_recorded_inside_it(backend):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1")

    with setup.deps.unit_of_work() as uow:
        uow.activity.record(entry("kept"))
        with pytest.raises(ValueError, match="inside"), uow.savepoint():
            record_and_fail(uow, entry("undone"), ValueError("inside the savepoint"))
        uow.commit()

    assert [a.id for a in setup.queries.activity("conv-1", 10).items] == ["kept"]


# -- not found ------------------------------------------------------------------------


def test_an_unknown_entry_is_not_found(backend):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1")
    record(setup, entry("act-1"))

    with pytest.raises(ActivityNotFound) as raised:
        setup.queries.activity_entry("act-404")

    assert raised.value.activity_id == "act-404"


def test_the_log_of_an_unknown_conversation_is_not_found(backend):
    setup = backend(now=T0)

    with pytest.raises(ConversationNotFound):
        setup.queries.activity("nope", 10)


def test_an_entry_for_an_unknown_conversation_is_refused(backend):
    setup = backend(now=T0)
    stored_conversations(setup, "conv-1")

    with pytest.raises(ConversationNotFound), setup.deps.unit_of_work() as uow:
        uow.activity.record(entry("act-1", "nope"))

    with pytest.raises(ActivityNotFound):
        setup.queries.activity_entry("act-1")
