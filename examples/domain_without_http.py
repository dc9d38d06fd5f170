"""crm_whatsapp as a library, no HTTP: the host CRM calls the use cases itself.

The host got a customer's message some other way (its own queue, a provider's webhook it
already serves) and hands it to ``receive_inbound``; its agents answer through
``agent_reply``; it runs the outbox when it likes. Storage is SQLite beside the CRM's own
table, and clients are found with the CRM's own lookup (``CrmClientes``, from
embed_in_starlette.py). Run from the repository root: ``python -m examples.domain_without_http``.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, insert

from crm_whatsapp.adapters.memory import InMemoryMessagingGateway
from crm_whatsapp.adapters.sql import Database, SqlConversationQueries, SqlUnitOfWork
from crm_whatsapp.adapters.system import SystemClock, TimeOrderedIds
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import IncomingMessage, MessageKind
from crm_whatsapp.domain.policy import NoReply
from crm_whatsapp.domain.use_cases import (
    Dependencies,
    agent_reply,
    give_back_to_bot,
    receive_inbound,
    send_due_outbound,
    take_over,
)
from examples.embed_in_starlette import CrmClientes, clientes, metadata

BUSINESS_NUMBER_ID = "106540352242922"
ANA = CustomerIdentity.from_wa_id("5215512345678")


def from_queue(deps: Dependencies, wamid: str, text: str) -> IncomingMessage:
    """What the host's queue consumer builds from its own message format."""
    return IncomingMessage(
        business_number_id=BUSINESS_NUMBER_ID,
        customer=ANA,
        wamid=wamid,  # WhatsApp's message id: a repeated wamid is stored once
        kind=MessageKind.TEXT,
        timestamp=deps.clock.now(),
        text=text,
        profile_name="Anita",
    )


def main(database_url: str) -> None:
    crm = create_engine(database_url)  # the CRM's engine and table, with Ana in it
    metadata.create_all(crm)
    with crm.begin() as connection:
        connection.execute(
            insert(clientes).values(id=7, nombre="Ana López", telefono="55 1234 5678")
        )
    database = Database(database_url)  # our tables (crm_whatsapp_*) in the same file
    database.migrate()
    deps = Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(database),
        clients=CrmClientes(crm),
        clock=SystemClock(),
        ids=TimeOrderedIds(),
    )
    gateway = InMemoryMessagingGateway()  # GraphApiGateway(GraphApiSettings(...)) in production

    first = receive_inbound(deps, from_queue(deps, "wamid.queue.1", "Hola"))
    assert first.conversation_id is not None
    assert first.reply is not None
    conversation_id = first.conversation_id
    print("bot:", first.reply.text)

    take_over(deps, conversation_id, "Laura")  # the bot stays silent from now on
    second = receive_inbound(deps, from_queue(deps, "wamid.queue.2", "¿Llegó mi pedido?"))
    assert isinstance(second.decision, NoReply)
    print("bot while Laura answers:", second.decision.reason.value)
    agent_reply(deps, conversation_id, "Laura", text="Sí, Ana: llega mañana.")
    give_back_to_bot(deps, conversation_id)

    report = asyncio.run(send_due_outbound(deps, gateway))
    print("sent:", report.sent, "to", gateway.sent[0].to.wa_id)

    queries = SqlConversationQueries(database)
    conversation = queries.conversation(conversation_id)
    stats = queries.statistics(None, None, "America/Mexico_City")
    print(f"{conversation.client_name}: bot paused {conversation.bot_paused}")
    print(
        f"messages: {stats.inbound_messages} in, {stats.bot_messages} bot, "
        f"{stats.agent_messages} agent"
    )
    database.dispose()
    crm.dispose()


if __name__ == "__main__":
    main(f"sqlite:///{Path(tempfile.mkdtemp()) / 'crm.db'}")
