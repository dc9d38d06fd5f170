"""Whether the SQL inbox queries and the client lookup keep their cost as the history grows.

Seeds a small and a large database (100x the messages, conversations and CRM clients) on
SQLite and PostgreSQL, then times every inbox query, the client lookup by phone and the
statistics, and prints p50/p95 per database with the large/small ratio against the targets
of issue 3 (pages and lookup at most 2x, dated statistics at most 3x).

History grows in time, not in rate: the large database spans 100x the days of the small
one at the same daily volume, as a real inbox ages. A query over a fixed date range (the
last 7 days) therefore covers the same messages in both, and its ratio shows whether the
database finds them without reading the rest; all-time statistics do read everything and
are reported separately, with no target.

    python benchmarks/queries.py [--quick] [--sizes small,large] [--backends sqlite,postgresql]
                                 [--repeat N] [--budget SECONDS] [--postgres-url URL]
                                 [--sqlite-dir DIR] [--keep]

The PostgreSQL URL defaults to ``CRM_WHATSAPP_TEST_POSTGRES_URL``, then to a local server;
each size gets a schema of its own (``bench_small``, ``bench_large``), dropped at the end
unless ``--keep``. The exit code is 0 whatever the figures: this is a measurement.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any, Protocol

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    func,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from crm_whatsapp.adapters.sql import ClientPhoneIndex, CrmClientTable, ProgressBar, SqlClientLookup
from crm_whatsapp.adapters.sql.database import Database
from crm_whatsapp.adapters.sql.mapping import conversation_values, message_values
from crm_whatsapp.adapters.sql.queries import SqlConversationQueries
from crm_whatsapp.adapters.sql.schema import utc_text
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import Delivery, DeliveryStatus, SendFailure
from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import (
    Author,
    AuthorKind,
    Direction,
    Message,
    MessageKind,
    Processing,
    ProcessingState,
    TemplateMessage,
)
from crm_whatsapp.domain.pagination import (
    DEFAULT_PAGE_SIZE,
    CursorCodec,
    CursorKind,
    Position,
)
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.queries import ConversationFilter

POSTGRES_URL_VARIABLE = "CRM_WHATSAPP_TEST_POSTGRES_URL"
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

END = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
"""The newest moment of the history: every message is older."""
DAY = 86_400
PAGE = DEFAULT_PAGE_SIZE
CURSORS = CursorCodec.derived_from("benchmark cursors")
"""Signs the cursors the benchmark builds and the queries it times check, as a deployment's."""
TIMEZONE = "America/Mexico_City"
BUSINESS_NUMBERS = ("104857600000001", "104857600000002")
MIN_RUNS = 5
"""A query slower than the budget still runs this often, so p50 means something."""

PAGE_TARGET = 2.0
LOOKUP_TARGET = 2.0
STATISTICS_TARGET = 3.0


@dataclass(frozen=True, slots=True)
class Size:
    """One database: the same daily volume over ``days`` (time grows, not the rate)."""

    name: str
    messages: int
    conversations: int
    clients: int
    days: int


FULL_SIZES = {
    "small": Size("small", 10_000, 1_000, 10_000, 10),
    "large": Size("large", 1_000_000, 100_000, 1_000_000, 1_000),
}
QUICK_SIZES = {
    "small": Size("small", 2_000, 200, 1_000, 10),
    "large": Size("large", 20_000, 2_000, 10_000, 100),
}


# -- what customers, bots and agents write ---------------------------------------------

CUSTOMER_TEXTS = {
    "MX": (
        "Hola, buenas tardes",
        "¿Cuál es el precio del envío a Monterrey?",
        "Quisiera saber si tienen la talla mediana en existencia",
        "Mi pedido no ha llegado, ¿me ayudan por favor?",
        "¿A qué hora abren el sábado?",
        "Necesito factura, ¿qué datos les paso?",
        "¿Aceptan pago con tarjeta de crédito?",
        "Quiero cambiar la dirección de entrega",
        "¿Cuánto tarda la entrega a Guadalajara?",
        "¿Hay descuento por mayoreo?",
        "Ya hice la transferencia, les mando el comprobante",
        "Perfecto, muchas gracias",
        "¿Dónde está mi paquete? Ya pasaron cinco días",
        "¿Me pueden enviar el catálogo con precios?",
    ),
    "AR": (
        "Hola, ¿cómo andan?",
        "¿Tienen envíos a Córdoba?",
        "¿Cuánto sale el envío a Rosario?",
        "Quería consultar por un pedido que hice el martes",
        "¿Aceptan Mercado Pago o solo transferencia?",
        "Dale, muchas gracias",
        "¿El precio incluye IVA?",
    ),
    "BR": (
        "Olá, bom dia",
        "Qual é o preço do frete para São Paulo?",
        "Vocês enviam para o Brasil?",
        "Meu pedido ainda não chegou",
        "Obrigado pela atenção!",
        "Hola, ¿hablan portugués? Quero saber o preço",
    ),
    "ES": (
        "Buenas, ¿tenéis envío a Valencia?",
        "¿Cuánto tarda el pedido a Sevilla?",
        "¿Puedo pagar con Bizum?",
        "Vale, muchas gracias",
        "El paquete llegó dañado, ¿qué hago?",
    ),
}
HANDOFF_TEXT = "Quiero hablar con un asesor, por favor"
OPT_OUT_TEXT = "BAJA. No quiero recibir más mensajes"
RARE_WORDS = ("alfajores", "piñatas", "tamarindo", "guayaberas", "chipá")
RARE_SHARE = 1 / 400
"""Of customer texts, the share that asks about one of RARE_WORDS."""
COMMON_WORDS = ("precio", "envío", "pedido", "gracias")
ABSENT_WORDS = ("mazapán", "quesadilla", "feijoada", "horchata", "gazpacho")
"""Searched for but never written: the search's worst case, a page that never fills."""
BOT_TEXTS = (
    "¡Hola! Soy el asistente virtual de Tienda Ñandú, ¿en qué te ayudo?",
    "Nuestros precios están en el catálogo; el envío es gratis desde $999.",
    "El envío tarda de 2 a 5 días hábiles según tu ciudad.",
    "Nuestro horario es de lunes a viernes de 9:00 a 18:00 y sábados de 10:00 a 14:00.",
    "Aceptamos tarjeta, transferencia y pago en efectivo en tiendas de conveniencia.",
    "Un asesor te atenderá en breve.",
)
AGENT_TEXTS = (
    "Buenas tardes, le atiende {agent}. ¿En qué le puedo ayudar?",
    "Ya revisé su pedido: sale mañana por paquetería.",
    "Le comparto el número de guía: {guide}",
    "Con gusto, ¿algo más en lo que le pueda ayudar?",
    "Disculpe la demora, su reembolso ya fue procesado.",
)
AGENTS = ("Lucía Hernández", "José Ramírez", "María Fernanda Ortiz", "João Silva")
FIRST_NAMES = (
    "José", "María", "Ana", "Luis", "Sofía", "Jesús", "Verónica", "Martín", "Lucía", "João",
    "Iñaki", "Begoña", "Néstor", "Ramón", "Florencia", "Agustín", "Tomás", "Mónica",
)  # fmt: skip
LAST_NAMES = (
    "López", "García", "Hernández", "Martínez", "González", "Pérez", "Rodríguez", "Sánchez",
    "Núñez", "Gómez", "Fernández", "Díaz", "Álvarez", "Muñoz", "Silva", "Souza", "Ibáñez",
)  # fmt: skip
CITIES = (
    "Ciudad de México", "Guadalajara", "Monterrey", "Puebla", "Mérida", "Buenos Aires",
    "Córdoba", "Rosario", "São Paulo", "Río de Janeiro", "Madrid", "Sevilla", "Valencia",
)  # fmt: skip
CRM_PLACEHOLDERS = ("no tiene", "ver notas", "-", "", "pendiente")
FAILURES = (
    SendFailure("131047", "Re-engagement message", False),
    SendFailure("131026", "Message undeliverable", False),
    SendFailure("131049", "Meta chose not to deliver", False),
    SendFailure("130429", "Rate limit hit", True),
)
FAILURE_WEIGHTS = (40, 30, 20, 10)
BOT_RULES = ("keyword:precios", "keyword:envios", "keyword:horario", "welcome")


# -- phone numbers as WhatsApp and as a CRM write them ---------------------------------


@dataclass(frozen=True, slots=True)
class Number:
    """One subscriber: ``key`` is its lookup key, ``wa_id`` what WhatsApp sends,
    ``crm_text`` how a CRM user typed it (CRM default region: MX)."""

    country: str
    key: str
    wa_id: str
    crm_text: str


def _digits(rng: Random, count: int) -> str:
    return f"{rng.randrange(10**count):0{count}d}"


def _grouped(area: str, rest: str) -> tuple[str, str, str]:
    return area, rest[:-4], rest[-4:]


def mexican(rng: Random) -> Number:
    area = rng.choice(("55", "33", "81", "222", "442", "998"))
    rest = str(rng.randint(2, 9)) + _digits(rng, 9 - len(area))
    national = area + rest
    a, b, c = _grouped(area, rest)
    # Half the accounts predate 2019 and keep the retired mobile 1 in their wa_id.
    wa_id = ("521" if rng.random() < 0.5 else "52") + national
    crm = rng.choice(
        (f"{a} {b} {c}", f"+52 ({a}) {b}-{c}", f"044 {a} {b} {c}", f"+52 1 {national}", national)
    )
    return Number("MX", "52" + national, wa_id, crm)


def argentine(rng: Random) -> Number:
    area = rng.choice(("11", "351", "341", "261"))
    rest = str(rng.randint(2, 9)) + _digits(rng, 9 - len(area))
    national = area + rest
    a, b, c = _grouped(area, rest)
    crm = rng.choice((f"+54 9 {a} {b}-{c}", f"+54 {a} {b}{c}", f"0054 9 {national}"))
    return Number("AR", "54" + national, "549" + national, crm)


def brazilian(rng: Random) -> Number:
    ddd = rng.choice(("11", "21", "31", "41", "51", "61", "71", "81"))
    line = str(rng.randint(6, 9)) + _digits(rng, 7)
    # Accounts older than the ninth digit keep the 8-digit mobile in their wa_id.
    wa_id = "55" + ddd + ("" if rng.random() < 0.3 else "9") + line
    crm = rng.choice(
        (f"+55 ({ddd}) 9{line[:4]}-{line[4:]}", f"+55 {ddd} 9{line}", f"0055 {ddd} {line}")
    )
    return Number("BR", "55" + ddd + line, wa_id, crm)


def spanish(rng: Random) -> Number:
    n = "6" + _digits(rng, 8)
    crm = rng.choice((f"0034 {n[:3]} {n[3:5]} {n[5:7]} {n[7:]}", f"+34 {n[:3]} {n[3:6]} {n[6:]}"))
    return Number("ES", "34" + n, "34" + n, crm)


NUMBER_MAKERS: tuple[Callable[[Random], Number], ...] = (mexican, argentine, brazilian, spanish)
COUNTRY_WEIGHTS = (45, 20, 20, 15)


def random_number(rng: Random) -> Number:
    return rng.choices(NUMBER_MAKERS, COUNTRY_WEIGHTS)[0](rng)


def full_name(rng: Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {rng.choice(LAST_NAMES)}"


# -- the data set ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Customer:
    number: Number
    profile_name: str
    client_id: str | None
    client_name: str | None


@dataclass(frozen=True, slots=True)
class ConversationPlan:
    """A conversation before its messages exist: who, how long, in which state."""

    id: str
    business_number_id: str
    customer: Customer
    length: int
    bot_paused: bool
    opted_out: bool
    linked_manually: bool


@dataclass
class Batch:
    """Rows for one transaction: conversations before the rows that refer to them."""

    conversations: list[dict[str, Any]] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


class Dataset:
    """A deterministic history for one size: the same seed gives the same rows on every
    backend, so the two databases answer the same questions over the same data.

    Plans are kept in memory (one small object per conversation); messages and CRM rows
    are generated batch by batch while loading, so memory stays bounded.
    """

    def __init__(self, size: Size, seed: int) -> None:
        self.size = size
        self._seed = f"{seed}:{size.name}"
        rng = Random(self._seed)
        customers_count = max(1, round(size.conversations / 1.2))
        customers = self._customers(rng, customers_count)
        self.plans = self._plans(rng, customers)
        self._lengths(rng)

    # -- customers, CRM clients and conversations --------------------------------------

    def _customers(self, rng: Random, count: int) -> list[Customer]:
        """Distinct subscribers; 60% are CRM clients, at random places in the id range."""
        seen: set[str] = set()
        numbers: list[Number] = []
        while len(numbers) < count:
            number = random_number(rng)
            if number.key not in seen:
                seen.add(number.key)
                numbers.append(number)
        linked = [i for i in range(count) if rng.random() < 0.6]
        ids = rng.sample(range(1, self.size.clients + 1), min(len(linked), self.size.clients))
        client_of = dict(zip(linked, ids, strict=False))
        self.client_numbers: dict[int, tuple[Number, str]] = {}
        """The CRM rows of customers who are clients: id -> (number, name)."""
        customers = []
        for i, number in enumerate(numbers):
            client = client_of.get(i)
            if client is None:
                customers.append(Customer(number, rng.choice(FIRST_NAMES), None, None))
                continue
            name = full_name(rng)
            self.client_numbers[client] = (number, name)
            customers.append(Customer(number, rng.choice(FIRST_NAMES), str(client), name))
        return customers

    def _plans(self, rng: Random, customers: list[Customer]) -> list[ConversationPlan]:
        """One conversation per customer and business number; some customers write to both."""
        pairs = [(c, rng.randrange(2)) for c in customers]
        extra = self.size.conversations - len(pairs)
        pairs += [(c, 1 - n) for c, n in rng.sample(pairs, min(max(extra, 0), len(pairs)))]
        plans = []
        for customer, business in pairs[: self.size.conversations]:
            paused = rng.random() < 0.08
            plans.append(
                ConversationPlan(
                    id=f"{rng.getrandbits(128):032x}",
                    business_number_id=BUSINESS_NUMBERS[business],
                    customer=customer,
                    length=0,
                    bot_paused=paused,
                    opted_out=rng.random() < 0.03,
                    linked_manually=customer.client_id is not None and rng.random() < 0.1,
                )
            )
        return plans

    def _lengths(self, rng: Random) -> None:
        """Message counts: 1% long threads (150), the rest 2-16, summing to exactly the size."""
        lengths = [150 if rng.random() < 0.01 else rng.randint(2, 16) for _ in self.plans]
        short = [i for i, n in enumerate(lengths) if n < 150]
        difference = self.size.messages - sum(lengths)
        while difference:
            i = rng.choice(short)
            step = 1 if difference > 0 else -1
            if lengths[i] + step >= 1:
                lengths[i] += step
                difference -= step
        self.plans = [replace(p, length=n) for p, n in zip(self.plans, lengths, strict=True)]

    # -- rows ------------------------------------------------------------------------

    def conversation_batches(self, per_batch: int = 2_000) -> Iterator[Batch]:
        """Conversations with their keys and messages, through the library's own mapping."""
        for start in range(0, len(self.plans), per_batch):
            rng = Random(f"{self._seed}:conversations:{start}")
            batch = Batch()
            for plan in self.plans[start : start + per_batch]:
                conversation, messages = Thread(rng, plan, self.size).build()
                batch.conversations.append(conversation_values(conversation))
                batch.keys.extend(
                    {
                        "business_number_id": conversation.business_number_id,
                        "customer_key": key,
                        "conversation_id": conversation.id,
                    }
                    for key in conversation.customer.conversation_keys()
                )
                batch.messages.extend(message_values(m) for m in messages)
            yield batch

    def crm_batches(self, per_batch: int = 50_000) -> Iterator[list[dict[str, Any]]]:
        """The host CRM's ``clientes`` rows, ids 1..N; messy phone columns on purpose."""
        for start in range(1, self.size.clients + 1, per_batch):
            rng = Random(f"{self._seed}:crm:{start}")
            rows = []
            for client_id in range(start, min(start + per_batch, self.size.clients + 1)):
                known = self.client_numbers.get(client_id)
                number, name = known if known else (random_number(rng), full_name(rng))
                phone: str | None = number.crm_text
                if known is None and rng.random() < 0.06:
                    phone = rng.choice((None, *CRM_PLACEHOLDERS))
                mobile = random_number(rng).crm_text if rng.random() < 0.25 else None
                rows.append(
                    {
                        "id": client_id,
                        "nombre": name,
                        "telefono": phone,
                        "celular": mobile,
                        "ciudad": rng.choice(CITIES),
                    }
                )
            yield rows


class Thread:
    """One conversation's messages, in the order customers, the bot and agents write them."""

    def __init__(self, rng: Random, plan: ConversationPlan, size: Size) -> None:
        self.rng = rng
        self.plan = plan
        self.size = size
        self.agent = rng.choice(AGENTS)
        self.handed_off = False

    def build(self) -> tuple[Conversation, list[Message]]:
        roles = self._roles()
        moments = self._moments(roles)
        messages = [
            self._message(i, role, at, roles[i + 1] if i + 1 < len(roles) else None)
            for i, (role, at) in enumerate(zip(roles, moments, strict=True))
        ]
        return self._conversation(messages), messages

    def _roles(self) -> list[AuthorKind]:
        rng, roles = self.rng, [AuthorKind.CUSTOMER]
        replier = (
            (AuthorKind.AGENT,) if self.plan.bot_paused else (AuthorKind.BOT, AuthorKind.AGENT)
        )
        weights = (1,) if self.plan.bot_paused else (2, 1)
        while len(roles) < self.plan.length:
            if roles[-1] is AuthorKind.CUSTOMER and rng.random() < 0.75:
                roles.append(rng.choices(replier, weights)[0])
            elif roles[-1] is not AuthorKind.CUSTOMER and rng.random() < 0.2:
                roles.append(roles[-1])
            else:
                roles.append(AuthorKind.CUSTOMER)
        return roles

    def _moments(self, roles: list[AuthorKind]) -> list[datetime]:
        """Seconds to minutes between messages; the thread starts anywhere in the history
        (uniformly, so every day has the same volume) and ends before END."""
        rng, gaps = self.rng, [0.0]
        for before, role in itertools.pairwise(roles):
            if role is AuthorKind.BOT:
                gaps.append(rng.uniform(1, 8))
            elif role is AuthorKind.AGENT:
                gaps.append(rng.uniform(60, 1_800) if before is AuthorKind.CUSTOMER else 20)
            else:
                gaps.append(rng.uniform(5, 3_600))
        duration = sum(gaps) + 60
        span = self.size.days * DAY
        start = END - timedelta(seconds=rng.uniform(duration, max(span, duration)))
        moments, elapsed = [], 0.0
        for gap in gaps:
            elapsed += gap
            moments.append(start + timedelta(seconds=elapsed))
        return moments

    def _message(
        self, index: int, role: AuthorKind, at: datetime, next_role: AuthorKind | None
    ) -> Message:
        message_id = f"{self.rng.getrandbits(128):032x}"
        if role is AuthorKind.CUSTOMER:
            return self._inbound(message_id, index, at, next_role)
        return self._outbound(message_id, role, at)

    def _inbound(
        self, message_id: str, index: int, at: datetime, next_role: AuthorKind | None
    ) -> Message:
        rng, plan = self.rng, self.plan
        kind = rng.choices(
            (MessageKind.TEXT, MessageKind.IMAGE, MessageKind.AUDIO, MessageKind.LOCATION),
            (88, 6, 4, 2),
        )[0]
        text, processing = self._customer_text(kind, index, next_role)
        sent = at.replace(microsecond=0)  # WhatsApp's timestamps are whole seconds
        wamid = f"wamid.{message_id}"
        details: dict[str, Any] = {}
        if kind is MessageKind.LOCATION:
            details = {"latitude": 19.4326, "longitude": -99.1332, "name": "Sucursal Centro"}
        elif kind is not MessageKind.TEXT:
            details = {"mime_type": "image/jpeg" if kind is MessageKind.IMAGE else "audio/ogg"}
        raw = json.dumps(
            {
                "from": plan.customer.number.wa_id,
                "id": wamid,
                "timestamp": str(int(sent.timestamp())),
                "type": kind.value,
                "text": {"body": text},
            },
            ensure_ascii=False,
        )
        return Message(
            id=message_id,
            conversation_id=plan.id,
            direction=Direction.INBOUND,
            kind=kind,
            created_at=at + timedelta(seconds=rng.uniform(0.2, 2.0)),
            author=Author.customer(),
            text=text,
            wamid=wamid,
            whatsapp_timestamp=sent,
            media_id=str(rng.getrandbits(52)) if kind.is_media else None,
            details=details,
            raw=raw,
            processing=processing,
        )

    def _customer_text(
        self, kind: MessageKind, index: int, next_role: AuthorKind | None
    ) -> tuple[str | None, Processing]:
        rng, plan = self.rng, self.plan
        if plan.opted_out and next_role is None:
            return OPT_OUT_TEXT, Processing(ProcessingState.REPLIED, rule="opt_out")
        if plan.bot_paused and next_role is AuthorKind.AGENT and not self.handed_off:
            self.handed_off = True
            return HANDOFF_TEXT, Processing(ProcessingState.REPLIED, rule="handoff")
        text: str | None = None
        if kind is MessageKind.TEXT:
            text = rng.choice(CUSTOMER_TEXTS[plan.customer.number.country])
            if rng.random() < RARE_SHARE:
                text = f"¿Venden {rng.choice(RARE_WORDS)}? {text}"
        elif kind is MessageKind.IMAGE and rng.random() < 0.4:
            text = "Así llegó el paquete"
        if next_role is AuthorKind.BOT:
            return text, Processing(ProcessingState.REPLIED, rule=rng.choice(BOT_RULES))
        if plan.bot_paused:
            return text, Processing(ProcessingState.SKIPPED, "bot paused")
        if next_role is None and index > 0:
            return text, Processing(ProcessingState.RECEIVED)
        return text, Processing(ProcessingState.SKIPPED, "no rule matched")

    def _outbound(self, message_id: str, role: AuthorKind, at: datetime) -> Message:
        rng = self.rng
        template = None
        if role is AuthorKind.BOT:
            author, text = Author.bot(), rng.choice(BOT_TEXTS)
        else:
            author = Author.agent(self.agent)
            text = rng.choice(AGENT_TEXTS).format(agent=self.agent, guide=rng.getrandbits(40))
            if rng.random() < 0.05:
                template = TemplateMessage("seguimiento_pedido", "es", (self.agent,))
                text = None
        delivery = self._delivery(at)
        return Message(
            id=message_id,
            conversation_id=self.plan.id,
            direction=Direction.OUTBOUND,
            kind=MessageKind.TEMPLATE if template else MessageKind.TEXT,
            created_at=at,
            author=author,
            text=text,
            wamid=f"wamid.{message_id}" if delivery.sent_at else None,
            delivery=delivery,
            template=template,
        )

    def _delivery(self, at: datetime) -> Delivery:
        """Mostly read or delivered; 8% failed with Meta's codes; pending only at the end."""
        rng = self.rng
        if END - at < timedelta(minutes=2):
            return Delivery.pending(at)
        status = rng.choices(
            (DeliveryStatus.READ, DeliveryStatus.DELIVERED, DeliveryStatus.SENT, None),
            (55, 25, 12, 8),
        )[0]
        sent = at + timedelta(seconds=1)
        if status is None:
            failure = rng.choices(FAILURES, FAILURE_WEIGHTS)[0]
            return Delivery(
                status=DeliveryStatus.FAILED,
                attempts=3 if failure.retryable else 1,
                last_error=failure,
                sent_at=None if failure.retryable else sent,
                failed_at=sent + timedelta(seconds=2),
            )
        reached = status in (DeliveryStatus.DELIVERED, DeliveryStatus.READ)
        return Delivery(
            status=status,
            attempts=1,
            sent_at=sent,
            delivered_at=sent + timedelta(seconds=3) if reached else None,
            read_at=min(END, sent + timedelta(minutes=rng.uniform(1, 90)))
            if status is DeliveryStatus.READ
            else None,
        )

    def _conversation(self, messages: list[Message]) -> Conversation:
        plan, customer = self.plan, self.plan.customer
        inbound = [m.sent_at for m in messages if m.is_inbound]
        last = max(messages, key=lambda m: m.sent_at)
        trailing = 0
        for m in reversed(messages):
            if not m.is_inbound:
                break
            trailing += 1
        return Conversation(
            id=plan.id,
            business_number_id=plan.business_number_id,
            customer=CustomerIdentity.from_wa_id(customer.number.wa_id),
            started_at=messages[0].created_at,
            last_activity_at=last.sent_at,
            profile_name=customer.profile_name,
            client_id=customer.client_id,
            client_name=customer.client_name,
            client_linked_manually=plan.linked_manually,
            last_inbound_at=max(inbound) if inbound else None,
            last_preview=last.preview(),
            unread_count=trailing,
            bot_paused=plan.bot_paused,
            assigned_agent=self.agent if plan.bot_paused else None,
            opted_out=plan.opted_out,
        )


# -- the host CRM's table --------------------------------------------------------------

CRM_TABLE = CrmClientTable(
    table="clientes",
    id_column="id",
    name_column="nombre",
    phone_columns=("telefono", "celular"),
    placeholder_columns={"ciudad": "ciudad"},
    default_region="MX",
)


def crm_clients_table() -> Table:
    """A typical CRM client table: integer key, free-text phone columns."""
    return Table(
        "clientes",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("nombre", Text, nullable=False),
        Column("telefono", Text),
        Column("celular", Text),
        Column("ciudad", Text),
    )


# -- bulk loading ----------------------------------------------------------------------


class Loader(Protocol):
    def write(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def commit(self) -> None: ...

    def close(self) -> None: ...


def _columns(table: Table) -> list[str]:
    return [column.name for column in table.columns]


class SqliteLoader:
    """``executemany`` on the driver's connection, one transaction per batch.

    Foreign keys are off and ``synchronous=OFF`` for this connection only: the rows are
    consistent by construction and a crash mid-seed just means seeding again.
    """

    def __init__(self, database: Database) -> None:
        self._raw = database.writer.raw_connection()
        self._connection: sqlite3.Connection = self._raw.driver_connection  # type: ignore[assignment]
        for pragma in ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-262144"):
            self._connection.execute(f"PRAGMA {pragma}")
        self._open = False

    def write(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        if not self._open:
            self._connection.execute("BEGIN")
            self._open = True
        names = _columns(table)
        statement = (
            f'INSERT INTO "{table.name}" ({", ".join(names)}) '
            f"VALUES ({', '.join('?' for _ in names)})"
        )
        self._connection.executemany(
            statement, [tuple(_sqlite_value(row[n]) for n in names) for row in rows]
        )

    def commit(self) -> None:
        if self._open:
            self._connection.execute("COMMIT")
            self._open = False

    def close(self) -> None:
        self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._raw.close()


def _sqlite_value(value: Any) -> Any:
    """What ``UtcDateTime``, ``Boolean`` and ``JSON`` store on SQLite."""
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


class PostgresLoader:
    """``COPY ... FROM STDIN`` through psycopg, one transaction per batch."""

    def __init__(self, database: Database) -> None:
        self._raw = database.writer.raw_connection()
        self._connection: Any = self._raw.driver_connection

    def write(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
        names = _columns(table)
        statement = f'COPY "{table.name}" ({", ".join(names)}) FROM STDIN'
        with self._connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(tuple(_postgres_value(row[n]) for n in names))

    def commit(self) -> None:
        self._connection.commit()

    def close(self) -> None:
        self._raw.close()


def _postgres_value(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


# -- one database of one size on one backend -------------------------------------------


@dataclass
class Seeding:
    """How long it took to fill one database, and how big it is."""

    rows_seconds: float = 0.0
    index_seconds: float = 0.0
    phone_index_seconds: float = 0.0
    numbers_indexed: int = 0
    unparseable: int = 0
    analyze_seconds: float = 0.0
    megabytes: float = 0.0


class Target:
    """A database for one backend and size: created empty, migrated, seeded, dropped."""

    def __init__(self, backend: str, size: Size, options: argparse.Namespace) -> None:
        self.backend = backend
        self.size = size
        self.keep: bool = options.keep
        # Quick runs (the test suite) get names of their own: never a full run's schema.
        prefix = f"bench_quick_{os.getpid()}_" if options.quick else "bench_"
        self.schema = prefix + size.name
        self.path: Path | None = None
        if backend == "sqlite":
            self.path = Path(options.sqlite_dir) / f"{self.schema}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.database = Database(f"sqlite:///{self.path}")
            return
        self.url: str = options.postgres_url
        self._admin("DROP SCHEMA IF EXISTS {schema} CASCADE", "CREATE SCHEMA {schema}")
        self.database = Database(
            self.url,
            engine_options={"connect_args": {"options": f"-csearch_path={self.schema},public"}},
        )

    def _admin(self, *statements: str) -> None:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                for statement in statements:
                    connection.execute(text(statement.format(schema=f'"{self.schema}"')))
        finally:
            engine.dispose()

    def close(self) -> None:
        self.database.dispose()
        if self.keep:
            where = self.path if self.path else f"schema {self.schema}"
            print(f"kept {BACKEND_NAMES[self.backend]} {self.size.name}: {where}", file=sys.stderr)
            return
        if self.path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            self._admin("DROP SCHEMA IF EXISTS {schema} CASCADE")

    # -- seeding ---------------------------------------------------------------------

    def seed(self, dataset: Dataset) -> Seeding:
        """Migrate, load every row, build the indexes, fill the phone index, analyze."""
        database, seeding = self.database, Seeding()
        database.migrate()
        crm = crm_clients_table()
        with database.writer.begin() as connection:
            crm.metadata.create_all(connection)
        t = database.tables
        loaded = (t.conversations, t.conversation_keys, t.messages)
        indexes = [index for table in loaded for index in table.indexes]

        seeding.rows_seconds = timed(lambda: self._load(dataset, crm, indexes))
        seeding.index_seconds = timed(lambda: self._create(indexes))
        progress = ProgressBar(label=f"phone index, {self.label}") if sys.stderr.isatty() else None
        report = ClientPhoneIndex(database, CRM_TABLE).rebuild(progress=progress)
        seeding.phone_index_seconds = report.duration.total_seconds()
        seeding.numbers_indexed = report.numbers_indexed
        seeding.unparseable = report.unparseable
        seeding.analyze_seconds = timed(lambda: self._analyze([*loaded, t.client_phone_keys, crm]))
        seeding.megabytes = self._megabytes()
        return seeding

    def _load(self, dataset: Dataset, crm: Table, indexes: Sequence[Index]) -> None:
        """Bulk-load with the secondary indexes dropped (rebuilt by ``_create``), as a bulk
        import does: one sorted build per index is far cheaper than row-by-row upkeep,
        above all for PostgreSQL's trigram GIN index."""
        database, t = self.database, self.database.tables
        with database.writer.begin() as connection:
            for index in indexes:
                index.drop(connection)
        loader: Loader = SqliteLoader(database) if database.is_sqlite else PostgresLoader(database)
        try:
            for batch in dataset.conversation_batches():
                loader.write(t.conversations, batch.conversations)
                loader.write(t.conversation_keys, batch.keys)
                loader.write(t.messages, batch.messages)
                loader.commit()
            for rows in dataset.crm_batches():
                loader.write(crm, rows)
                loader.commit()
        finally:
            loader.close()

    def _create(self, indexes: Sequence[Index]) -> None:
        """The migrations' indexes (same metadata), with memory to sort in."""
        with self.database.writer.begin() as connection:
            if self.database.is_sqlite:
                connection.exec_driver_sql("PRAGMA cache_size=-262144")
            else:
                connection.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            for index in indexes:
                index.create(connection)

    @property
    def label(self) -> str:
        return f"{BACKEND_NAMES[self.backend]} {self.size.name}"

    def _analyze(self, tables: Sequence[Table]) -> None:
        """Statistics for the planners. On PostgreSQL ``VACUUM (ANALYZE)``: freshly copied
        rows have no visibility map yet, so without it the first reads would set hint bits
        and autovacuum would start in the middle of the measurements."""
        if self.database.is_sqlite:
            with self.database.writer.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
            return
        with self.database.writer.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                autocommit.exec_driver_sql(f'VACUUM (ANALYZE) "{table.name}"')

    def _megabytes(self) -> float:
        if self.path is not None:
            return (
                sum(
                    Path(f"{self.path}{s}").stat().st_size
                    for s in ("", "-wal")
                    if Path(f"{self.path}{s}").exists()
                )
                / 1e6
            )
        with self.database.reader.connect() as connection:
            size = connection.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND c.relkind = 'r'"
                ),
                {"schema": self.schema},
            ).scalar_one()
        return float(size) / 1e6


# -- the questions, with parameters that vary from run to run --------------------------


@dataclass(frozen=True)
class Parameters:
    """Per-run arguments, cycled through by run number; all taken from the seeded data."""

    page_2: str
    deep_cursors: list[str]
    clients: list[str]
    whatsapp_numbers: list[PhoneNumber]
    crm_numbers: list[PhoneNumber]
    windows: list[tuple[datetime, datetime]]
    conversations: list[str]
    message_cursors: list[tuple[str, str]]


def pick(items: Sequence[Any], run: int) -> Any:
    return items[run % len(items)]


def parameters(dataset: Dataset, target: Target, count: int) -> Parameters:
    rng = Random(f"parameters:{dataset.size.name}")
    queries = SqlConversationQueries(target.database, CURSORS)
    plans = dataset.plans
    linked = [p for p in plans if p.customer.client_id is not None]
    chosen = rng.sample(linked, min(count, len(linked)))
    long_threads = [p.id for p in plans if p.length > 2 * PAGE][:count]
    span = dataset.size.days * DAY
    windows = []
    for _ in range(count):
        until = END - timedelta(seconds=rng.uniform(0, span - 7 * DAY))
        windows.append((until - timedelta(days=7), until))
    message_cursors = []
    for conversation_id in long_threads:
        cursor = queries.messages(conversation_id, PAGE).next_cursor
        assert cursor is not None
        message_cursors.append((conversation_id, cursor))
    page_2 = queries.conversations(ConversationFilter(), PAGE).next_cursor
    assert page_2 is not None
    return Parameters(
        page_2=page_2,
        deep_cursors=deep_cursors(target.database, count, rng),
        clients=[str(p.customer.client_id) for p in chosen],
        whatsapp_numbers=[PhoneNumber.from_wa_id(p.customer.number.wa_id) for p in chosen],
        crm_numbers=[PhoneNumber.parse(p.customer.number.crm_text, "MX") for p in chosen],
        windows=windows,
        conversations=[p.id for p in rng.sample(plans, min(count, len(plans)))],
        message_cursors=message_cursors,
    )


def deep_cursors(database: Database, count: int, rng: Random) -> list[str]:
    """Cursors at rows 30-70% down the inbox, as if a person had paged that far."""
    c = database.tables.conversations
    with database.reader.connect() as connection:
        total = connection.execute(select(func.count()).select_from(c)).scalar_one()
        cursors = []
        for _ in range(count):
            offset = int(total * rng.uniform(0.3, 0.7))
            at, conversation_id = connection.execute(
                select(c.c.last_activity_at, c.c.id)
                .order_by(c.c.last_activity_at.desc(), c.c.id.desc())
                .offset(offset)
                .limit(1)
            ).one()
            cursors.append(CURSORS.encode(Position(at, conversation_id), CursorKind.CONVERSATIONS))
    return cursors


@dataclass(frozen=True)
class Question:
    name: str
    target: float | None
    """Most the large database may cost, as a multiple of the small one's p50."""
    run: Callable[[int], object]


def questions(
    queries: SqlConversationQueries, lookup: SqlClientLookup, p: Parameters
) -> list[Question]:
    def page(
        make: Callable[[int], ConversationFilter], cursor: Callable[[int], str | None] | None = None
    ) -> Callable[[int], object]:
        return lambda run: (
            queries.conversations(make(run), PAGE, cursor(run) if cursor else None).items
        )

    every = ConversationFilter()

    def window(run: int) -> ConversationFilter:
        since, until = pick(p.windows, run)
        return ConversationFilter(since=since, until=until)

    def statistics_7_days(run: int) -> object:
        until = END - timedelta(hours=run % 12)
        return queries.statistics(until - timedelta(days=7), until, TIMEZONE)

    def next_messages(run: int) -> object:
        conversation_id, cursor = pick(p.message_cursors, run)
        return queries.messages(conversation_id, PAGE, cursor).items

    return [
        Question("conversations, page 1", PAGE_TARGET, page(lambda _: every)),
        Question(
            "conversations, page 2 (cursor)", PAGE_TARGET, page(lambda _: every, lambda _: p.page_2)
        ),
        Question(
            "conversations, deep page (cursor 30-70% down)",
            PAGE_TARGET,
            page(lambda _: every, lambda run: pick(p.deep_cursors, run)),
        ),
        Question(
            "filter: client",
            PAGE_TARGET,
            page(lambda run: ConversationFilter(client_id=pick(p.clients, run))),
        ),
        Question(
            "filter: number (wa_id spelling)",
            PAGE_TARGET,
            page(lambda run: ConversationFilter(number=pick(p.whatsapp_numbers, run))),
        ),
        Question(
            "filter: number (CRM spelling)",
            PAGE_TARGET,
            page(lambda run: ConversationFilter(number=pick(p.crm_numbers, run))),
        ),
        Question("filter: last activity in a 7-day range", PAGE_TARGET, page(window)),
        Question("filter: linked", PAGE_TARGET, page(lambda _: ConversationFilter(linked=True))),
        Question("filter: unlinked", PAGE_TARGET, page(lambda _: ConversationFilter(linked=False))),
        Question(
            "filter: bot paused", PAGE_TARGET, page(lambda _: ConversationFilter(bot_paused=True))
        ),
        Question(
            "filter: opted out", PAGE_TARGET, page(lambda _: ConversationFilter(opted_out=True))
        ),
        Question(
            "text search, common word",
            PAGE_TARGET,
            page(lambda run: ConversationFilter(text=pick(COMMON_WORDS, run))),
        ),
        Question(
            "text search, rare word",
            PAGE_TARGET,
            page(lambda run: ConversationFilter(text=pick(RARE_WORDS, run))),
        ),
        Question(
            "text search, word in no message",
            PAGE_TARGET,
            page(lambda run: ConversationFilter(text=pick(ABSENT_WORDS, run))),
        ),
        Question(
            "messages, page 1",
            PAGE_TARGET,
            lambda run: queries.messages(pick(p.conversations, run), PAGE).items,
        ),
        Question("messages, page 2 (cursor)", PAGE_TARGET, next_messages),
        Question(
            "client lookup by phone",
            LOOKUP_TARGET,
            lambda run: lookup.by_phone(pick(p.whatsapp_numbers, run)).candidates,
        ),
        Question(f"statistics, last 7 days ({TIMEZONE})", STATISTICS_TARGET, statistics_7_days),
        Question(
            "statistics, all time (grows with size)",
            None,
            lambda _: queries.statistics(None, None, TIMEZONE),
        ),
    ]


# -- timing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    p50: float
    p95: float
    runs: int
    rows: int | None
    """Items the warm-up returned (pages, candidates): a page that is not full in the small
    database but full in the large one costs more there for that reason alone."""


def measure(question: Question, repeat: int, budget: float) -> Timing:
    """p50 and p95 in ms of ``repeat`` runs after one warm-up; a slow query stops after
    ``budget`` seconds (but not before MIN_RUNS)."""
    warm = question.run(0)
    rows = len(warm) if isinstance(warm, Sequence) else None
    samples: list[float] = []
    started = time.perf_counter()
    for run in range(1, repeat + 1):
        before = time.perf_counter()
        question.run(run)
        samples.append((time.perf_counter() - before) * 1000)
        if len(samples) >= MIN_RUNS and time.perf_counter() - started > budget:
            break
    samples.sort()
    p95 = samples[max(0, math.ceil(0.95 * len(samples)) - 1)]
    return Timing(samples[len(samples) // 2], p95, len(samples), rows)


@dataclass
class Results:
    repeat: int
    timings: dict[tuple[str, str], dict[str, Timing]] = field(default_factory=dict)
    seedings: dict[tuple[str, str], Seeding] = field(default_factory=dict)
    sizes: dict[str, Size] = field(default_factory=dict)
    targets: dict[str, float | None] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def run_target(
    backend: str, dataset: Dataset, options: argparse.Namespace, results: Results
) -> None:
    size = dataset.size
    target = Target(backend, size, options)
    try:
        log(f"{target.label}: seeding {size.messages:,} messages, {size.clients:,} clients")
        results.seedings[(backend, size.name)] = seeding = target.seed(dataset)
        log(
            f"{target.label}: rows {seeding.rows_seconds:.1f} s, indexes "
            f"{seeding.index_seconds:.1f} s, phone index {seeding.phone_index_seconds:.1f} s"
        )
        queries = SqlConversationQueries(target.database, CURSORS)
        lookup = SqlClientLookup(target.database, CRM_TABLE)
        params = parameters(dataset, target, max(options.repeat + 1, 10))
        timings: dict[str, Timing] = {}
        for question in questions(queries, lookup, params):
            timings[question.name] = measure(question, options.repeat, options.budget)
            results.targets[question.name] = question.target
            log(f"{target.label}: {question.name}: {timings[question.name].p50:.2f} ms")
        results.timings[(backend, size.name)] = timings
    finally:
        target.close()


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def log(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# -- the report ------------------------------------------------------------------------


def cell(timing: Timing | None, repeat: int) -> str:
    if timing is None:
        return "—"
    mark = "*" if timing.runs < repeat else ""
    return f"{timing.p50:.2f} / {timing.p95:.2f}{mark}"


def row_counts(timings: Sequence[Timing | None]) -> str:
    counts = [str(t.rows) for t in timings if t is not None and t.rows is not None]
    return " / ".join(counts) if counts else "—"


def verdict(small: Timing | None, large: Timing | None, target: float | None) -> tuple[str, str]:
    if small is None or large is None:
        return "—", "—"
    ratio = large.p50 / small.p50
    if target is None:
        return f"{ratio:.2f}", "no target"
    return f"{ratio:.2f}", "yes" if ratio <= target else "**NO**"


def print_report(results: Results, backends: Sequence[str], sizes: Sequence[Size]) -> None:
    names = [s.name for s in sizes]
    print(f"\np50 / p95 in ms over {results.repeat} runs (* fewer: the time budget ran out);")
    print(f"ratio = large p50 / small p50; page size {PAGE}; rows = items the first call returned")
    print()
    header = ["query", "target", "rows " + " / ".join(names)]
    for backend in backends:
        header += [f"{BACKEND_NAMES[backend]} {n}" for n in names] + ["ratio", "meets"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name, target in results.targets.items():
        first = [results.timings.get((backends[0], n), {}).get(name) for n in names]
        row = [name, f"≤ {target:g}×" if target else "—", row_counts(first)]
        for backend in backends:
            found = [results.timings.get((backend, n), {}).get(name) for n in names]
            row += [cell(t, results.repeat) for t in found]
            small = found[0] if names[0] == "small" else None
            large = found[-1] if names[-1] == "large" else None
            row += list(verdict(small, large, target))
        print("| " + " | ".join(row) + " |")
    print_seeding(results)


def print_seeding(results: Results) -> None:
    print("\nSeeding (rows: generate + bulk insert; indexes built after the load)\n")
    print(
        "| database | messages | conversations | CRM clients | rows s | indexes s "
        "| phone index rebuild s | numbers indexed (unparseable) | (VACUUM) ANALYZE s | size MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for (backend, size_name), s in results.seedings.items():
        size = results.sizes[size_name]
        print(
            f"| {BACKEND_NAMES[backend]} {size_name} | {size.messages:,} | "
            f"{size.conversations:,} | {size.clients:,} | {s.rows_seconds:.1f} | "
            f"{s.index_seconds:.1f} | {s.phone_index_seconds:.1f} | {s.numbers_indexed:,} "
            f"({s.unparseable:,}) | "
            f"{s.analyze_seconds:.1f} | {s.megabytes:,.0f} |"
        )
    for failure in results.failures:
        print(f"\nnot measured: {failure}")


def versions(backends: Sequence[str], url: str) -> str:
    found = [f"Python {platform.python_version()}"]
    if "sqlite" in backends:
        found.append(f"SQLite {sqlite3.sqlite_version}")
    if "postgresql" in backends:
        with contextlib.suppress(SQLAlchemyError):
            engine = create_engine(url)
            try:
                with engine.connect() as connection:
                    version = connection.execute(text("SHOW server_version")).scalar()
                    found.append(f"PostgreSQL {version}")
            finally:
                engine.dispose()
    return ", ".join(found)


def parse_options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--sizes", default="small,large", help="small,large (default both)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per query")
    parser.add_argument(
        "--budget", type=float, default=20.0, help="seconds per query before stopping early"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_VARIABLE) or LOCAL_POSTGRES,
        help=f"default: ${POSTGRES_URL_VARIABLE}, else the local test server",
    )
    parser.add_argument("--sqlite-dir", default=None, help="default: a temporary directory")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args(argv)
    if options.repeat is None:
        options.repeat = 5 if options.quick else 30
    return options


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_options(argv)
    catalog = QUICK_SIZES if options.quick else FULL_SIZES
    sizes = [catalog[name.strip()] for name in options.sizes.split(",") if name.strip()]
    backends = [b.strip() for b in options.backends.split(",") if b.strip()]
    for backend in backends:
        if backend not in BACKENDS:
            raise SystemExit(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
    print(f"SQL inbox queries, {versions(backends, options.postgres_url)}")
    results = Results(options.repeat, sizes={s.name: s for s in sizes})
    with contextlib.ExitStack() as stack:
        if options.sqlite_dir is None:
            options.sqlite_dir = stack.enter_context(tempfile.TemporaryDirectory())
        for size in sizes:
            started = time.perf_counter()
            dataset = Dataset(size, options.seed)
            log(f"{size.name}: planned in {time.perf_counter() - started:.1f} s")
            for backend in backends:
                try:
                    run_target(backend, dataset, options, results)
                except (SQLAlchemyError, StorageUnavailable) as exc:
                    first = str(exc).strip().splitlines()[0]
                    results.failures.append(f"{BACKEND_NAMES[backend]} {size.name}: {first}")
                    log(f"{BACKEND_NAMES[backend]} {size.name} failed: {first}")
    print_report(results, backends, sizes)


if __name__ == "__main__":
    main()
