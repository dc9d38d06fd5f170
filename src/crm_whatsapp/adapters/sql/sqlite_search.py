"""Substring search in messages on SQLite: an FTS5 trigram index kept by triggers.

PostgreSQL answers ``search_text LIKE '%word%'`` through a ``pg_trgm`` index. SQLite's
equivalent is an FTS5 table with the ``trigram`` tokenizer (SQLite 3.34+), which answers
the same ``LIKE`` from its index. It is an *external content* table over the messages
table (it stores only the index, keyed by the messages' rowid), kept in step by triggers,
so every writer, ours or a host's script, keeps it right.

SQLite's ``VACUUM`` may renumber the rowids of a table without an ``INTEGER PRIMARY KEY``;
after a ``VACUUM`` run ``rebuild_search_index(database)`` (``maintenance.py``, or
``crm-whatsapp db rebuild-search``) to re-read the messages.
"""

from __future__ import annotations

from sqlalchemy import Connection

from crm_whatsapp.adapters.sql.schema import search_table_name


def create_statements(prefix: str) -> list[str]:
    messages, search = f"{prefix}messages", search_table_name(prefix)
    return [
        f"CREATE VIRTUAL TABLE {search} USING fts5("
        f"search_text, content='{messages}', content_rowid='rowid', tokenize='trigram')",
        f"CREATE TRIGGER {search}_insert AFTER INSERT ON {messages} "
        f"WHEN new.search_text IS NOT NULL BEGIN "
        f"INSERT INTO {search}(rowid, search_text) VALUES (new.rowid, new.search_text); END",
        f"CREATE TRIGGER {search}_delete AFTER DELETE ON {messages} "
        f"WHEN old.search_text IS NOT NULL BEGIN "
        f"INSERT INTO {search}({search}, rowid, search_text) "
        f"VALUES ('delete', old.rowid, old.search_text); END",
        # Status updates rewrite every column with the same text: only a real change of the
        # text touches the index.
        f"CREATE TRIGGER {search}_update AFTER UPDATE OF search_text ON {messages} "
        f"WHEN old.search_text IS NOT new.search_text BEGIN "
        f"INSERT INTO {search}({search}, rowid, search_text) "
        f"SELECT 'delete', old.rowid, old.search_text WHERE old.search_text IS NOT NULL; "
        f"INSERT INTO {search}(rowid, search_text) "
        f"SELECT new.rowid, new.search_text WHERE new.search_text IS NOT NULL; END",
    ]


def drop_statements(prefix: str) -> list[str]:
    search = search_table_name(prefix)
    return [
        f"DROP TRIGGER IF EXISTS {search}_update",
        f"DROP TRIGGER IF EXISTS {search}_delete",
        f"DROP TRIGGER IF EXISTS {search}_insert",
        f"DROP TABLE IF EXISTS {search}",
    ]


def create_search_index(connection: Connection, prefix: str) -> None:
    for statement in create_statements(prefix):
        connection.exec_driver_sql(statement)
