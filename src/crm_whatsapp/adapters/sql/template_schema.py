"""The template catalogue's tables: the synced copy of Meta's templates, and when the last
complete sync finished.

One row per template and language, keyed as Meta keys them (name, language). What forms
filter on (status, category) are columns; what a form shows and a send checks (texts,
header, buttons, placeholders) is one JSON ``definition`` in our own shape (see
``template_mapping``), read whole with the row. The sync marker is a table of one row, so
it is written in the sync's own transaction. Meta's words (status, category, quality) are
``Text``: Meta adds statuses, and one longer than a column must never fail a webhook.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Column, Index, MetaData, String, Table, Text

from crm_whatsapp.adapters.sql.schema_types import Json, UtcDateTime

SYNC_ROW = "catalogue"
"""The id of the sync marker's one row."""


@dataclass(frozen=True)
class TemplateTables:
    templates: Table
    sync: Table


def build_template_tables(prefix: str, md: MetaData) -> TemplateTables:
    p = prefix
    templates = Table(
        f"{p}templates",
        md,
        Column("name", String(512), primary_key=True),
        Column("language", String(32), primary_key=True),
        Column("status", Text, nullable=False, comment="APPROVED, PENDING… as Meta says"),
        Column("category", Text, nullable=False),
        Column("parameter_format", String(16), nullable=False, comment="positional | named"),
        Column("meta_id", Text, comment="Meta's id of the template"),
        Column("quality", Text),
        Column("reason", Text, comment="why Meta rejected, paused or disabled it"),
        Column("updated_at", UtcDateTime()),
        Column("definition", Json, nullable=False, comment="body, header, footer, buttons…"),
        Index(f"ix_{p}templates_status", "status"),
        comment="the synced copy of Meta's template catalogue",
    )
    sync = Table(
        f"{p}template_sync",
        md,
        Column("id", String(16), primary_key=True, comment=f"always '{SYNC_ROW}'"),
        Column("synced_at", UtcDateTime(), nullable=False),
        comment="when the last complete sync of the template catalogue finished",
    )
    return TemplateTables(templates, sync)
