"""SQL ConversationRepository: one connection, one transaction (the unit of work's).

Reads that precede a write take row locks (``FOR UPDATE`` on PostgreSQL; SQLite's
``BEGIN IMMEDIATE`` already serialises writers), so two webhooks for one conversation
queue instead of overwriting each other. Uniqueness is left to the database: a duplicate
wamid is an ``INSERT ... ON CONFLICT DO NOTHING`` that inserts nothing, never a
check-then-insert that two connections could both pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    delete,
    func,
    select,
)
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
from crm_whatsapp.adapters.sql.statements import prebuilt_statements
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import StatusUpdate
from crm_whatsapp.domain.errors import ConversationNotFound, MessageNotFound
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.media import MediaStatus, MediaUsage
from crm_whatsapp.domain.message import Message


class SqlConversationRepository:
    def __init__(self, connection: Connection, tables: Tables) -> None:
        self._db = connection
        self._t = tables
        self._dialect = connection.dialect.name
        self._s = prebuilt_statements(tables, self._dialect)
        # (business number, key, conversation) rows known to exist in this transaction, so
        # that saving a conversation found by its key does not write the key again.
        self._known_keys: set[tuple[str, str, str]] = set()
        # What each row holds, as far as this transaction knows (read or written here), so
        # an update writes only the columns that changed: fewer parameters to bind, and
        # SQLite's search trigger (``UPDATE OF search_text``) only fires when text changes.
        self._known_rows: dict[str, Conversation | Message | dict[str, Any]] = {}

    def forget(self) -> None:
        """Drop what this transaction remembers of rows (after a rollback to a savepoint,
        it may describe changes that were undone); the next writes send every column."""
        self._known_keys.clear()
        self._known_rows.clear()

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
        self._known_rows[f"c:{new.id}"] = new
        return new

    def get(self, conversation_id: str) -> Conversation:
        row = self._first(self._s.conversation, {"key_id": conversation_id})
        if row is None:
            raise ConversationNotFound(conversation_id)
        return self._loaded_conversation(row)

    def of_customer(self, customer: CustomerIdentity) -> Sequence[Conversation]:
        c, k = self._t.conversations, self._t.conversation_keys
        ids = select(k.c.conversation_id).where(
            k.c.customer_key.in_(list(customer.conversation_keys()))
        )
        rows = self._db.execute(select(c).where(c.c.id.in_(ids)).order_by(c.c.started_at, c.c.id))
        found = (self._loaded_conversation(row._mapping) for row in rows)
        return [conv for conv in found if conv.customer.is_same_customer(customer)]

    def save(self, conversation: Conversation) -> None:
        if not self._update(
            f"c:{conversation.id}",
            conversation_values(conversation),
            conversation_values,
            self._s.update_conversation,
        ):
            raise ConversationNotFound(conversation.id)
        number = conversation.business_number_id
        for key in conversation.customer.conversation_keys():
            if (number, key, conversation.id) in self._known_keys:
                continue
            if not self._claim_key(number, key, conversation.id):
                self._point_key(number, key, conversation.id)

    # -- messages ----------------------------------------------------------------------

    def add_inbound(self, message: Message) -> bool:
        try:
            values = message_values(message)
            inserted = self._db.execute(self._s.insert_inbound, values).first()
        except IntegrityError as exc:
            raise ConversationNotFound(message.conversation_id) from exc
        if inserted is not None:
            self._known_rows[f"m:{message.id}"] = values
        return inserted is not None

    def add_outbound(self, message: Message) -> None:
        values = message_values(message)
        try:
            self._db.execute(self._t.messages.insert(), values)
        except IntegrityError as exc:
            raise ConversationNotFound(message.conversation_id) from exc
        self._known_rows[f"m:{message.id}"] = values

    def update_message(self, message: Message) -> None:
        if not self._update(
            f"m:{message.id}", message_values(message), message_values, self._s.update_message
        ):
            raise MessageNotFound(message.id)

    def get_message(self, message_id: str) -> Message:
        row = self._first(self._s.message, {"key_id": message_id})
        if row is None:
            raise MessageNotFound(message_id)
        return self._loaded_message(row)

    def get_messages(self, message_ids: Sequence[str]) -> dict[str, Message]:
        rows = self._db.execute(self._s.messages, {"key_ids": list(message_ids)})
        loaded = (self._loaded_message(row._mapping) for row in rows)
        return {message.id: message for message in loaded}

    def get_conversations(self, conversation_ids: Sequence[str]) -> dict[str, Conversation]:
        rows = self._db.execute(self._s.conversations, {"key_ids": list(conversation_ids)})
        loaded = (self._loaded_conversation(row._mapping) for row in rows)
        return {conversation.id: conversation for conversation in loaded}

    def update_messages(self, messages: Sequence[Message]) -> None:
        """One executemany per set of changed columns (a batch of claims changes the same
        three): psycopg pipelines it, instead of a round trip per message."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        written: list[tuple[str, dict[str, Any]]] = []
        for message in messages:
            key = f"m:{message.id}"
            values = message_values(message)
            known = self._known_rows.get(key)
            if known is None or isinstance(known, Conversation):
                self.update_message(message)
                continue
            before = known if isinstance(known, dict) else message_values(known)
            changes = {name: v for name, v in values.items() if before.get(name) != v}
            if changes:
                groups.setdefault(tuple(sorted(changes)), []).append(
                    {**changes, "key_id": message.id}
                )
            written.append((key, values))
        for rows in groups.values():
            self._db.execute(self._s.update_message, rows)
        for key, values in written:
            self._known_rows[key] = values

    def message_by_wamid(self, wamid: str) -> Message | None:
        row = self._first(self._s.message_by_wamid, {"key_wamid": wamid})
        return None if row is None else self._loaded_message(row)

    def due_outbound(self, now: datetime, limit: int) -> Sequence[Message]:
        rows = self._db.execute(self._s.due, {"key_now": now, "key_limit": limit})
        return [self._loaded_message(row._mapping) for row in rows]

    # -- media files ---------------------------------------------------------------------

    def due_media(self, now: datetime, limit: int) -> Sequence[Message]:
        rows = self._db.execute(self._s.media_due, {"key_now": now, "key_limit": limit})
        return [self._loaded_message(row._mapping) for row in rows]

    def stored_media_older_than(self, before: datetime, limit: int) -> Sequence[Message]:
        m = self._t.messages
        statement = (
            select(m)
            .where(m.c.media_status == MediaStatus.STORED.value, m.c.created_at < before)
            .order_by(m.c.created_at, m.c.id)
            .limit(limit)
            .with_for_update()
        )
        return [self._loaded_message(row._mapping) for row in self._db.execute(statement)]

    def media_in_use(self, digests: Sequence[str]) -> set[str]:
        if not digests:
            return set()
        m = self._t.messages
        wanted = list(digests)
        kept = select(m.c.media_sha256).where(
            m.c.media_sha256.in_(wanted), m.c.media_status == MediaStatus.STORED.value
        )
        coming = select(m.c.media_announced_sha256).where(
            m.c.media_announced_sha256.in_(wanted),
            m.c.media_status == MediaStatus.PENDING.value,
        )
        return {row[0] for row in self._db.execute(kept.union(coming))}

    def media_usage_older_than(
        self, before: datetime, after: str | None, limit: int
    ) -> Sequence[MediaUsage]:
        m = self._t.messages
        stored = m.c.media_status == MediaStatus.STORED.value
        page = (
            select(m.c.media_sha256, func.count())
            .where(stored, m.c.created_at < before, m.c.media_sha256.is_not(None))
            .group_by(m.c.media_sha256)
            .order_by(m.c.media_sha256)
            .limit(limit)
        )
        if after is not None:
            page = page.where(m.c.media_sha256 > after)
        counts = {row[0]: int(row[1]) for row in self._db.execute(page)}
        if not counts:
            return []
        newer = select(m.c.media_sha256).where(
            m.c.media_sha256.in_(list(counts)), stored, m.c.created_at >= before
        )
        kept = {row[0] for row in self._db.execute(newer.distinct())}
        return [MediaUsage(digest, counts[digest], digest in kept) for digest in counts]

    # -- statuses that raced our own send ------------------------------------------------

    def park_status(self, update: StatusUpdate) -> None:
        self._db.execute(self._t.parked_statuses.insert(), status_values(update))

    def take_parked_statuses(self, wamid: str) -> Sequence[StatusUpdate]:
        return self.take_parked_statuses_of([wamid]).get(wamid, [])

    def take_parked_statuses_of(self, wamids: Sequence[str]) -> dict[str, list[StatusUpdate]]:
        if not wamids:
            return {}
        p = self._t.parked_statuses
        rows = self._db.execute(self._s.parked, {"key_wamids": list(wamids)}).all()
        if rows:
            self._db.execute(delete(p).where(p.c.id.in_([row.id for row in rows])))
        taken: dict[str, list[StatusUpdate]] = {}
        for row in rows:
            taken.setdefault(row.wamid, []).append(status_from_row(row._mapping))
        return taken

    # -- helpers -----------------------------------------------------------------------

    def _loaded_message(self, row: Any) -> Message:
        message = message_from_row(row)
        self._known_rows[f"m:{message.id}"] = message
        return message

    def _loaded_conversation(self, row: Any) -> Conversation:
        conversation = conversation_from_row(row)
        self._known_rows[f"c:{conversation.id}"] = conversation
        return conversation

    def _update(
        self,
        key: str,
        values: dict[str, Any],
        to_values: Callable[[Any], dict[str, Any]],
        statement: Any,
    ) -> bool:
        """Write the columns that differ from what the row holds (all of them if this
        transaction has not seen the row); False if there is no such row."""
        known = self._known_rows.get(key)
        changes = values
        if known is not None:
            before = known if isinstance(known, dict) else to_values(known)
            changes = {name: value for name, value in values.items() if before.get(name) != value}
        if changes:
            result = self._db.execute(statement, {**changes, "key_id": values["id"]})
            if result.rowcount == 0:
                return False
        self._known_rows[key] = values
        return True

    def _first(self, statement: Select[Any], parameters: dict[str, Any]) -> Any:
        """The first row of a prebuilt (already locking) statement."""
        row = self._db.execute(statement, parameters).first()
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
        row = self._first(
            self._s.conversation_with_key,
            {"key_number": business_number_id, "key_customer": key},
        )
        if row is None:
            return None
        conversation = self._loaded_conversation(row)
        self._known_keys.add((business_number_id, key, conversation.id))
        return conversation

    def _claim_key(self, business_number_id: str, key: str, conversation_id: str) -> bool:
        """Insert the key unless it exists (waiting for a concurrent inserter to finish)."""
        values = {
            "business_number_id": business_number_id,
            "customer_key": key,
            "conversation_id": conversation_id,
        }
        claimed = self._db.execute(self._s.claim_key, values).first() is not None
        if claimed:
            self._known_keys.add((business_number_id, key, conversation_id))
        return claimed

    def _point_key(self, business_number_id: str, key: str, conversation_id: str) -> None:
        self._db.execute(
            self._s.point_key,
            {
                "key_number": business_number_id,
                "key_customer": key,
                "key_conversation": conversation_id,
            },
        )
        self._known_keys.add((business_number_id, key, conversation_id))
