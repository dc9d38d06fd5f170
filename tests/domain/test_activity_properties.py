"""DESIGN.md: "Every action has an actor and is recorded with it; an agent token sees only
its scope." For any sequence of team actions by any actors, the log holds exactly the
changes made, each with the actor who made it; a confined access lists nothing of other
clients; and the operation table lets a token through only with the scope it names."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.requests import Request

from crm_whatsapp.adapters.http.agent_tokens import AgentTokens
from crm_whatsapp.adapters.http.auth import Authenticator, BearerTokens, FailedAuthThrottle
from crm_whatsapp.adapters.http.callers import confined_filter
from crm_whatsapp.adapters.http.context import ApiContext
from crm_whatsapp.adapters.http.endpoint import authorize
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.adapters.http.routes import OPERATIONS
from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.domain.access import Access, Actor, ActorKind, Scope
from crm_whatsapp.domain.activity import ActivityKind
from crm_whatsapp.domain.conversation import ConversationStatus
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.queries import ConversationFilter
from crm_whatsapp.domain.use_cases import (
    agent_reply,
    give_back_to_bot,
    link_client,
    mark_read,
    receive_inbound,
    take_over,
    unlink_client,
)
from crm_whatsapp.domain.use_cases.team import Assignee, add_note, assign, set_status
from crm_whatsapp.testing import NOW
from crm_whatsapp.testing.builders import text_from

WA_ID = "5215512345678"
CLIENTS = [ClientRef("C-1", "Ana"), ClientRef("C-2", "Beto")]
SECRET = b"a-secret-of-at-least-thirty-two-bytes!!"

actors = st.one_of(
    st.builds(
        Actor.agent,
        st.sampled_from(["laura", "pedro", "ana-7"]),
        st.sampled_from(["Laura", "Pedro Pérez", "Ana"]),
    ),
    st.builds(Actor.service, st.none() | st.sampled_from(["Marta", "Luis"])),
)


@dataclass(frozen=True)
class Step:
    name: str
    act: Callable[[Any, str, Actor], object]
    kind: ActivityKind | None
    """The entry it must leave; None when it may leave none (nothing changed)."""


def _assign_someone(deps: Any, cid: str, actor: Actor) -> object:
    return assign(deps, cid, Assignee("Pedro", "pedro"), actor)


STEPS = [
    Step("reply", lambda d, c, a: agent_reply(d, c, a, text="Hola"), ActivityKind.REPLY),
    Step("assign", _assign_someone, ActivityKind.ASSIGN),
    Step("unassign", lambda d, c, a: assign(d, c, None, a), ActivityKind.ASSIGN),
    Step(
        "resolve",
        lambda d, c, a: set_status(d, c, ConversationStatus.RESOLVED, a),
        ActivityKind.STATUS,
    ),
    Step(
        "pending",
        lambda d, c, a: set_status(d, c, ConversationStatus.PENDING, a),
        ActivityKind.STATUS,
    ),
    Step("note", lambda d, c, a: add_note(d, c, "nota", a), ActivityKind.NOTE),
    Step("link", lambda d, c, a: link_client(d, c, "C-1", a), ActivityKind.LINK),
    Step("unlink", unlink_client, ActivityKind.UNLINK),
    Step("give back", give_back_to_bot, ActivityKind.GIVE_BACK),
    Step("read", mark_read, None),
]


def _take_over(deps: Any, cid: str, actor: Actor) -> object:
    return take_over(deps, cid, actor)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([*STEPS, "take over"]), actors), max_size=12))
def test_every_action_is_logged_once_with_the_actor_who_made_it(
    plan: list[tuple[Step | str, Actor]],
) -> None:
    memory = build_in_memory(clients=[(c, []) for c in CLIENTS], now=NOW)
    outcome = receive_inbound(memory.deps, text_from(WA_ID, "Hola", NOW))
    cid = outcome.conversation_id
    assert cid is not None
    expected: list[tuple[ActivityKind, Actor]] = []
    for step, actor in plan:
        unread = memory.queries.conversation(cid).unread_count
        if step == "take over":
            if actor.person is None:
                continue  # a service takes over only for someone (refused before writing)
            _take_over(memory.deps, cid, actor)
            expected.append((ActivityKind.TAKE_OVER, actor))
            continue
        assert isinstance(step, Step)
        step.act(memory.deps, cid, actor)
        if step.kind is not None:
            expected.append((step.kind, actor))
        elif unread:
            expected.append((ActivityKind.MARK_READ, actor))
    log = memory.queries.activity(cid, 200).items
    assert [(e.kind, e.actor) for e in reversed(log)] == expected
    conversation = memory.queries.conversation(cid)
    last = next((e for e in log if e.kind in _WHO_ANSWERS), None)
    assert conversation.bot_paused == (last is not None and last.kind is not ActivityKind.GIVE_BACK)


_WHO_ANSWERS = {
    ActivityKind.TAKE_OVER,
    ActivityKind.ASSIGN,
    ActivityKind.GIVE_BACK,
    ActivityKind.REPLY,  # an agent's reply takes the conversation over
}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from([None, "C-1", "C-2"]), min_size=1, max_size=6),
    st.sampled_from(["C-1", "C-2"]),
    st.none() | st.sampled_from(["C-1", "C-2", "C-9"]),
)
def test_a_confined_access_lists_nothing_of_another_client(
    links: list[str | None], confined_to: str, asked: str | None
) -> None:
    memory = build_in_memory(clients=[(c, []) for c in CLIENTS], now=NOW)
    for n, client_id in enumerate(links):
        outcome = receive_inbound(memory.deps, text_from(f"52155123400{n:02d}", "Hola", NOW))
        assert outcome.conversation_id is not None
        if client_id is not None:
            link_client(memory.deps, outcome.conversation_id, client_id)
    access = Access(Actor.agent("laura", "Laura"), frozenset({Scope.READ}), confined_to)
    allowed = confined_filter(access, ConversationFilter(client_id=asked))
    listed = [] if allowed is None else memory.queries.conversations(allowed, 200).items
    assert all(c.client_id == confined_to for c in listed)
    assert all(access.sees(c) for c in listed)
    if asked in (None, confined_to):
        assert len(listed) == links.count(confined_to)


def _request(token: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(b"authorization", f"Bearer {token}".encode())],
            "client": ("127.0.0.1", 1),
        }
    )


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([o for o in OPERATIONS if o.authenticated]),
    st.frozensets(st.sampled_from(list(Scope)), min_size=1),
    st.none() | st.just("C-1"),
)
def test_the_operation_table_lets_a_token_through_only_with_its_scope(
    operation: Any, scopes: frozenset[Scope], client_id: str | None
) -> None:
    memory = build_in_memory(now=NOW)
    agents = AgentTokens(SECRET)
    auth = Authenticator(BearerTokens(()), agents, FailedAuthThrottle(limit=10**9))
    context = ApiContext(memory.deps, memory.queries, auth, "", "")
    token = agents.mint("laura", "Laura", scopes=scopes, client_id=client_id)
    allowed = (operation.scope is None or operation.scope in scopes) and (
        operation.confinable or client_id is None
    )
    if not allowed:
        with pytest.raises(ApiError) as refused:
            authorize(operation, context, _request(token))
        assert refused.value.status == 403
        if operation.scope is not None and operation.scope not in scopes:
            assert repr(operation.scope.value) in refused.value.message
        return
    access = authorize(operation, context, _request(token))
    assert access.actor.kind is ActorKind.AGENT
    assert access.client_id == client_id
