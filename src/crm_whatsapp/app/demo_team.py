"""The team in the demo: agents with identities, and what they did in the history.

The history's agents are real actors (``Actor.agent``), as agent tokens make them, so the
chat's activity log names them. Laura Gómez is the agent the demo prints a token for: the
inbox signs in as her and finds conversations of her own under "Mías" (one handed to her
by Ana), private notes she wrote, a resolved one and a pending one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from crm_whatsapp.adapters.memory import FixedClock
from crm_whatsapp.domain.access import Actor
from crm_whatsapp.domain.conversation import ConversationStatus
from crm_whatsapp.domain.use_cases import Dependencies
from crm_whatsapp.domain.use_cases.team import Assignee, add_note, assign, set_status

DEMO_AGENT = Actor.agent("laura", "Laura Gómez")
"""Who the demo's agent token signs in as."""
AGENTS = (
    Actor.agent("ana", "Ana"),
    Actor.agent("roberto", "Roberto"),
    Actor.agent("lupita", "Lupita"),
)
NOTES = (
    "Prefiere que la llamemos por la tarde, después de las 17:00.",
    "Pidió factura a nombre de su empresa: falta que nos mande el RFC.",
    "Cliente frecuente: si vuelve a escribir, ofrecerle el envío gratis.",
)


def agent_of(number: int) -> Actor:
    """The history's agent who answers the ``number``-th conversation."""
    return AGENTS[number % len(AGENTS)]


def team_work(
    deps: Dependencies, clock: FixedClock, number: int, conversation_id: str, at: datetime
) -> None:
    """Laura's part of the history: one conversation in ten is hers (every other one of
    them handed over by Ana), each with a note; some are resolved, some pending."""
    if number % 10 != 3:
        return
    laura = Assignee.of(DEMO_AGENT)
    clock.set(at + timedelta(minutes=10))
    assign(deps, conversation_id, laura, AGENTS[0] if number % 20 == 13 else DEMO_AGENT)
    clock.set(at + timedelta(minutes=12))
    add_note(deps, conversation_id, NOTES[number % len(NOTES)], DEMO_AGENT)
    status = {3: ConversationStatus.RESOLVED, 23: ConversationStatus.PENDING}.get(number % 30)
    if status is not None:
        clock.set(at + timedelta(minutes=15))
        set_status(deps, conversation_id, status, DEMO_AGENT)
