"""Properties: rules survive a trip through JSON and YAML; no input escapes InvalidRulesFile."""

from __future__ import annotations

import json
import string
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import event, given, settings
from hypothesis import strategies as st

from crm_whatsapp.adapters.rules_file import (
    InvalidRulesFile,
    bot_rules_from_mapping,
    load_bot_rules,
)
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.policy import BotRules, BusinessHours, KeywordRule
from crm_whatsapp.testing import bot_rules

WORDS = st.text(string.ascii_lowercase + "áéíóúñ", min_size=1, max_size=10)
SENTENCES = st.lists(WORDS, min_size=1, max_size=5).map(" ".join)
DAY_NAMES = {
    "spanish": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
    "english": ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
    "numbers": tuple("0123456"),
}


@st.composite
def keyword_rules(draw: st.DrawFn) -> tuple[KeywordRule, ...]:
    """Rules with alphabetic keywords that answer with a text or a template."""
    rules = []
    for name in draw(st.lists(WORDS, max_size=5, unique=True)):
        keywords = tuple(draw(st.lists(WORDS, min_size=1, max_size=4, unique=True)))
        reply, template = None, None
        if draw(st.booleans()):
            reply = draw(SENTENCES)
        else:
            called, language = draw(WORDS), draw(st.sampled_from(["es", "es_MX"]))
            if draw(st.booleans()):  # {{1}}, {{2}}… as a list
                positional = tuple(draw(st.lists(WORDS, max_size=2)))
                template = TemplateMessage(called, language, positional)
            else:  # {{nombre}}… as a table
                named = draw(st.dictionaries(WORDS, WORDS, min_size=1, max_size=3))
                template = TemplateMessage(called, language, named_parameters=tuple(named.items()))
        priority = draw(st.integers(-3, 3))
        rules.append(KeywordRule(name, keywords, reply=reply, template=template, priority=priority))
    return tuple(rules)


@st.composite
def rule_sets(draw: st.DrawFn) -> BotRules:
    """The testing kit's rule sets, with these keyword rules and perhaps some holidays."""
    rules = replace(draw(bot_rules()), rules=draw(keyword_rules()))
    if rules.business_hours is not None:
        holidays = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 12, 31)), max_size=3))
        rules = replace(rules, business_hours=replace(rules.business_hours, closed_dates=holidays))
    return rules


@dataclass(frozen=True)
class Style:
    """The choices a person writing the file makes; none may change the rules."""

    days: str
    durations_as_text: bool
    off: bool | None
    one_range_as_text: bool


styles = st.builds(
    Style,
    days=st.sampled_from(sorted(DAY_NAMES)),
    durations_as_text=st.booleans(),
    off=st.sampled_from([None, False]),
    one_range_as_text=st.booleans(),
)


def duration(value: timedelta, style: Style) -> object:
    seconds = int(value.total_seconds())
    if not style.durations_as_text:
        return seconds
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units = ((days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s"))
    return "".join(f"{amount}{unit}" for amount, unit in units if amount) or "0s"


def text(value: str | None, style: Style) -> object:
    return style.off if value is None else value


def rule_data(rule: KeywordRule) -> dict[str, object]:
    data: dict[str, object] = {"name": rule.name, "keywords": list(rule.keywords)}
    if rule.reply is not None:
        data["reply"] = rule.reply
    if rule.template is not None:
        template = rule.template
        parameters: object = (
            dict(template.named_parameters) if template.is_named else list(template.parameters)
        )
        data["template"] = {
            "name": template.name,
            "language": template.language,
            "parameters": parameters,
        }
    return data | {"priority": rule.priority}


def hours_data(hours: BusinessHours, style: Style, dates_as_text: bool) -> dict[str, object]:
    weekly: dict[str, object] = {}
    for day, spans in hours.weekly.items():
        written = [f"{span.start:%H:%M}-{span.end:%H:%M}" for span in spans]
        one = style.one_range_as_text and len(written) == 1
        weekly[DAY_NAMES[style.days][day]] = written[0] if one else written
    return {
        "timezone": hours.timezone,
        "weekly": weekly,
        "closed_dates": sorted(d.isoformat() if dates_as_text else d for d in hours.closed_dates),
        "after_hours_reply": hours.after_hours_reply,
        "notice_every": duration(hours.notice_every, style),
    }


def file_data(rules: BotRules, style: Style, *, dates_as_text: bool) -> dict[str, object]:
    """``rules`` as a person would write them in a file, every key given."""
    data: dict[str, object] = {
        "greeting_known": text(rules.greeting_known, style),
        "greeting_unknown": text(rules.greeting_unknown, style),
        "greet_again_after": duration(rules.greet_again_after, style),
        "rules": [rule_data(rule) for rule in rules.rules],
        "opt_out_keywords": list(rules.opt_out_keywords),
        "opt_out_reply": text(rules.opt_out_reply, style),
        "opt_in_keywords": list(rules.opt_in_keywords),
        "opt_in_reply": text(rules.opt_in_reply, style),
        "handoff_keywords": list(rules.handoff_keywords),
        "handoff_reply": text(rules.handoff_reply, style),
        "media_ack": text(rules.media_ack, style),
        "fallback_reply": text(rules.fallback_reply, style),
        "flood_limit": {
            "max_replies": rules.flood_limit.max_replies,
            "window": duration(rules.flood_limit.window, style),
        },
        "max_message_age": duration(rules.max_message_age, style),
    }
    if rules.business_hours is not None:
        data["business_hours"] = hours_data(rules.business_hours, style, dates_as_text)
    return data


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rules")


@given(rules=rule_sets(), style=styles)
def test_rules_dumped_to_json_load_back_equal(folder: Path, rules: BotRules, style: Style) -> None:
    path = folder / "reglas.json"
    data = file_data(rules, style, dates_as_text=True)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert load_bot_rules(path) == rules


@given(rules=rule_sets(), style=styles)
def test_rules_dumped_to_yaml_load_back_equal(folder: Path, rules: BotRules, style: Style) -> None:
    path = folder / "reglas.yaml"
    data = file_data(rules, style, dates_as_text=False)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_bot_rules(path) == rules


KEYS = [
    *("greeting_known", "greeting_unknown", "greet_again_after", "rules", "business_hours"),
    *("opt_out_keywords", "opt_out_reply", "opt_in_keywords", "opt_in_reply"),
    *("handoff_keywords", "handoff_reply", "media_ack", "fallback_reply"),
    *("flood_limit", "max_message_age", "max_replies", "window"),
    *("name", "keywords", "patterns", "reply", "template", "priority", "language", "parameters"),
    *("timezone", "weekly", "closed_dates", "after_hours_reply", "notice_every"),
    *("lunes", "sábado", "monday", "0", "6"),
]
"""Keys of the format, so that junk reaches past the top level and into every table."""

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["09:00-18:00", "10m", "cerrado", "2026-12-25", "America", "(["])
)
keys = st.sampled_from(KEYS) | st.text(max_size=8)
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=30,
)


@st.composite
def near_valid(draw: st.DrawFn) -> dict[str, object]:
    """Valid file data with one value, at any depth, replaced by junk."""
    data = file_data(draw(rule_sets()), draw(styles), dates_as_text=True)
    node: Any = data  # a dict or a list, at whatever depth the draws lead
    while True:
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        if isinstance(node[key], dict | list) and node[key] and draw(st.booleans()):
            node = node[key]
            continue
        node[key] = draw(junk)
        return data


def outcome(load: Callable[[], BotRules]) -> BotRules | InvalidRulesFile:
    try:
        return load()
    except InvalidRulesFile as error:
        return error


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(keys, junk, max_size=6) | junk | near_valid())
def test_any_json_like_data_gives_rules_or_invalid_rules_file(data: object) -> None:
    result = outcome(lambda: bot_rules_from_mapping(data, source="junk"))  # type: ignore[arg-type]
    event("valid" if isinstance(result, BotRules) else f"invalid {result.field.split('.')[0]}")
    if isinstance(result, InvalidRulesFile):
        assert str(result).startswith("junk: ")
        assert "\n" not in str(result)


@settings(deadline=None)
@given(content=st.text(), suffix=st.sampled_from([".toml", ".yaml", ".json"]))
def test_any_text_in_a_file_gives_rules_or_invalid_rules_file(
    folder: Path, content: str, suffix: str
) -> None:
    path = folder / f"texto{suffix}"
    path.write_text(content, encoding="utf-8", errors="surrogatepass")
    result = outcome(lambda: load_bot_rules(path))
    if isinstance(result, InvalidRulesFile):
        assert str(result).startswith(f"{path}: ")
        assert "\n" not in str(result)
