"""The notations people write by hand in a rules file: durations, opening hours, weekdays,
dates, texts that can be turned off.

Each parser takes what TOML, YAML or JSON produced and raises ``ValueError`` with a sentence
a shop owner can act on; pydantic puts the location in front of it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from crm_whatsapp.domain.errors import InvalidBotRules
from crm_whatsapp.domain.policy.rules import WEEKDAYS, OpeningHours
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
