"""The in-memory unit of work is all or nothing, like a database transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from crm_whatsapp.adapters.memory import InMemoryStore, build_in_memory
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import DeliveryStatus, StatusUpdate
from crm_whatsapp.domain.identity import ClientMatch, ClientRef, CustomerIdentity
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.use_cases import receive_inbound
from crm_whatsapp.testing import text_from

T0 = datetime(2026, 3, 10, 15, tzinfo=UTC)


def committed(store: InMemoryStore) -> tuple[object, ...]:
    state = store.snapshot()
    return (
        state.conversations,
        state.messages,
        state.message_ids_by_wamid,
        state.parked_statuses,
        state.conversation_ids_by_customer,
        state.pending_message_ids,
    )


def test_leaving_without_commit_undoes_every_change_including_the_indexes() -> None:
    setup = build_in_memory(now=T0)
    receive_inbound(setup.deps, text_from("5215512345678", "hola", T0))
    before = committed(setup.store)

    with setup.store.unit_of_work() as uow:
        repo = uow.conversations
        new = Conversation.start("c-new", "1", CustomerIdentity.from_wa_id("5491122334455"), T0)
        repo.get_or_start(new)
        existing = next(iter(setup.store.state.conversations.values()))
        repo.save(existing.marked_read())
        repo.park_status(StatusUpdate("wamid.x", DeliveryStatus.READ, T0))
        pending = next(m for m in setup.store.state.messages.values() if not m.is_inbound)
        repo.update_message(pending.sent_as("wamid.out", T0))
        repo.take_parked_statuses("wamid.x")

    assert committed(setup.store) == before


class ExplodingLookup:
    """A CRM lookup with a bug of its own: not one of our errors."""

    def by_phone(self, phone: PhoneNumber) -> ClientMatch:
        raise RuntimeError("bug in the host CRM")

    def by_id(self, client_id: str) -> ClientRef | None:
        return None

    def search(self, text: str, limit: int = 20) -> list[ClientRef]:
        return []


def test_a_use_case_that_crashes_half_way_leaves_nothing_behind() -> None:
    setup = build_in_memory(now=T0)
    deps = replace(setup.deps, clients=ExplodingLookup())
    with pytest.raises(RuntimeError, match="host CRM"):
        receive_inbound(deps, text_from("5215512345678", "hola", T0, wamid="wamid.1"))
    assert setup.store.snapshot().messages == {}
    assert setup.store.snapshot().conversations == {}

    outcome = receive_inbound(setup.deps, text_from("5215512345678", "hola", T0, wamid="wamid.1"))
    assert not outcome.duplicate


def test_units_of_work_after_a_commit_see_its_changes() -> None:
    setup = build_in_memory(now=T0)
    outcome = receive_inbound(setup.deps, text_from("5215512345678", "hola", T0))
    with setup.store.unit_of_work() as uow:
        assert uow.conversations.get(outcome.conversation_id or "").id == outcome.conversation_id
    assert setup.store.commits == 1
