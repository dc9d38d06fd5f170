"""SQL ConversationRepository: one connection, one transaction (the unit of work's).

Reads that precede a write take row locks (``FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already serialises writers), so two webhooks for one conversation
queue instead of overwriting each other. Uniqueness is left to the database: a duplicate
wamid is an ``INSERT ... ON CONFLICT DO NOTHING`` that inserts nothing, never a
check-then-insert that two connections could both pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, Table, and_, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from crm_whatsapp.adapters.sql.mapping import (
    conversation_from_row,
    conversation_values,
    message_from_row,
    message_values,
    status_from_row,
    status_values,
)
from crm_whatsapp.adapters.sql.schema import Tables
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.errors import ConversationNotFound, MessageNotFound
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.inbound import StatusUpdate
from crm_whatsapp.domain.message import Message


def dialect_insert(table: Table, dialect: str) -> Any:
    """INSERT with the dialect's ON CONFLICT clauses (both have the same API)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


class SqlConversationRepository:
    def __init__(self, connection: Connection, tables: Tables) -> None:
        self._db = connection
        self._t = tables
        self._dialect = connection.dialect.name

    # -- conversations -----------------------------------------------------------------

    def get_or_start(self, new: Conversation) -> Conversation:
        found = self._find_customer(new.business_number_id, new.customer)
        if found is not None:
            return found
        savepoint = self._db.begin_nested()
        try:
            self._db.execute(self._t.conversations.insert(), conversation_values(new))
            for key in new.customer.conversation_keys():
                if self._claim_key(new.business_number_id, key, new.id):
                    continue
                # Someone holds this key: a concurrent first message of the same customer
                # (we waited for their commit), or an older conversation of a number that
                # now belongs to someone else (the newest conversation takes the key).
                owner = self._conversation_with_key(new.business_number_id, key)
                if owner is not None and owner.customer.is_same_customer(new.customer):
                    savepoint.rollback()
                    # Rolling back to the savepoint also released the lock just taken on
                    # the owner: take it again, or another webhook could interleave.
                    return self.get(owner.id)
                self._point_key(new.business_number_id, key, new.id)
        except BaseException:
            if savepoint.is_active:
                savepoint.rollback()
            raise
        savepoint.commit()
        return new

    def get(self, conversation_id: str) -> Conversation:
        c = self._t.conversations
        row = self._one(select(c).where(c.c.id == conversation_id))
        if row is None:
            raise ConversationNotFound(conversation_id)
        return conversation_from_row(row)

    def of_customer(self, customer: CustomerIdentity) -> Sequence[Conversation]:
        c, k = self._t.conversations, self._t.conversation_keys
        ids = select(k.c.conversation_id).where(
            k.c.customer_key.in_(list(customer.conversation_keys()))
        )
        rows = self._db.execute(select(c).where(c.c.id.in_(ids)).order_by(c.c.started_at, c.c.id))
        found = (conversation_from_row(row._mapping) for row in rows)
        return [conv for conv in found if conv.customer.is_same_customer(customer)]

    def save(self, conversation: Conversation) -> None:
        c = self._t.conversations
        values = conversation_values(conversation)
        result = self._db.execute(update(c).where(c.c.id == conversation.id).values(values))
        if result.rowcount == 0:
            raise ConversationNotFound(conversation.id)
        for key in conversation.customer.conversation_keys():
            if not self._claim_key(conversation.business_number_id, key, conversation.id):
                self._point_key(conversation.business_number_id, key, conversation.id)

    # -- messages ----------------------------------------------------------------------

    def add_inbound(self, message: Message) -> bool:
        m = self._t.messages
        statement = (
            dialect_insert(m, self._dialect)
            .values(message_values(message))
            .on_conflict_do_nothing(index_elements=["wamid"])
            .returning(m.c.id)
        )
        try:
            inserted = self._db.execute(statement).first()
        except IntegrityError as exc:
            raise ConversationNotFound(message.conversation_id) from exc
        return inserted is not None

    def add_outbound(self, message: Message) -> None:
        try:
            self._db.execute(self._t.messages.insert(), message_values(message))
        except IntegrityError as exc:
            raise ConversationNotFound(message.conversation_id) from exc

    def update_message(self, message: Message) -> None:
        m = self._t.messages
        result = self._db.execute(
            update(m).where(m.c.id == message.id).values(message_values(message))
        )
        if result.rowcount == 0:
            raise MessageNotFound(message.id)

    def get_message(self, message_id: str) -> Message:
        m = self._t.messages
        row = self._one(select(m).where(m.c.id == message_id))
        if row is None:
            raise MessageNotFound(message_id)
        return message_from_row(row)

    def message_by_wamid(self, wamid: str) -> Message | None:
        m = self._t.messages
        row = self._one(select(m).where(m.c.wamid == wamid))
        return None if row is None else message_from_row(row)

    def due_outbound(self, now: datetime, limit: int) -> Sequence[Message]:
        m = self._t.messages
        statement = (
            select(m)
            .where(
                and_(
                    m.c.delivery_status == DeliveryStatus.PENDING.value,
                    m.c.next_attempt_at <= now,
                )
            )
            .order_by(m.c.next_attempt_at, m.c.id)
            .limit(limit)
        )
        if self._dialect == "postgresql":
            # Several workers: each takes rows nobody else holds, none waits, none doubles.
            statement = statement.with_for_update(skip_locked=True)
        return [message_from_row(row._mapping) for row in self._db.execute(statement)]

    # -- statuses that raced our own send ------------------------------------------------

    def park_status(self, update: StatusUpdate) -> None:
        self._db.execute(self._t.parked_statuses.insert(), status_values(update))

    def take_parked_statuses(self, wamid: str) -> Sequence[StatusUpdate]:
        p = self._t.parked_statuses
        rows = self._db.execute(
            select(p).where(p.c.wamid == wamid).order_by(p.c.id).with_for_update()
        ).all()
        if rows:
            self._db.execute(delete(p).where(p.c.id.in_([row.id for row in rows])))
        return [status_from_row(row._mapping) for row in rows]

    # -- helpers -----------------------------------------------------------------------

    def _one(self, statement: Select[Any]) -> Any:
        """The first row, locked for this transaction."""
        row = self._db.execute(statement.with_for_update()).first()
        return None if row is None else row._mapping

    def _find_customer(
        self, business_number_id: str, customer: CustomerIdentity
    ) -> Conversation | None:
        for key in customer.conversation_keys():
            found = self._conversation_with_key(business_number_id, key)
            if found is not None and found.customer.is_same_customer(customer):
                return found
        return None

    def _conversation_with_key(self, business_number_id: str, key: str) -> Conversation | None:
        c, k = self._t.conversations, self._t.conversation_keys
        row = self._one(
            select(c)
            .join(k, k.c.conversation_id == c.c.id)
            .where(k.c.business_number_id == business_number_id, k.c.customer_key == key)
        )
        return None if row is None else conversation_from_row(row)

    def _claim_key(self, business_number_id: str, key: str, conversation_id: str) -> bool:
        """Insert the key unless it exists (waiting for a concurrent inserter to finish)."""
        k = self._t.conversation_keys
        statement = (
            dialect_insert(k, self._dialect)
            .values(
                business_number_id=business_number_id,
                customer_key=key,
                conversation_id=conversation_id,
            )
            .on_conflict_do_nothing()
            .returning(k.c.conversation_id)
        )
        return self._db.execute(statement).first() is not None

    def _point_key(self, business_number_id: str, key: str, conversation_id: str) -> None:
        k = self._t.conversation_keys
        self._db.execute(
            update(k)
            .where(k.c.business_number_id == business_number_id, k.c.customer_key == key)
            .where(k.c.conversation_id != conversation_id)
            .values(conversation_id=conversation_id)
        )
