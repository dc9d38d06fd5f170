"""The canned responses' table: one row per ``CannedResponse``.

``shortcut_key`` (``domain.canned_responses.shortcut_key``: lower case, accents dropped) is
under a unique index, so two responses cannot share a shortcut on any backend, however
concurrently they are saved. ``search_text`` holds the response's words as a search
compares them; the team keeps tens or hundreds of responses, so a search reads them all.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, String, Table, Text

from crm_whatsapp.adapters.sql.schema_types import UtcDateTime


def build_canned_responses_table(prefix: str, md: MetaData) -> Table:
    p = prefix
    return Table(
        f"{p}canned_responses",
        md,
        Column("id", String(64), primary_key=True),
        Column("shortcut", String(32), nullable=False, comment="as typed after /, lower case"),
        Column("shortcut_key", Text, nullable=False, comment="shortcut_key: case and accents out"),
        Column("title", Text, nullable=False),
        Column("text", Text, nullable=False),
        Column("search_text", Text, nullable=False, comment="shortcut, title and text, normalized"),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("updated_at", UtcDateTime(), nullable=False),
        Column("created_by_kind", String(16), nullable=False, comment="agent | service | system"),
        Column("created_by_id", Text, comment="the host CRM's id of an agent (a token's sub)"),
        Column("created_by_name", Text, nullable=False),
        Column("created_by_on_behalf_of", Text, comment="the agent a service token acted for"),
        Index(f"ux_{p}canned_responses_shortcut", "shortcut_key", unique=True),
        comment="the team's canned responses (respuestas rápidas), found by their shortcut",
    )
