"""The dashboard's figures agree with each other for any history of conversations, and every
backend's figures equal the reference computation (``compute_statistics``)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_whatsapp.domain.delivery import DeliveryStatus, StatusUpdate
from crm_whatsapp.domain.errors import GatewayError
from crm_whatsapp.domain.statistics import compute_statistics
from crm_whatsapp.domain.use_cases import receive_inbound, record_status_update, send_due_outbound
from crm_whatsapp.testing import NOW, message_texts, text_from

customers = st.sampled_from(["5215512345678", "5491123456789", "5511987654321", "34612345678"])
steps = st.lists(
    st.tuples(customers, message_texts(), st.integers(0, 6 * 3600), st.booleans()),
    min_size=1,
    max_size=15,
)
zones = st.sampled_from(["UTC", "America/Mexico_City", "Asia/Kolkata", "Pacific/Chatham"])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps, st.lists(st.sampled_from(list(DeliveryStatus)[1:]), max_size=15), zones, st.data())
def test_the_figures_add_up_for_any_history(
    backend,
    plan: list[tuple[str, str, int, bool]],
    statuses: list[DeliveryStatus],
    zone: str,
    data: st.DataObject,
) -> None:
    setup = backend(now=NOW)
    for wa_id, text, gap, send_fails in plan:
        now = setup.clock.advance(timedelta(seconds=gap))
        receive_inbound(setup.deps, text_from(wa_id, text, now))
        if send_fails:
            setup.gateway.fail_next(GatewayError("no", retryable=False, error_code="131026"))
        asyncio.run(send_due_outbound(setup.deps, setup.gateway))
    for sent, status in zip(setup.gateway.sent, statuses, strict=False):
        record_status_update(setup.deps, StatusUpdate(sent.wamid, status, setup.clock.now()))

    stats = setup.queries.statistics(None, None, zone)
    stored = setup.snapshot()
    messages = list(stored.messages.values())
    conversations = list(stored.conversations.values())
    assert stats == compute_statistics(conversations, messages, None, None, zone)

    assert stats.inbound_messages + stats.outbound_messages == len(messages)
    assert stats.bot_messages + stats.agent_messages == stats.outbound_messages
    assert sum(d.inbound for d in stats.messages_per_day) == stats.inbound_messages
    assert sum(d.outbound for d in stats.messages_per_day) == stats.outbound_messages
    assert sum(map(sum, stats.heatmap)) == stats.inbound_messages
    assert stats.linked_conversations + stats.unlinked_conversations == stats.conversations
    assert stats.customers <= stats.conversations
    assert stats.bot_replies <= stats.inbound_messages
    assert stats.bot_replies == stats.bot_messages
    assert sum(stats.failed_sends.values()) <= stats.outbound_messages
    for rate in (stats.delivery_rate, stats.read_rate):
        assert rate is None or 0 <= rate <= 1
    if stats.delivery_rate is not None and stats.read_rate is not None:
        assert stats.read_rate <= stats.delivery_rate
    assert stats.first_response_bot.count <= stats.conversations
    median, p90 = stats.first_response_bot.median_seconds, stats.first_response_bot.p90_seconds
    assert (median is None) == (p90 is None)
    if median is not None and p90 is not None:
        assert 0 <= median <= p90

    split = NOW + timedelta(seconds=data.draw(st.integers(0, 15 * 6 * 3600)))
    before = setup.queries.statistics(None, split, zone)
    after = setup.queries.statistics(split, None, zone)
    assert before == compute_statistics(conversations, messages, None, split, zone)
    assert after == compute_statistics(conversations, messages, split, None, zone)
    assert before.inbound_messages + after.inbound_messages == stats.inbound_messages
    assert before.outbound_messages + after.outbound_messages == stats.outbound_messages
