"""The rules file as pydantic models: its shape, its types, and its own notations.

Strict everywhere: a number where a text belongs, ``"5"`` for a count, or a misspelled key
(``replly``) is an error, never a guess. Defaults come from the domain's dataclasses, so a
key left out of the file keeps the built-in (Spanish) value. What the domain checks itself
(regexes, keyword overlaps, duplicate rule names) is left to the domain.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator

from crm_whatsapp.adapters.rules_file import values
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.policy.rules import BotRules, BusinessHours, FloodLimit, OpeningHours

Text = Annotated[str, AfterValidator(values.not_blank)]
OptionalText = Annotated[Text | None, BeforeValidator(values.optional_text)]
Duration = Annotated[timedelta, PlainValidator(values.duration)]
Timezone = Annotated[str, AfterValidator(values.timezone)]
Hours = Annotated[OpeningHours, PlainValidator(values.opening_hours)]
DayHours = Annotated[tuple[Hours, ...], BeforeValidator(values.day_hours)]
Weekday = Annotated[int, PlainValidator(values.weekday)]
Weekly = Annotated[dict[Weekday, DayHours], BeforeValidator(values.distinct_weekdays)]
CalendarDate = Annotated[date, PlainValidator(values.calendar_date)]

_RULES = BotRules()
_HOURS = BusinessHours()
_FLOOD = FloodLimit()
_TEMPLATE_LANGUAGE = TemplateMessage("any").language


class FileModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TemplateFile(FileModel):
    name: Text
    language: Text = _TEMPLATE_LANGUAGE
    parameters: list[str] = []


class RuleFile(FileModel):
    name: str
    keywords: list[str] = []
    patterns: list[str] = []
    reply: Text | None = None
    template: TemplateFile | None = None
    priority: int = 0


class BusinessHoursFile(FileModel):
    timezone: Timezone = _HOURS.timezone
    weekly: Weekly = Field(default_factory=lambda: dict(_HOURS.weekly))
    closed_dates: list[CalendarDate] = []
    after_hours_reply: Text = _HOURS.after_hours_reply
    notice_every: Duration = _HOURS.notice_every


class FloodLimitFile(FileModel):
    max_replies: int = _FLOOD.max_replies
    window: Duration = _FLOOD.window


class BotRulesFile(FileModel):
    """The top level: one key per ``BotRules`` field, with the same names."""

    greeting_known: OptionalText = _RULES.greeting_known
    greeting_unknown: OptionalText = _RULES.greeting_unknown
    greet_again_after: Duration = _RULES.greet_again_after
    rules: list[RuleFile] = []
    business_hours: BusinessHoursFile | None = None
    opt_out_keywords: list[str] = list(_RULES.opt_out_keywords)
    opt_out_reply: OptionalText = _RULES.opt_out_reply
    opt_in_keywords: list[str] = list(_RULES.opt_in_keywords)
    opt_in_reply: OptionalText = _RULES.opt_in_reply
    handoff_keywords: list[str] = list(_RULES.handoff_keywords)
    handoff_reply: OptionalText = _RULES.handoff_reply
    media_ack: OptionalText = _RULES.media_ack
    fallback_reply: OptionalText = _RULES.fallback_reply
    flood_limit: FloodLimitFile = Field(default_factory=FloodLimitFile)
    max_message_age: Duration = _RULES.max_message_age
