"""The bot's configuration as plain data, with Spanish defaults for every text.

Adapters load it from TOML/YAML/JSON; constructing it validates it, so a rules object that
exists can always be used by ``decide``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_whatsapp.domain.conversation import SERVICE_WINDOW
from crm_whatsapp.domain.errors import InvalidBotRules
from crm_whatsapp.domain.interactive import InteractiveContent
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.policy.text import contains_phrase, normalize

DEFAULT_GREETING_KNOWN = "¡Hola {nombre}! Gracias por escribirnos. ¿En qué podemos ayudarte?"
DEFAULT_GREETING_UNKNOWN = (
    "¡Hola! Gracias por escribirnos. ¿En qué podemos ayudarte? "
    "Si prefieres hablar con una persona, escribe ASESOR."
)
DEFAULT_AFTER_HOURS = (
    "Gracias por tu mensaje. En este momento estamos fuera de horario; "
    "te responderemos en cuanto abramos."
)
DEFAULT_OPT_OUT_REPLY = "Listo, ya no te enviaremos mensajes. Si cambias de opinión, escribe ALTA."
DEFAULT_OPT_IN_REPLY = "¡Listo! Volverás a recibir nuestros mensajes."
DEFAULT_HANDOFF_REPLY = "Enseguida te atiende una persona de nuestro equipo. Gracias por esperar."
DEFAULT_MEDIA_ACK = "Recibimos tu archivo, gracias. Lo revisaremos en breve."
DEFAULT_FALLBACK = "Gracias por tu mensaje. Si quieres hablar con una persona, escribe ASESOR."

WEEKDAYS = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")


def _normalized_keywords(field_name: str, keywords: tuple[str, ...]) -> tuple[str, ...]:
    normalized = tuple(normalize(k) for k in keywords)
    for original, norm in zip(keywords, normalized, strict=True):
        if not norm:
            raise InvalidBotRules(field_name, f"keyword {original!r} has no letters or digits")
    return normalized


@dataclass(frozen=True, slots=True)
class KeywordRule:
    """Answer ``reply`` (or ``template``, or ``interactive`` buttons or a list) when any
    keyword or regex matches, or when the customer chose one of ``reply_ids``.

    Keywords match as whole words anywhere in the message; regexes are searched in the
    normalized text (lower case, no accents), so write them in lower case without accents.
    ``reply_ids`` are the ids of buttons or list rows (or a template's quick-reply payload):
    a customer's choice is matched by its id, before any keyword. Higher ``priority`` wins;
    equal priorities keep the order of the file.
    """

    name: str
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    reply: str | None = None
    template: TemplateMessage | None = None
    priority: int = 0
    interactive: InteractiveContent | None = None
    reply_ids: tuple[str, ...] = ()
    _keys: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _regexes: tuple[re.Pattern[str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"rules[{self.name!r}]"
        if not self.name.strip():
            raise InvalidBotRules("rules", "every rule needs a name")
        if not self.keywords and not self.patterns and not self.reply_ids:
            raise InvalidBotRules(where, "needs at least one keyword, pattern or reply id")
        answers = (self.reply, self.template, self.interactive)
        if sum(answer is not None for answer in answers) != 1:
            raise InvalidBotRules(
                where,
                "needs exactly one answer: reply, template or interactive (buttons or a list)",
            )
        if any(not choice.strip() for choice in self.reply_ids):
            raise InvalidBotRules(f"{where}.reply_ids", "an id must not be empty")
        if self.reply is not None and not self.reply.strip():
            raise InvalidBotRules(f"{where}.reply", "must not be empty")
        regexes = []
        for pattern in self.patterns:
            try:
                regexes.append(re.compile(pattern))
            except re.error as exc:
                raise InvalidBotRules(f"{where}.patterns", f"{pattern!r}: {exc}") from exc
        object.__setattr__(self, "_keys", _normalized_keywords(f"{where}.keywords", self.keywords))
        object.__setattr__(self, "_regexes", tuple(regexes))

    def answers_choice(self, chosen_id: str) -> bool:
        """Whether the customer's button or list choice (its id) is one this rule answers."""
        return chosen_id in self.reply_ids

    def matches(self, normalized_text: str) -> bool:
        return contains_phrase(normalized_text, self._keys) or any(
            rx.search(normalized_text) for rx in self._regexes
        )


@dataclass(frozen=True, slots=True)
class OpeningHours:
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise InvalidBotRules(
                "business_hours",
                f"opening {self.start:%H:%M} must be before closing {self.end:%H:%M}",
            )

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class BusinessHours:
    """When people are there to answer; outside, the bot says so once per ``notice_every``.

    ``weekly`` maps a weekday (0 = Monday) to its opening hours in ``timezone``; missing
    days and ``closed_dates`` (holidays, local dates) are closed all day.
    """

    timezone: str = "America/Mexico_City"
    weekly: Mapping[int, tuple[OpeningHours, ...]] = field(
        default_factory=lambda: (
            {day: (OpeningHours(time(9), time(18)),) for day in range(5)}
            | {5: (OpeningHours(time(9), time(14)),)}
        )
    )
    closed_dates: frozenset[date] = frozenset()
    after_hours_reply: str = DEFAULT_AFTER_HOURS
    notice_every: timedelta = timedelta(hours=12)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "America" is a folder
            raise InvalidBotRules(
                "business_hours.timezone", f"unknown timezone {self.timezone!r}"
            ) from exc
        if any(day not in range(7) for day in self.weekly):
            raise InvalidBotRules("business_hours.weekly", "weekdays go from 0 (Monday) to 6")
        if self.notice_every <= timedelta(0):
            raise InvalidBotRules("business_hours.notice_every", "must be positive")

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_open(self, at: datetime) -> bool:
        local = at.astimezone(self.zone)
        if local.date() in self.closed_dates:
            return False
        return any(h.contains(local.time()) for h in self.weekly.get(local.weekday(), ()))


@dataclass(frozen=True, slots=True)
class FloodLimit:
    """At most ``max_replies`` bot replies per conversation in any ``window``."""

    max_replies: int = 5
    window: timedelta = timedelta(minutes=10)

    def __post_init__(self) -> None:
        if self.max_replies < 1:
            raise InvalidBotRules("flood_limit.max_replies", "must be at least 1")
        if self.window <= timedelta(0):
            raise InvalidBotRules("flood_limit.window", "must be positive")


@dataclass(frozen=True)
class BotRules:
    """Everything the bot knows. Every text may use ``{placeholders}``: the client's fields
    (``{nombre}``, ``{cliente_id}``, extra columns), ``{perfil}`` (WhatsApp profile name) and
    ``{numero}``. A text set to ``None`` turns that answer off.
    """

    greeting_known: str | None = DEFAULT_GREETING_KNOWN
    greeting_unknown: str | None = DEFAULT_GREETING_UNKNOWN
    greet_again_after: timedelta = timedelta(hours=12)
    rules: tuple[KeywordRule, ...] = ()
    business_hours: BusinessHours | None = None
    opt_out_keywords: tuple[str, ...] = ("baja", "stop")
    opt_out_reply: str | None = DEFAULT_OPT_OUT_REPLY
    opt_in_keywords: tuple[str, ...] = ("alta", "start")
    opt_in_reply: str | None = DEFAULT_OPT_IN_REPLY
    handoff_keywords: tuple[str, ...] = ("asesor", "agente", "humano")
    handoff_reply: str | None = DEFAULT_HANDOFF_REPLY
    media_ack: str | None = DEFAULT_MEDIA_ACK
    fallback_reply: str | None = DEFAULT_FALLBACK
    flood_limit: FloodLimit = field(default_factory=FloodLimit)
    max_message_age: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        opt_out = set(_normalized_keywords("opt_out_keywords", self.opt_out_keywords))
        opt_in = set(_normalized_keywords("opt_in_keywords", self.opt_in_keywords))
        _normalized_keywords("handoff_keywords", self.handoff_keywords)
        if opt_out & opt_in:
            raise InvalidBotRules(
                "opt_in_keywords", f"also opt-out keywords: {sorted(opt_out & opt_in)}"
            )
        if not timedelta(0) < self.max_message_age <= SERVICE_WINDOW:
            raise InvalidBotRules(
                "max_message_age", "must be positive and at most 24 hours (the service window)"
            )
        if self.greet_again_after <= timedelta(0):
            raise InvalidBotRules("greet_again_after", "must be positive")
        names = [rule.name for rule in self.rules]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidBotRules("rules", f"duplicate rule names: {duplicates}")

    @cached_property
    def opt_out_keys(self) -> frozenset[str]:
        return frozenset(normalize(k) for k in self.opt_out_keywords)

    @cached_property
    def opt_in_keys(self) -> frozenset[str]:
        return frozenset(normalize(k) for k in self.opt_in_keywords)

    @cached_property
    def handoff_keys(self) -> tuple[str, ...]:
        return tuple(normalize(k) for k in self.handoff_keywords)

    @cached_property
    def rules_by_priority(self) -> tuple[KeywordRule, ...]:
        return tuple(sorted(self.rules, key=lambda rule: -rule.priority))

    @property
    def remember_bot_replies_for(self) -> timedelta:
        return self.flood_limit.window
