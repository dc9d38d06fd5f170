"""The activity log's table: who changed what in a conversation, and when.

One row per ``Activity``; the actor is spread over four columns (kind, id, name, on whose
behalf) so that "everything Ana did" stays a plain query, and the entry's details are one
JSON object. Rows are only ever inserted; a conversation's log is read newest first, a
page at a time, by a keyset seek on (conversation, at, id).
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKey, Index, MetaData, String, Table, Text
from sqlalchemy.dialects.postgresql import JSONB

from crm_whatsapp.adapters.sql.schema_types import UtcDateTime

ActivityJson = JSON().with_variant(JSONB(), "postgresql")


def build_activity_table(prefix: str, md: MetaData) -> Table:
    p = prefix
    return Table(
        f"{p}activity",
        md,
        Column("id", String(64), primary_key=True),
        Column(
            "conversation_id",
            String(64),
            ForeignKey(f"{p}conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        Column("at", UtcDateTime(), nullable=False),
        Column("kind", String(32), nullable=False, comment="ActivityKind"),
        Column("actor_kind", String(16), nullable=False, comment="agent | service | system"),
        Column("actor_id", Text, comment="the host CRM's id of an agent (a token's sub)"),
        Column("actor_name", Text, nullable=False),
        Column("on_behalf_of", Text, comment="the agent a service token acts for"),
        Column("details", ActivityJson, nullable=False),
        Index(f"ix_{p}activity_conversation", "conversation_id", "at", "id"),
        comment="every change a person or the system made to a conversation, appended only",
    )
