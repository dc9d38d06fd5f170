"""domain_without_http.py runs, prints its story, and leaves it stored in SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_whatsapp.adapters.sql import Database, SqlConversationQueries
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.message import Author, Direction
from crm_whatsapp.domain.queries import ConversationFilter
from examples.domain_without_http import main


def test_the_host_drives_the_use_cases_without_http(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    main(url)

    assert capsys.readouterr().out.splitlines() == [
        "bot: ¡Hola Ana López! Gracias por escribirnos. ¿En qué podemos ayudarte?",
        "bot while Laura answers: bot_paused",
        "sent: 2 to 5215512345678",
        "Ana López: bot paused False",
        "messages: 2 in, 1 bot, 1 agent",
    ]

    database = Database(url)
    try:
        queries = SqlConversationQueries(database)
        [conversation] = queries.conversations(ConversationFilter(), limit=10).items
        assert isinstance(conversation, Conversation)
        assert (conversation.client_id, conversation.client_name) == ("7", "Ana López")
        assert conversation.assigned_agent is None
        messages = queries.messages(conversation.id, limit=10).items
        outbound = [m for m in reversed(messages) if m.direction is Direction.OUTBOUND]
        assert [m.author for m in outbound] == [Author.bot(), Author.agent("Laura")]
        assert all(m.delivery_status is DeliveryStatus.SENT and m.wamid for m in outbound)
    finally:
        database.dispose()
