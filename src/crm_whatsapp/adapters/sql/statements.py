"""The repository's hot-path statements, built once per table set and dialect."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crm_whatsapp.adapters.sql.schema import Tables
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.media import MediaStatus


def dialect_insert(table: Table, dialect: str) -> Any:
    """INSERT with the dialect's ON CONFLICT clauses (both have the same API)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class _Statements:
    """The hot path's statements, built once per table set and dialect.

    A statement built per call pays for construction and cache-key generation every time
    (a third of a webhook's CPU); a prebuilt one is compiled once and then only bound.
    """

    def __init__(self, t: Tables, dialect: str) -> None:
        c, k, m = t.conversations, t.conversation_keys, t.messages
        self.insert_inbound = (
            dialect_insert(m, dialect)
            .on_conflict_do_nothing(index_elements=["wamid"])
            .returning(m.c.id)
        )
        self.update_message = update(m).where(m.c.id == bindparam("key_id"))
        self.update_conversation = update(c).where(c.c.id == bindparam("key_id"))
        self.conversation = select(c).where(c.c.id == bindparam("key_id")).with_for_update()
        self.message = select(m).where(m.c.id == bindparam("key_id")).with_for_update()
        self.messages = (
            select(m).where(m.c.id.in_(bindparam("key_ids", expanding=True))).with_for_update()
        )
        self.conversations = (
            select(c).where(c.c.id.in_(bindparam("key_ids", expanding=True))).with_for_update()
        )
        self.message_by_wamid = (
            select(m).where(m.c.wamid == bindparam("key_wamid")).with_for_update()
        )
        self.conversation_with_key = (
            select(c)
            .join(k, k.c.conversation_id == c.c.id)
            .where(
                k.c.business_number_id == bindparam("key_number"),
                k.c.customer_key == bindparam("key_customer"),
            )
            .with_for_update()
        )
        self.claim_key = (
            dialect_insert(k, dialect).on_conflict_do_nothing().returning(k.c.conversation_id)
        )
        p = t.parked_statuses
        self.parked = (
            select(p)
            .where(p.c.wamid.in_(bindparam("key_wamids", expanding=True)))
            .order_by(p.c.id)
            .with_for_update()
        )
        pending = DeliveryStatus.PENDING.value
        ahead = m.alias("ahead")  # a message queued before it in the same conversation
        waits_its_turn = (
            select(ahead.c.id)
            .where(
                ahead.c.conversation_id == m.c.conversation_id,
                ahead.c.delivery_status == pending,
                or_(
                    ahead.c.created_at < m.c.created_at,
                    and_(ahead.c.created_at == m.c.created_at, ahead.c.id < m.c.id),
                ),
            )
            .exists()
        )
        due = (
            select(m)
            .where(
                m.c.delivery_status == pending,
                m.c.next_attempt_at <= bindparam("key_now"),
                ~waits_its_turn,
            )
            .order_by(m.c.next_attempt_at, m.c.id)
            .limit(bindparam("key_limit"))
        )
        # Several workers: each takes rows nobody else holds, none waits, none doubles.
        self.due = due.with_for_update(skip_locked=True) if dialect == "postgresql" else due
        media_due = (
            select(m)
            .where(
                m.c.media_status == MediaStatus.PENDING.value,
                m.c.media_next_attempt_at <= bindparam("key_now"),
            )
            .order_by(m.c.media_next_attempt_at, m.c.id)
            .limit(bindparam("key_limit"))
        )
        self.media_due = (
            media_due.with_for_update(skip_locked=True) if dialect == "postgresql" else media_due
        )
        self.point_key = (
            update(k)
            .where(
                k.c.business_number_id == bindparam("key_number"),
                k.c.customer_key == bindparam("key_customer"),
                k.c.conversation_id != bindparam("key_conversation"),
            )
            .values(conversation_id=bindparam("key_conversation"))
        )


@functools.lru_cache(maxsize=64)
def prebuilt_statements(tables: Tables, dialect: str) -> _Statements:
    return _Statements(tables, dialect)
