"""What the widget's browser tests share: a demo that accepts agent tokens, the tokens a
host CRM would mint for a client's page, and conversations linked to a client.

The widget is meant to run with an agent token confined to its client, minted per page
view by the CRM's backend (docs/inbox.md, "The client widget"), so these tests start the
demo with an agent token secret and mint such tokens, as the CRM would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from browser_kit import API, DemoService, new_wa_id, start_demo

from crm_whatsapp.adapters.http.agent_tokens import AgentTokens
from crm_whatsapp.domain.access import Scope

AGENT_SECRET = "browser-widget-agent-secret-5f0e-8b1c-27d4-9a63"
AGENT_ID = "42"
AGENT_NAME = "Ana López"
READ_REPLY = frozenset({Scope.READ, Scope.REPLY})


def start_agent_demo(tmp_path: Path, **env: str) -> DemoService:
    """The demo, accepting agent tokens signed with ``AGENT_SECRET`` (and no leeway past a
    token's expiry, so that an expired token is refused at once); ``env`` adds settings."""
    return start_demo(
        tmp_path,
        "--no-stream",
        env={
            "CRM_WHATSAPP_AGENT_TOKEN_SECRET": AGENT_SECRET,
            "CRM_WHATSAPP_AGENT_TOKEN_LEEWAY_SECONDS": "0",
            **env,
        },
    )


def client_token(
    client_id: str,
    *,
    lifetime: timedelta = timedelta(minutes=30),
    issued: datetime | None = None,
    secret: str = AGENT_SECRET,
) -> str:
    """What the CRM's backend mints for one page view: the agent, ``read reply``, one client."""
    return AgentTokens(secret.encode()).mint(
        AGENT_ID,
        AGENT_NAME,
        scopes=READ_REPLY,
        client_id=client_id,
        lifetime=lifetime,
        now=issued or datetime.now(UTC),
    )


def expired_client_token(client_id: str) -> str:
    """A token of a page viewed two hours ago, which lived one hour."""
    return client_token(
        client_id, lifetime=timedelta(hours=1), issued=datetime.now(UTC) - timedelta(hours=2)
    )


def linked_conversation(demo: DemoService, client_id: str, text: str) -> tuple[str, str]:
    """A new customer writes; the CRM links the conversation to ``client_id`` (with the
    service token, server to server). The conversation's id and the customer's number."""
    wa_id = new_wa_id()
    demo.customer_writes(wa_id, text, profile_name="Widget")
    conversation_id: str = demo.conversation_of(wa_id)["id"]
    answer = demo.http.put(f"{API}/{conversation_id}/cliente", json={"client_id": client_id})
    answer.raise_for_status()
    return conversation_id, wa_id


def authors_and_actors(demo: DemoService, conversation_id: str, text: str) -> tuple[Any, Any]:
    """The author of the outbound message ``text`` and the actor of its ``reply`` entry in
    the conversation's activity, as the API reports them to the CRM's backend."""
    message = next(m for m in demo.messages(conversation_id) if m.get("text") == text)
    activity = demo.api(f"/{conversation_id}/actividad", limit=200)["items"]
    replies = [a for a in activity if a["details"].get("message_id") == message["id"]]
    assert len(replies) == 1, activity
    return message["author"], replies[0]["actor"]
