"""The verification of agent tokens as a unit: what it accepts, and that remembering a
verified token never outlives the token."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from crm_whatsapp.adapters.http.agent_tokens import AgentTokenRefused, AgentTokens
from crm_whatsapp.domain.access import Scope

SECRET = b"unit-test-agent-token-secret-0123456789abcd"


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    tokens = AgentTokens(SECRET, leeway_seconds=0)
    token = tokens.mint("laura", "Laura", lifetime=timedelta(seconds=2))
    assert tokens.verify(token).actor.id == "laura"
    assert tokens.verify(token).actor.id == "laura"  # from memory
    time.sleep(2.2)
    with pytest.raises(AgentTokenRefused, match="expired"):
        tokens.verify(token)


def test_a_token_from_another_secret_is_refused_even_beside_remembered_ones() -> None:
    ours, theirs = AgentTokens(SECRET), AgentTokens(b"x" * 48)
    token = theirs.mint("laura", "Laura", scopes={Scope.READ, Scope.REPLY, Scope.MANAGE})
    assert theirs.verify(token).allows(Scope.MANAGE)
    with pytest.raises(AgentTokenRefused, match="signature"):
        ours.verify(token)


def test_memory_is_bounded() -> None:
    tokens = AgentTokens(SECRET)
    tokens.verified._size = 3
    minted = [tokens.mint(f"agent-{n}", "Agente") for n in range(5)]
    for token in minted:
        tokens.verify(token)
    assert len(tokens.verified._entries) == 3
    assert tokens.verify(minted[0]).actor.id == "agent-0"  # verified again, not lost
