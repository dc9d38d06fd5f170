"""The ingest tables: raw deliveries, the quarantine, and channel events.

``deliveries`` is the webhook's journal: the body exactly as Meta signed it, appended before
the 200 and read afterwards by the processor. Its id is an autoincrementing integer, so
"oldest first" is the primary key's order and an append is one insert into the end of one
index. Processed rows keep ``processed_at`` and are pruned after a while.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from crm_whatsapp.adapters.sql.schema_types import UtcDateTime

# SQLite only makes INTEGER PRIMARY KEY an alias of its rowid (autoincrementing, cheap).
DeliveryId = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class IngestTables:
    deliveries: Table
    quarantine: Table
    channel_events: Table


def build_ingest_tables(prefix: str, md: MetaData) -> IngestTables:
    p = prefix
    deliveries = Table(
        f"{p}deliveries",
        md,
        Column("id", DeliveryId, primary_key=True, autoincrement=True),
        Column("received_at", UtcDateTime(), nullable=False),
        Column("body", LargeBinary, nullable=False, comment="the POST body as signed"),
        Column("processed_at", UtcDateTime(), comment="null: still to read"),
        Index(
            f"ix_{p}deliveries_unprocessed",
            "id",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
        Index(f"ix_{p}deliveries_processed", "processed_at"),
        comment="webhook bodies, stored before the 200 and read by the processor",
    )
    quarantine = Table(
        f"{p}quarantine",
        md,
        Column("id", String(64), primary_key=True),
        Column("delivery_id", BigInteger, comment="the delivery it came from (may be pruned)"),
        Column("location", Text, nullable=False, comment="its place in the body"),
        Column("reason", Text, nullable=False),
        Column("raw", Text, nullable=False, comment="the item's JSON as received"),
        Column("replay_body", LargeBinary, nullable=False, comment="a body with this item only"),
        Column("field", String(128)),
        Column("business_number_id", String(64)),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("state", String(16), nullable=False, comment="open | replayed"),
        Column("attempts", Integer, nullable=False, default=0),
        Column("replayed_at", UtcDateTime()),
        Index(f"ix_{p}quarantine_state", "state", "id"),
        comment="parts of signed deliveries that could not be understood",
    )
    channel_events = Table(
        f"{p}channel_events",
        md,
        Column("id", String(64), primary_key=True),
        Column("field", String(128), nullable=False),
        Column("kind", String(32), nullable=False),
        Column("summary", Text, nullable=False),
        Column("payload", Text, nullable=False, comment="the change's value as received"),
        Column("account_id", String(64)),
        Column("business_number_id", String(64)),
        Column("received_at", UtcDateTime(), nullable=False),
        Index(f"ix_{p}channel_events_kind", "kind", "received_at"),
        Index(f"ix_{p}channel_events_received", "received_at", "id"),
        comment="template status, account alerts, quality and fields we do not handle",
    )
    return IngestTables(deliveries, quarantine, channel_events)
