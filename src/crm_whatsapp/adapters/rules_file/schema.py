"""What a rules file may say, and what it means as the domain's ``BotRules``.

The notations people write by hand (durations, opening hours, weekdays, dates, texts that
can be turned off) are parsed from what TOML, YAML or JSON produced, each raising
``ValueError`` with a sentence a shop owner can act on; pydantic puts the location in front
of it.

The pydantic models are strict everywhere: a number where a text belongs, ``"5"`` for a
count, or a misspelled key (``replly``) is an error, never a guess. Defaults come from the
domain's dataclasses, so a key left out of the file keeps the built-in (Spanish) value.

What the domain checks itself (regexes, keyword overlaps, duplicate rule names) is left to
the domain's dataclasses, which name a rule by its ``name``; a file's reader looks for its
position, so ``rules['precios']`` is reported as ``rules[1]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator

from crm_whatsapp.adapters.rules_file.interactive_schema import (
    ButtonFile,
    ListFile,
    rule_interactive,
)
from crm_whatsapp.domain.errors import InvalidBotRules
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.policy.rules import (
    WEEKDAYS,
    BotRules,
    BusinessHours,
    FloodLimit,
    KeywordRule,
    OpeningHours,
)
from crm_whatsapp.domain.policy.text import normalize

DURATION_FORMS = "a number of seconds or a text like '90s', '10m', '12h', '1d' or '1h30m'"
_DURATION = re.compile(
    r"(?:(?P<d>[0-9]{1,9})d)?(?:(?P<h>[0-9]{1,9})h)?(?:(?P<m>[0-9]{1,9})m)?(?:(?P<s>[0-9]{1,9})s)?"
)
_HOURS = re.compile(r"([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ENGLISH_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOSED = frozenset({"cerrado", "closed"})
WEEKDAY_FORMS = "lunes … domingo, monday … sunday, or 0 (Monday) to 6"


def duration(value: object) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"expected {DURATION_FORMS}, got {describe(value)}")
    try:
        if isinstance(value, str):
            return _duration_text(value)
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number of seconds, got {value}")
        return timedelta(seconds=value)
    except OverflowError:
        raise ValueError("too long a duration") from None


def _duration_text(text: str) -> timedelta:
    match = _DURATION.fullmatch("".join(text.split()).lower())
    if not text.strip() or match is None:
        raise ValueError(f"{text!r} is not {DURATION_FORMS}")
    parts = {unit: int(amount or 0) for unit, amount in match.groupdict().items()}
    return timedelta(days=parts["d"], hours=parts["h"], minutes=parts["m"], seconds=parts["s"])


def optional_text(value: object) -> object:
    """TOML has no null, so ``false`` turns an answer off in every format."""
    if value is False:
        return None
    if value is True:
        raise ValueError("true is not a text: write the text, or false to turn it off")
    return value


def not_blank(text: str) -> str:
    """WhatsApp refuses an empty message, so an empty answer would fail at sending time."""
    if not text.strip():
        raise ValueError("must not be empty (to turn an answer off, write false)")
    return text


def timezone(name: str) -> str:
    """Checked here too: a directory of the zone database ("America") is no timezone."""
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        raise ValueError(
            f"unknown timezone {name!r} (write it like 'America/Mexico_City')"
        ) from None
    return name


def opening_hours(value: object) -> OpeningHours:
    """``"09:00-18:00"``; ``24:00`` closes at the end of the day."""
    if not isinstance(value, str):
        raise ValueError(f"expected opening hours like '09:00-18:00', got {describe(value)}")
    match = _HOURS.fullmatch("".join(value.split()))
    if match is None:
        raise ValueError(f"{value!r} is not opening hours like '09:00-18:00'")
    start = _time_of_day(match[1], match[2], closing=False)
    end = _time_of_day(match[3], match[4], closing=True)
    try:
        return OpeningHours(start, end)
    except InvalidBotRules as error:
        raise ValueError(error.problem) from None


def _time_of_day(hours: str, minutes: str, *, closing: bool) -> time:
    hour, minute = int(hours), int(minutes)
    if closing and (hour, minute) == (24, 0):
        return time.max
    if hour > 23 or minute > 59:
        raise ValueError(f"{hours}:{minutes} is not a time of day")
    return time(hour, minute)


def day_hours(value: object) -> object:
    """One day: a text, a list of texts, or ``cerrado``/``closed`` (an empty list too)."""
    if isinstance(value, str):
        if normalize(value) in _CLOSED:
            return ()
        opening_hours(value)  # a bad single text is reported at the day, not at [0]
        return (value,)
    if isinstance(value, list):
        return tuple(value)
    raise ValueError(
        f"expected hours like '09:00-18:00', a list of them, or 'cerrado', got {describe(value)}"
    )


def weekday(value: object) -> int:
    number = _weekday_or_none(value)
    if number is None:
        raise ValueError(f"{value!r} is not a weekday: use {WEEKDAY_FORMS}")
    return number


def distinct_weekdays(value: object) -> object:
    """Two spellings of one day (``sábado`` and ``saturday``) would silently drop one."""
    if isinstance(value, Mapping):
        seen: dict[int, object] = {}
        for key in value:
            number = _weekday_or_none(key)
            if number is not None and number in seen:
                raise ValueError(f"{seen[number]!r} and {key!r} are the same day")
            if number is not None:
                seen[number] = key
    return value


def _weekday_or_none(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    name = normalize(str(value))
    for names in (WEEKDAYS, _ENGLISH_WEEKDAYS, tuple("0123456")):
        if name in names:
            return names.index(name)
    return None


def calendar_date(value: object) -> date:
    """A TOML or YAML date, or an ISO text (JSON has no dates)."""
    if isinstance(value, datetime):
        raise ValueError("expected a date without a time, like 2026-12-25")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(f"{value!r} is not a date like 2026-12-25")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the calendar") from None
    raise ValueError(f"expected a date like 2026-12-25, got {describe(value)}")


def describe(value: object) -> str:
    """What a value is, in the words of a configuration file."""
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "a boolean"),
        (int, "a whole number"),
        (float, "a number"),
        (str, "a text"),
        ((list, tuple), "a list"),
        (Mapping, "a mapping"),
        (datetime, "a date and time"),
        (date, "a date"),
        (time, "a time of day"),
    ]
    if value is None:
        return "null"
    return next((name for kind, name in kinds if isinstance(value, kind)), type(value).__name__)


def template_values(value: object) -> list[str] | dict[str, str]:
    """A rule template's values, as the API takes them: a list for ``{{1}}``, ``{{2}}``…
    in order, a table for named values (``{{nombre}}``)."""
    if isinstance(value, (list, tuple)):
        for number, item in enumerate(value, start=1):
            if not isinstance(item, str):
                raise ValueError(f"value {number} must be a text, got {describe(item)}")
        return list(value)
    if isinstance(value, Mapping):
        for name, item in value.items():
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"a named value needs a name, got {describe(name)}")
            if not isinstance(item, str):
                raise ValueError(f"value {name!r} must be a text, got {describe(item)}")
        return dict(value)
    raise ValueError(
        "expected a list (for {{1}}, {{2}}…) or a table of named values, "
        f"got {describe(value)}"
    )


Text = Annotated[str, AfterValidator(not_blank)]
OptionalText = Annotated[Text | None, BeforeValidator(optional_text)]
Duration = Annotated[timedelta, PlainValidator(duration)]
Timezone = Annotated[str, AfterValidator(timezone)]
Hours = Annotated[OpeningHours, PlainValidator(opening_hours)]
DayHours = Annotated[tuple[Hours, ...], BeforeValidator(day_hours)]
Weekday = Annotated[int, PlainValidator(weekday)]
Weekly = Annotated[dict[Weekday, DayHours], BeforeValidator(distinct_weekdays)]
CalendarDate = Annotated[date, PlainValidator(calendar_date)]

_DEFAULT_RULES = BotRules()
_DEFAULT_HOURS = BusinessHours()
_FLOOD = FloodLimit()
_TEMPLATE_LANGUAGE = TemplateMessage("any").language


class FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TemplateFile(FileModel):
    """A rule's template; ``parameters`` as the API takes them: a list for ``{{1}}``,
    ``{{2}}``… in order, a table for named values (``{{nombre}}``)."""

    name: Text
    language: Text = _TEMPLATE_LANGUAGE
    parameters: Annotated[list[str] | dict[str, str], PlainValidator(template_values)] = []


class RuleFile(FileModel):
    name: str
    keywords: list[str] = []
    patterns: list[str] = []
    reply: Text | None = None
    template: TemplateFile | None = None
    priority: int = 0
    buttons: list[ButtonFile] | None = None
    choices: ListFile | None = Field(default=None, alias="list")
    header: str | None = None
    footer: str | None = None
    reply_ids: list[str] = []


class BusinessHoursFile(FileModel):
    timezone: Timezone = _DEFAULT_HOURS.timezone
    weekly: Weekly = Field(default_factory=lambda: dict(_DEFAULT_HOURS.weekly))
    closed_dates: list[CalendarDate] = []
    after_hours_reply: Text = _DEFAULT_HOURS.after_hours_reply
    notice_every: Duration = _DEFAULT_HOURS.notice_every


class FloodLimitFile(FileModel):
    max_replies: int = _FLOOD.max_replies
    window: Duration = _FLOOD.window


class BotRulesFile(FileModel):
    """The top level: one key per ``BotRules`` field, with the same names."""

    greeting_known: OptionalText = _DEFAULT_RULES.greeting_known
    greeting_unknown: OptionalText = _DEFAULT_RULES.greeting_unknown
    greet_again_after: Duration = _DEFAULT_RULES.greet_again_after
    rules: list[RuleFile] = []
    business_hours: BusinessHoursFile | None = None
    opt_out_keywords: list[str] = list(_DEFAULT_RULES.opt_out_keywords)
    opt_out_reply: OptionalText = _DEFAULT_RULES.opt_out_reply
    opt_in_keywords: list[str] = list(_DEFAULT_RULES.opt_in_keywords)
    opt_in_reply: OptionalText = _DEFAULT_RULES.opt_in_reply
    handoff_keywords: list[str] = list(_DEFAULT_RULES.handoff_keywords)
    handoff_reply: OptionalText = _DEFAULT_RULES.handoff_reply
    media_ack: OptionalText = _DEFAULT_RULES.media_ack
    fallback_reply: OptionalText = _DEFAULT_RULES.fallback_reply
    flood_limit: FloodLimitFile = Field(default_factory=FloodLimitFile)
    max_message_age: Duration = _DEFAULT_RULES.max_message_age


def bot_rules(file: BotRulesFile) -> BotRules:
    """Raises ``InvalidBotRules`` whose ``field`` is written as in the file."""
    return BotRules(
        greeting_known=file.greeting_known,
        greeting_unknown=file.greeting_unknown,
        greet_again_after=file.greet_again_after,
        rules=tuple(_keyword_rule(rule, index) for index, rule in enumerate(file.rules)),
        business_hours=_business_hours(file.business_hours) if file.business_hours else None,
        opt_out_keywords=tuple(file.opt_out_keywords),
        opt_out_reply=file.opt_out_reply,
        opt_in_keywords=tuple(file.opt_in_keywords),
        opt_in_reply=file.opt_in_reply,
        handoff_keywords=tuple(file.handoff_keywords),
        handoff_reply=file.handoff_reply,
        media_ack=file.media_ack,
        fallback_reply=file.fallback_reply,
        flood_limit=FloodLimit(file.flood_limit.max_replies, file.flood_limit.window),
        max_message_age=file.max_message_age,
    )


def _keyword_rule(rule: RuleFile, index: int) -> KeywordRule:
    interactive = rule_interactive(rule, index)
    try:
        return KeywordRule(
            name=rule.name,
            keywords=tuple(rule.keywords),
            patterns=tuple(rule.patterns),
            reply=None if interactive is not None else rule.reply,
            template=_template(rule.template) if rule.template else None,
            priority=rule.priority,
            interactive=interactive,
            reply_ids=tuple(rule.reply_ids),
        )
    except InvalidBotRules as error:
        raise InvalidBotRules(_rule_field(error.field, rule.name, index), error.problem) from None


def _rule_field(domain_field: str, name: str, index: int) -> str:
    if domain_field == "rules":  # the domain's only rule-level complaint without a name
        return f"rules[{index}].name"
    named = f"rules[{name!r}]"
    if domain_field.startswith(named):
        return f"rules[{index}]" + domain_field.removeprefix(named)
    return domain_field


def _template(template: TemplateFile) -> TemplateMessage:
    values = template.parameters
    if isinstance(values, dict):
        return TemplateMessage(
            template.name, template.language, named_parameters=tuple(values.items())
        )
    return TemplateMessage(template.name, template.language, tuple(values))


def _business_hours(hours: BusinessHoursFile) -> BusinessHours:
    return BusinessHours(
        timezone=hours.timezone,
        weekly={day: spans for day, spans in hours.weekly.items() if spans},
        closed_dates=frozenset(hours.closed_dates),
        after_hours_reply=hours.after_hours_reply,
        notice_every=hours.notice_every,
    )
