"""The same rules read alike from TOML, YAML and JSON, with every notation of the format."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, time, timedelta
from pathlib import Path

import pytest
import yaml

from crm_whatsapp.adapters.rules_file import bot_rules_from_mapping, load_bot_rules
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.policy import BotRules, BusinessHours, FloodLimit, KeywordRule
from crm_whatsapp.domain.policy.rules import OpeningHours

WriteFile = Callable[[str, str | bytes], Path]  # the ``write_file`` fixture of conftest.py

TOML = r"""
greeting_known = "¡Hola {nombre}!"
greeting_unknown = false
greet_again_after = "1h30m"
max_message_age = 1800
opt_out_keywords = ["baja", "cancelar"]

[flood_limit]
max_replies = 3

[business_hours]
timezone = "America/Mexico_City"
closed_dates = [2026-12-25]
notice_every = "1d"

[business_hours.weekly]
lunes = "09:00-18:00"
"miércoles" = ["09:00-13:00", "15:00-19:00"]
sabado = "10:00-14:00"
domingo = "cerrado"

[[rules]]
name = "precios"
keywords = ["precio", "cuanto cuesta"]
template = { name = "lista_de_precios", language = "es_MX", parameters = ["{nombre}"] }
priority = 2

[[rules]]
name = "pedido"
patterns = ['pedido\s*#?\d{4,}']
reply = "Buscamos tu pedido"
"""

YAML = r"""
greeting_known: "¡Hola {nombre}!"
greeting_unknown: null
greet_again_after: 1h30m
max_message_age: 1800
opt_out_keywords: [baja, cancelar]
flood_limit:
  max_replies: 3
business_hours:
  timezone: America/Mexico_City
  closed_dates: [2026-12-25]
  notice_every: 1d
  weekly:
    lunes: "09:00-18:00"
    miércoles: ["09:00-13:00", "15:00-19:00"]
    sabado: "10:00-14:00"
    domingo: cerrado
rules:
  - name: precios
    keywords: [precio, cuanto cuesta]
    template: {name: lista_de_precios, language: es_MX, parameters: ["{nombre}"]}
    priority: 2
  - name: pedido
    patterns: ['pedido\s*#?\d{4,}']
    reply: Buscamos tu pedido
"""

DATA = {
    "greeting_known": "¡Hola {nombre}!",
    "greeting_unknown": None,
    "greet_again_after": "1h30m",
    "max_message_age": 1800,
    "opt_out_keywords": ["baja", "cancelar"],
    "flood_limit": {"max_replies": 3},
    "business_hours": {
        "timezone": "America/Mexico_City",
        "closed_dates": ["2026-12-25"],
        "notice_every": "1d",
        "weekly": {
            "lunes": "09:00-18:00",
            "miércoles": ["09:00-13:00", "15:00-19:00"],
            "sabado": "10:00-14:00",
            "domingo": "cerrado",
        },
    },
    "rules": [
        {
            "name": "precios",
            "keywords": ["precio", "cuanto cuesta"],
            "template": {
                "name": "lista_de_precios",
                "language": "es_MX",
                "parameters": ["{nombre}"],
            },
            "priority": 2,
        },
        {"name": "pedido", "patterns": [r"pedido\s*#?\d{4,}"], "reply": "Buscamos tu pedido"},
    ],
}


def open_from(start: int, end: int) -> OpeningHours:
    return OpeningHours(time(start), time(end))


EXPECTED = BotRules(
    greeting_known="¡Hola {nombre}!",
    greeting_unknown=None,
    greet_again_after=timedelta(hours=1, minutes=30),
    max_message_age=timedelta(minutes=30),
    opt_out_keywords=("baja", "cancelar"),
    flood_limit=FloodLimit(max_replies=3),
    business_hours=BusinessHours(
        timezone="America/Mexico_City",
        closed_dates=frozenset({date(2026, 12, 25)}),
        notice_every=timedelta(days=1),
        weekly={
            0: (open_from(9, 18),),
            2: (open_from(9, 13), open_from(15, 19)),
            5: (open_from(10, 14),),
        },
    ),
    rules=(
        KeywordRule(
            "precios",
            keywords=("precio", "cuanto cuesta"),
            template=TemplateMessage("lista_de_precios", "es_MX", ("{nombre}",)),
            priority=2,
        ),
        KeywordRule("pedido", patterns=(r"pedido\s*#?\d{4,}",), reply="Buscamos tu pedido"),
    ),
)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("reglas.toml", TOML),
        ("reglas.yaml", YAML),
        ("reglas.yml", YAML),
        ("reglas.json", json.dumps(DATA, ensure_ascii=False, indent=2)),
    ],
)
def test_the_same_rules_in_toml_yaml_and_json_load_to_equal_bot_rules(
    write_file: WriteFile, name: str, text: str
) -> None:
    assert load_bot_rules(write_file(name, text)) == EXPECTED


def test_a_mapping_already_loaded_gives_the_same_rules() -> None:
    assert bot_rules_from_mapping(DATA) == EXPECTED
    assert bot_rules_from_mapping(yaml.safe_load(YAML), source="crm.settings") == EXPECTED


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("vacio.toml", ""),
        ("vacio.yaml", ""),
        ("vacio.json", ""),
        ("blanco.json", "\n  \n"),
        ("comentario.toml", "# todavía sin reglas\n"),
        ("comentario.yaml", "# todavía sin reglas\n"),
        ("objeto.json", "{}"),
    ],
)
def test_an_empty_file_gives_the_default_rules(write_file: WriteFile, name: str, text: str) -> None:
    assert load_bot_rules(write_file(name, text)) == BotRules()


def test_keys_left_out_of_a_table_keep_their_defaults(write_file: WriteFile) -> None:
    text = "[flood_limit]\nmax_replies = 2\n\n[business_hours]\n"
    rules = load_bot_rules(write_file("reglas.toml", text))
    assert rules.flood_limit == FloodLimit(max_replies=2, window=FloodLimit().window)
    assert rules.business_hours == BusinessHours()
    assert rules.greeting_known == BotRules().greeting_known


OPTIONAL_TEXTS = [
    "greeting_known",
    "greeting_unknown",
    "opt_out_reply",
    "opt_in_reply",
    "handoff_reply",
    "media_ack",
    "fallback_reply",
]


@pytest.mark.parametrize("key", OPTIONAL_TEXTS)
def test_false_turns_an_answer_off_in_toml(write_file: WriteFile, key: str) -> None:
    rules = load_bot_rules(write_file("reglas.toml", f"{key} = false\n"))
    assert getattr(rules, key) is None
    assert getattr(BotRules(), key) is not None


@pytest.mark.parametrize("key", OPTIONAL_TEXTS)
@pytest.mark.parametrize("off", ["null", "false"])
def test_null_or_false_turns_an_answer_off_in_yaml_and_json(
    write_file: WriteFile, key: str, off: str
) -> None:
    assert getattr(load_bot_rules(write_file("r.yaml", f"{key}: {off}\n")), key) is None
    assert getattr(load_bot_rules(write_file("r.json", f'{{"{key}": {off}}}')), key) is None


@pytest.mark.parametrize(
    ("written", "meaning"),
    [
        ("90", timedelta(seconds=90)),
        ("2.5", timedelta(seconds=2.5)),
        ('"90s"', timedelta(seconds=90)),
        ('"10m"', timedelta(minutes=10)),
        ('"12h"', timedelta(hours=12)),
        ('"1d"', timedelta(days=1)),
        ('"1h30m"', timedelta(hours=1, minutes=30)),
        ('"1d 2h 3m 4s"', timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ('"2H"', timedelta(hours=2)),
    ],
)
def test_durations_are_seconds_or_texts_with_units(
    write_file: WriteFile, written: str, meaning: timedelta
) -> None:
    rules = load_bot_rules(write_file("reglas.toml", f"greet_again_after = {written}\n"))
    assert rules.greet_again_after == meaning


@pytest.mark.parametrize(
    ("key", "day"),
    [
        ("lunes", 0),
        ("Martes", 1),
        ("miércoles", 2),
        ("miercoles", 2),
        ("jueves", 3),
        ("viernes", 4),
        ("sábado", 5),
        ("sabado", 5),
        ("domingo", 6),
        ("monday", 0),
        ("Wednesday", 2),
        ("saturday", 5),
        ("sunday", 6),
        ("0", 0),
        ("6", 6),
    ],
)
def test_weekdays_are_spanish_or_english_names_or_numbers(
    write_file: WriteFile, key: str, day: int
) -> None:
    text = f'[business_hours.weekly]\n"{key}" = "08:30-12:15"\n'
    hours = load_bot_rules(write_file("reglas.toml", text)).business_hours
    assert hours is not None
    assert hours.weekly == {day: (OpeningHours(time(8, 30), time(12, 15)),)}


def test_yaml_weekdays_may_be_bare_numbers(write_file: WriteFile) -> None:
    text = "business_hours:\n  weekly:\n    0: '09:00-18:00'\n    6: ['10:00-12:00']\n"
    hours = load_bot_rules(write_file("reglas.yaml", text)).business_hours
    assert hours is not None
    assert hours.weekly == {0: (open_from(9, 18),), 6: (open_from(10, 12),)}


@pytest.mark.parametrize("closed", ['"cerrado"', '"Cerrado"', '"closed"', "[]"])
def test_a_closed_day_is_like_a_day_left_out(write_file: WriteFile, closed: str) -> None:
    text = f'[business_hours.weekly]\nlunes = "09:00-18:00"\ndomingo = {closed}\n'
    hours = load_bot_rules(write_file("reglas.toml", text)).business_hours
    assert hours is not None
    assert hours.weekly == {0: (open_from(9, 18),)}


def test_a_day_open_until_24_00_closes_at_midnight(write_file: WriteFile) -> None:
    text = '[business_hours.weekly]\nviernes = "18:00-24:00"\n'
    hours = load_bot_rules(write_file("reglas.toml", text)).business_hours
    assert hours is not None
    assert hours.weekly == {4: (OpeningHours(time(18), time.max),)}


def test_closed_dates_are_toml_and_yaml_dates_or_iso_texts(write_file: WriteFile) -> None:
    holidays = frozenset({date(2026, 1, 1), date(2026, 12, 25)})
    toml = '[business_hours]\nclosed_dates = [2026-01-01, "2026-12-25"]\n'
    yaml_text = "business_hours:\n  closed_dates: [2026-01-01, '2026-12-25']\n"
    json_text = '{"business_hours": {"closed_dates": ["2026-01-01", "2026-12-25"]}}'
    for name, text in [("r.toml", toml), ("r.yaml", yaml_text), ("r.json", json_text)]:
        hours = load_bot_rules(write_file(name, text)).business_hours
        assert hours is not None
        assert hours.closed_dates == holidays


def test_the_suffix_is_read_in_any_case_and_paths_may_be_path_objects(
    write_file: WriteFile,
) -> None:
    path = write_file("REGLAS.YML", "fallback_reply: false\n")
    assert isinstance(path, Path)
    assert load_bot_rules(path).fallback_reply is None
    assert load_bot_rules(str(path)).fallback_reply is None


def test_a_byte_order_mark_from_a_windows_editor_is_ignored(write_file: WriteFile) -> None:
    path = write_file("reglas.json", '\ufeff{"media_ack": false}'.encode())
    assert load_bot_rules(path).media_ack is None
