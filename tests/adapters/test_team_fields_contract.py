"""A conversation's status and assigned agent id on every backend: kept, read back, and
filtered on (the inbox's "mine", "unassigned" and status views) alike by the in-memory
reference, SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_whatsapp.domain.conversation import Conversation, ConversationStatus
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.testing import conversations

T0 = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
BUSINESS = "106540352242922"
OPEN, PENDING, RESOLVED = ConversationStatus


def started(i: int, cid: str) -> Conversation:
    """Conversation ``cid``, last active ``i`` minutes after T0 (the listing's order)."""
    customer = CustomerIdentity.from_wa_id(f"52155{i:08d}")
    return replace(
        Conversation.start(cid, BUSINESS, customer, T0), last_activity_at=T0 + timedelta(minutes=i)
    )


def store(setup, *items: Conversation) -> None:
    with setup.deps.unit_of_work() as uow:
        for conversation in items:
            uow.conversations.get_or_start(conversation)
        uow.commit()


def listed(setup, **conditions) -> list[str]:
    page = setup.queries.conversations(ConversationFilter(**conditions), 50)
    return [c.id for c in page.items]


# -- round trip -----------------------------------------------------------------------


def test_a_new_conversation_is_open_and_assigned_to_nobody(backend):
    setup = backend(now=T0)
    store(setup, started(0, "conv-1"))

    stored = setup.queries.conversation("conv-1")

    assert stored.status is OPEN
    assert (stored.assigned_agent, stored.assigned_agent_id) == (None, None)


@pytest.mark.parametrize("status", list(ConversationStatus))
def test_status_and_assigned_agent_id_read_back_as_saved(backend, status):
    setup = backend(now=T0)
    conversation = started(0, "conv-1")
    store(setup, conversation)
    changed = conversation.taken_over_by("Ana López", "agent-7").with_status(status)

    with setup.deps.unit_of_work() as uow:
        uow.conversations.save(changed)
        uow.commit()

    assert setup.queries.conversation("conv-1") == changed
    with setup.deps.unit_of_work() as uow:
        assert uow.conversations.get("conv-1") == changed
        assert uow.conversations.get_conversations(["conv-1"]) == {"conv-1": changed}


def test_giving_back_clears_the_agent_id_and_a_status_change_is_kept(backend):
    setup = backend(now=T0)
    conversation = started(0, "conv-1").taken_over_by("Ana López", "agent-7")
    store(setup, conversation)
    back = conversation.given_back_to_bot().with_status(RESOLVED)

    with setup.deps.unit_of_work() as uow:
        uow.conversations.save(back)
        uow.commit()

    stored = setup.queries.conversation("conv-1")
    assert (stored.assigned_agent, stored.assigned_agent_id) == (None, None)
    assert stored.status is RESOLVED


# -- filters --------------------------------------------------------------------------


@pytest.fixture
def team_inbox(backend):
    """Five conversations, newest last: nobody's; Ana's (by id); Luis's, resolved; one
    assigned by name only (an agent before tokens had ids); one assigned to Ana's id with no
    name, pending."""
    setup = backend(now=T0)
    store(
        setup,
        started(0, "nobody"),
        started(1, "ana").taken_over_by("Ana López", "agent-1").with_status(PENDING),
        started(2, "luis").taken_over_by("Luis", "agent-2").with_status(RESOLVED),
        started(3, "by-name").taken_over_by("Pepe"),
        replace(started(4, "by-id"), assigned_agent_id="agent-1", status=PENDING),
    )
    return setup


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({}, ["by-id", "by-name", "luis", "ana", "nobody"]),
        ({"status": OPEN}, ["by-name", "nobody"]),
        ({"status": PENDING}, ["by-id", "ana"]),
        ({"status": RESOLVED}, ["luis"]),
        ({"assigned": True}, ["by-id", "by-name", "luis", "ana"]),
        ({"assigned": False}, ["nobody"]),
        ({"assigned_agent_id": "agent-1"}, ["by-id", "ana"]),
        ({"assigned_agent_id": "agent-2"}, ["luis"]),
        ({"assigned_agent_id": "agent-9"}, []),
        ({"assigned_agent_id": "agent-1", "status": PENDING}, ["by-id", "ana"]),
        ({"assigned_agent_id": "agent-1", "status": OPEN}, []),
        ({"assigned_agent_id": "agent-1", "assigned": True}, ["by-id", "ana"]),
        ({"assigned_agent_id": "agent-1", "assigned": False}, []),
        ({"assigned": False, "status": OPEN}, ["nobody"]),
        ({"assigned": False, "status": PENDING}, []),
        ({"assigned": True, "status": OPEN}, ["by-name"]),
        ({"assigned": True, "status": RESOLVED, "bot_paused": True}, ["luis"]),
        ({"assigned": True, "since": T0 + timedelta(minutes=2)}, ["by-id", "by-name", "luis"]),
        ({"status": PENDING, "until": T0 + timedelta(minutes=4)}, ["ana"]),
    ],
)
def test_status_and_assignment_filters_keep_only_the_matching_conversations(
    team_inbox, conditions, expected
):
    assert listed(team_inbox, **conditions) == expected


def test_the_filters_page_with_cursors(team_inbox):
    wanted = ConversationFilter(assigned=True)
    first = team_inbox.queries.conversations(wanted, 3)
    assert first.next_cursor is not None

    rest = team_inbox.queries.conversations(wanted, 3, first.next_cursor)

    assert [c.id for c in [*first.items, *rest.items]] == ["by-id", "by-name", "luis", "ana"]
    assert rest.next_cursor is None


filters = st.builds(
    ConversationFilter,
    status=st.none() | st.sampled_from(ConversationStatus),
    assigned=st.none() | st.booleans(),
    assigned_agent_id=st.none() | st.sampled_from(["agent-7", "agent-8"]),
    bot_paused=st.none() | st.booleans(),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(conversations(), max_size=10, unique_by=lambda c: c.id), filters)
def test_every_backend_filters_as_the_domain_admits(backend, generated, wanted):
    setup = backend(now=T0)
    kept: dict[str, Conversation] = {}
    with setup.deps.unit_of_work() as uow:
        for conversation in generated:
            if uow.conversations.get_or_start(conversation).id == conversation.id:
                kept[conversation.id] = conversation  # not a customer seen before
        uow.commit()

    everything = setup.queries.conversations(ConversationFilter(), 200).items
    matching = setup.queries.conversations(wanted, 200).items

    assert {c.id: c for c in everything} == kept
    assert [c.id for c in matching] == [c.id for c in everything if wanted.admits(c)]
