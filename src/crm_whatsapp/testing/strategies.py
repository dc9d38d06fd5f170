"""Hypothesis strategies for the domain: customers, messages, conversations, bot rules,
WhatsApp templates.

Our own property tests use these, and so can yours::

    from hypothesis import given
    from crm_whatsapp.testing import conversations, inbound_messages, NOW

    @given(conversations(), inbound_messages())
    def test_my_rules_never_answer_opted_out(conversation, message): ...
"""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta, timezone

from hypothesis import strategies as st

from crm_whatsapp.domain.conversation import Conversation, ConversationStatus
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.message import (
    Author,
    Direction,
    IncomingMessage,
    Message,
    MessageKind,
    Processing,
)
from crm_whatsapp.domain.policy.rules import (
    BotRules,
    BusinessHours,
    FloodLimit,
    KeywordRule,
    OpeningHours,
)
from crm_whatsapp.domain.templates import (
    APPROVED,
    CATEGORIES,
    STATUSES,
    ButtonType,
    HeaderFormat,
    ParameterFormat,
    Placeholder,
    Template,
    TemplateButton,
    TemplateHeader,
    placeholders,
)
from crm_whatsapp.testing.builders import DEFAULT_BUSINESS_NUMBER_ID
from crm_whatsapp.testing.phones import wa_ids

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
"""A fixed "now" (a Tuesday afternoon) that the time strategies spread around."""

BUSINESS_NUMBER_ID = DEFAULT_BUSINESS_NUMBER_ID

_CAPTIONED = frozenset({MessageKind.IMAGE, MessageKind.VIDEO, MessageKind.DOCUMENT})
_ACCENTED = "áéíóúüñÁÉÍÓÚÜÑ¿¡"
_WORDS = st.sampled_from(
    [
        "hola",
        "precio",
        "precios",
        "horario",
        "gracias",
        "pedido",
        "envío",
        "factura",
        "asesor",
        "agente",
        "humano",
        "baja",
        "alta",
        "stop",
        "start",
        "buenas",
        "tardes",
        "quiero",
        "información",
        "dónde",
        "están",
        "ubicación",
        "😀",
        "👍",
        "?",
        "!",
        ",",
    ]
)


def user_ids() -> st.SearchStrategy[str]:
    """Business-scoped user ids as Meta formats them (country prefix, dot, digits)."""
    return st.builds(
        lambda cc, n: f"{cc}.{n}",
        st.sampled_from(["MX", "AR", "BR", "CO", "ES", "US"]),
        st.integers(10**14, 10**16),
    )


def customer_identities() -> st.SearchStrategy[CustomerIdentity]:
    """Mostly wa_id customers, some with a BSUID too, some with only a BSUID (no phone)."""
    with_phone = st.builds(CustomerIdentity.from_wa_id, wa_ids(), st.none() | user_ids())
    only_bsuid = st.builds(lambda uid: CustomerIdentity(user_id=uid), user_ids())
    return st.one_of(with_phone, with_phone, with_phone, only_bsuid)


def moments(
    around: datetime = NOW, before: timedelta = timedelta(days=3), after: timedelta = timedelta(0)
) -> st.SearchStrategy[datetime]:
    """Timezone-aware instants (second precision, like WhatsApp's timestamps)."""
    seconds = st.integers(-int(before.total_seconds()), int(after.total_seconds()))
    return seconds.map(lambda s: around + timedelta(seconds=s))


def message_texts(extra_words: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Texts people write: known keywords in any case, accents, emoji, punctuation."""
    words = _WORDS | st.sampled_from(extra_words) if extra_words else _WORDS
    phrase = st.lists(words, min_size=1, max_size=6).map(" ".join)
    noisy = st.text(string.ascii_letters + string.digits + _ACCENTED + " .,!?", max_size=60)
    return st.one_of(phrase, phrase.map(str.upper), phrase.map(str.title), noisy)


def clients() -> st.SearchStrategy[ClientRef]:
    return st.builds(
        ClientRef,
        id=st.integers(1, 10**6).map(str),
        name=st.sampled_from(["Ana López", "José Pérez", "María Fernández", "Íñigo Núñez"]),
        fields=st.fixed_dictionaries({}, optional={"ciudad": st.sampled_from(["CDMX", "Lima"])}),
    )


def inbound_messages(
    conversation_id: str = "conversation-1",
    sent: st.SearchStrategy[datetime] | None = None,
    now: datetime = NOW,
) -> st.SearchStrategy[Message]:
    """Stored inbound messages of any kind, sent up to three days before ``now``."""
    kinds = st.sampled_from(list(MessageKind))
    return st.builds(
        lambda mid, kind, text, at, wamid: Message(
            id=f"m-{mid}",
            conversation_id=conversation_id,
            direction=Direction.INBOUND,
            kind=kind,
            created_at=now,
            author=Author.customer(),
            text=text if kind.carries_words or kind in _CAPTIONED else None,
            wamid=f"wamid.{wamid}",
            whatsapp_timestamp=at,
            processing=Processing(),
        ),
        st.integers(1, 10**9),
        kinds,
        message_texts() | st.none(),
        sent if sent is not None else moments(now),
        st.uuids().map(str),
    )


def incoming_messages(
    customers: st.SearchStrategy[CustomerIdentity] | None = None,
    business_number_id: str = BUSINESS_NUMBER_ID,
    sent: st.SearchStrategy[datetime] | None = None,
) -> st.SearchStrategy[IncomingMessage]:
    """Webhook messages (before storage), mostly text, some media and reactions."""
    kinds = st.sampled_from([MessageKind.TEXT] * 6 + [MessageKind.IMAGE, MessageKind.REACTION])
    return st.builds(
        lambda customer, wamid, kind, text, at, name: IncomingMessage(
            business_number_id=business_number_id,
            customer=customer,
            wamid=wamid,
            kind=kind,
            timestamp=at,
            text=text if kind is MessageKind.TEXT else None,
            profile_name=name,
        ),
        customers if customers is not None else customer_identities(),
        st.uuids().map(lambda u: f"wamid.{u.hex}"),
        kinds,
        message_texts(),
        sent if sent is not None else moments(NOW, before=timedelta(minutes=30)),
        st.none() | st.sampled_from(["Ana", "Pepe 🙂", "María José"]),
    )


def conversations(
    now: datetime = NOW, customers: st.SearchStrategy[CustomerIdentity] | None = None
) -> st.SearchStrategy[Conversation]:
    """Conversations in any state: linked or not, paused, assigned (by name, sometimes with
    the agent's id), opted out, open, pending or resolved, with bot history."""

    @st.composite
    def build(draw: st.DrawFn) -> Conversation:
        started = draw(moments(now, before=timedelta(days=30)))
        last_inbound = draw(st.none() | moments(now, before=now - started))
        client = draw(st.none() | clients())
        paused = draw(st.booleans())
        agent = draw(st.sampled_from(["Laura", None])) if paused else None
        agent_id = draw(st.sampled_from(["agent-7", None])) if agent else None
        return Conversation(
            id=draw(st.integers(1, 10**6).map(lambda n: f"conversation-{n}")),
            business_number_id=BUSINESS_NUMBER_ID,
            customer=draw(customers if customers is not None else customer_identities()),
            started_at=started,
            last_activity_at=max(started, last_inbound or started),
            profile_name=draw(st.none() | st.sampled_from(["Ana", "Luis"])),
            client_id=client.id if client else None,
            client_name=client.name if client else None,
            last_inbound_at=last_inbound,
            unread_count=draw(st.integers(0, 20)),
            bot_paused=paused,
            assigned_agent=agent,
            assigned_agent_id=agent_id,
            status=draw(st.sampled_from(ConversationStatus)),
            opted_out=draw(st.booleans()),
            recent_bot_replies=tuple(
                sorted(draw(st.lists(moments(now, before=timedelta(hours=1)), max_size=8)))
            ),
            after_hours_notice_at=draw(st.none() | moments(now, before=timedelta(days=1))),
        )

    return build()


def keyword_rules(max_rules: int = 4) -> st.SearchStrategy[tuple[KeywordRule, ...]]:
    keyword = st.text(string.ascii_lowercase, min_size=3, max_size=8)
    rule = st.builds(
        lambda name, keys, priority: KeywordRule(
            name=name, keywords=tuple(keys), reply=f"Respuesta {name}", priority=priority
        ),
        st.text(string.ascii_lowercase, min_size=1, max_size=6),
        st.lists(keyword, min_size=1, max_size=3, unique=True),
        st.integers(-5, 5),
    )
    return st.lists(rule, max_size=max_rules, unique_by=lambda r: r.name).map(tuple)


def business_hours() -> st.SearchStrategy[BusinessHours]:
    hours = st.builds(
        lambda start, length: OpeningHours(time(start), time(min(start + length, 23), 59)),
        st.integers(0, 20),
        st.integers(1, 10),
    )
    return st.builds(
        BusinessHours,
        timezone=st.sampled_from(
            ["America/Mexico_City", "America/Argentina/Buenos_Aires", "Europe/Madrid", "UTC"]
        ),
        weekly=st.dictionaries(st.integers(0, 6), hours.map(lambda h: (h,)), max_size=7),
        notice_every=st.integers(1, 48).map(lambda h: timedelta(hours=h)),
    )


def bot_rules() -> st.SearchStrategy[BotRules]:
    """Any valid configuration: texts on or off, hours or not, tight or loose limits."""
    text = st.none() | st.sampled_from(["Hola {nombre}", "Hola {perfil}", "Gracias", "¡Listo!"])
    return st.builds(
        BotRules,
        greeting_known=text,
        greeting_unknown=text,
        rules=keyword_rules(),
        business_hours=st.none() | business_hours(),
        opt_out_reply=text,
        opt_in_reply=text,
        handoff_reply=text,
        media_ack=text,
        fallback_reply=text,
        flood_limit=st.builds(
            FloodLimit,
            max_replies=st.integers(1, 6),
            window=st.integers(1, 120).map(lambda m: timedelta(minutes=m)),
        ),
        max_message_age=st.integers(1, 24 * 60).map(lambda m: timedelta(minutes=m)),
    )


_TEMPLATE_WORDS = (
    "Hola",
    "tu",
    "pedido",
    "está",
    "listo",
    "gracias",
    "cita",
    "mañana",
    "🙂",
    "¡Oferta!",
)
_NAMED_VARIABLES = ("nombre", "pedido", "fecha", "monto", "sucursal", "codigo_1")
_ANY_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
"""Any text a database can hold (PostgreSQL refuses NUL), to stress storage."""


def templates(now: datetime = NOW) -> st.SearchStrategy[Template]:
    """Templates as Meta lists them, in any status, category and language: positional
    (``{{1}}``) or named (``{{nombre}}``) values whose placeholders match the texts, with or
    without a header (text with or without a value, a file, a location), a footer, and
    buttons of every type (a URL with a variable suffix, a copy code, a phone number…).
    Half the words are any text a database can hold (accents, emoji, control characters), so
    storage and rendering meet more than tidy Spanish."""

    @st.composite
    def build(draw: st.DrawFn) -> Template:
        named = draw(st.booleans())
        pool = _NAMED_VARIABLES if named else tuple(str(i) for i in range(1, 7))
        count = draw(st.integers(0, len(pool)))
        examples = tuple(draw(st.lists(_ANY_TEXT, max_size=count)))
        word = st.sampled_from(_TEMPLATE_WORDS) | _ANY_TEXT
        words = draw(st.lists(word, min_size=count + 1, max_size=count + 1))
        body = words[0] + "".join(
            f" {{{{{v}}}}} {w}" for v, w in zip(pool[:count], words[1:], strict=True)
        )
        name = draw(st.text(string.ascii_lowercase + string.digits + "_", min_size=1, max_size=40))
        status = draw(st.sampled_from((*STATUSES, "IN_APPEAL", "LIMIT_EXCEEDED")))
        return Template(
            name=name,
            language=draw(st.sampled_from(["es", "es_MX", "es_AR", "en_US", "pt_BR"])),
            status=status,
            category=draw(st.sampled_from(CATEGORIES)),
            body=body,
            parameter_format=ParameterFormat.NAMED if named else ParameterFormat.POSITIONAL,
            header=draw(_template_headers(pool[0])),
            footer=draw(st.none() | _ANY_TEXT),
            buttons=draw(_template_buttons()),
            body_parameters=placeholders(body, examples),
            meta_id=draw(st.none() | st.integers(10**14, 10**16).map(str)),
            quality=draw(st.none() | st.sampled_from(["GREEN", "YELLOW", "RED", "UNKNOWN"])),
            reason=None if status == APPROVED else draw(st.none() | _ANY_TEXT),
            updated_at=draw(st.none() | _instants(now)),
        )

    return build()


def _instants(now: datetime) -> st.SearchStrategy[datetime]:
    """Microsecond instants in the month before ``now``, in assorted time zones."""
    zones = st.sampled_from([UTC, timezone(timedelta(hours=-6)), timezone(timedelta(hours=5.5))])
    micros = st.integers(-30 * 86_400 * 10**6, 0).map(lambda us: now + timedelta(microseconds=us))
    return st.builds(lambda at, zone: at.astimezone(zone), micros, zones)


def _template_headers(variable: str) -> st.SearchStrategy[TemplateHeader | None]:
    with_value = st.builds(
        lambda text, example: TemplateHeader(
            HeaderFormat.TEXT, f"{text} {{{{{variable}}}}}", Placeholder(variable, example)
        ),
        _ANY_TEXT,
        st.none() | _ANY_TEXT,
    )
    plain = st.builds(lambda text: TemplateHeader(HeaderFormat.TEXT, text), _ANY_TEXT)
    files = st.sampled_from([HeaderFormat.IMAGE, HeaderFormat.DOCUMENT, HeaderFormat.VIDEO])
    others = st.builds(TemplateHeader, files | st.just(HeaderFormat.LOCATION))
    return st.none() | with_value | plain | others


def _template_buttons() -> st.SearchStrategy[tuple[TemplateButton, ...]]:
    example = st.none() | _ANY_TEXT
    url = "https://ejemplo.mx/pedido/{{1}}"
    button = st.one_of(
        st.builds(lambda t: TemplateButton(0, ButtonType.QUICK_REPLY, t), _ANY_TEXT),
        st.just(TemplateButton(0, ButtonType.URL, "Ver", url="https://ejemplo.mx/ayuda")),
        st.builds(
            lambda e: TemplateButton(
                0, ButtonType.URL, "Mi pedido", url, None, Placeholder("1", e)
            ),
            example,
        ),
        st.builds(
            lambda e: TemplateButton(0, ButtonType.COPY_CODE, parameter=Placeholder("code", e)),
            example,
        ),
        st.just(
            TemplateButton(0, ButtonType.PHONE_NUMBER, "Llamar", phone_number="+5215512345678")
        ),
        st.builds(lambda t: TemplateButton(0, ButtonType.OTHER, t), _ANY_TEXT),
    )
    return st.lists(button, max_size=4).map(
        lambda found: tuple(replace(b, index=i) for i, b in enumerate(found))
    )
