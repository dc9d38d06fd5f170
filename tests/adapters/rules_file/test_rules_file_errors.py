"""Every problem with a rules file is one ``InvalidRulesFile``: the file, the key, the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from crm_whatsapp.adapters.rules_file import (
    InvalidRulesFile,
    bot_rules_from_mapping,
    load_bot_rules,
)
from crm_whatsapp.domain.errors import InvalidBotRules

WriteFile = Callable[[str, str | bytes], Path]  # the ``write_file`` fixture of conftest.py

PRICES = '[[rules]]\nname = "precios"\nkeywords = ["precio"]\n'


def load_error(path: Path | str) -> InvalidRulesFile:
    with pytest.raises(InvalidRulesFile) as caught:
        load_bot_rules(path)
    error = caught.value
    assert "\n" not in str(error)
    assert str(error) == f"{error.path}: {error.field}: {error.problem}"
    assert error.__cause__ is None  # no pydantic or parser traceback behind it
    assert error.__context__ is None or error.__suppress_context__
    return error


def assert_reported(write_file: WriteFile, name: str, content: str | bytes, message: str) -> None:
    assert str(load_error(write_file(name, content))) == message


def test_the_error_is_the_domains_invalid_bot_rules_with_the_file_field_and_problem(
    write_file: WriteFile,
) -> None:
    error = load_error(write_file("reglas.toml", "[flood_limit]\nmax_replies = 0\n"))
    assert isinstance(error, InvalidBotRules)
    assert error.code == "invalid_rules_file"
    assert (error.path, error.field, error.problem) == (
        "reglas.toml",
        "flood_limit.max_replies",
        "must be at least 1",
    )


class TestTheFileItself:
    def test_a_missing_file(self, write_file: WriteFile) -> None:
        write_file("otro.toml", "")
        error = load_error("reglas.toml")
        assert str(error) == "reglas.toml: -: cannot read the file: No such file or directory"
        assert error.field == "-"

    def test_a_directory(self, write_file: WriteFile) -> None:
        write_file("otro.toml", "")
        Path("reglas.toml").mkdir()
        assert (
            str(load_error("reglas.toml")) == "reglas.toml: -: cannot read the file: Is a directory"
        )

    def test_an_unknown_suffix(self, write_file: WriteFile) -> None:
        path = write_file("reglas.ini", "[bot]\n")
        assert str(load_error(path)) == (
            "reglas.ini: -: unknown format '.ini'; use .toml, .yaml, .yml, .json"
        )

    def test_bytes_that_are_not_utf8(self, write_file: WriteFile) -> None:
        path = write_file("reglas.toml", b'greeting_known = "\xff"\n')
        assert str(load_error(path)) == (
            "reglas.toml: -: not UTF-8 text (byte 18: invalid start byte)"
        )

    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            ("reglas.yaml", "- name: precios\n", "expected a mapping of settings, got a list"),
            ("reglas.json", '"hola"', "expected a mapping of settings, got a text"),
            ("reglas.json", "[]", "expected a mapping of settings, got a list"),
        ],
    )
    def test_a_document_that_is_not_a_mapping(
        self, write_file: WriteFile, name: str, content: str, message: str
    ) -> None:
        assert_reported(write_file, name, content, f"{name}: -: {message}")


class TestSyntaxErrorsGiveTheLine:
    @pytest.mark.parametrize(
        ("name", "content", "message"),
        [
            (
                "reglas.toml",
                'greeting_known = "hola"\nfallback_reply "gracias"\n',
                "invalid TOML at line 2, column 16: Expected '=' after a key in a key/value pair",
            ),
            (
                "reglas.toml",
                'greeting_known = "hola\n',
                "invalid TOML at line 1, column 23: Illegal character '\\n'",
            ),
            (
                "reglas.toml",
                'media_ack = "a"\nmedia_ack = "b"\n',
                "invalid TOML at line 2, column 16: Cannot overwrite a value",
            ),
            (
                "reglas.yaml",
                "rules:\n  - name: x\n    keywords: [precio\n",
                "invalid YAML at line 4, column 1: expected ',' or ']', but got '<stream end>'",
            ),
            (
                "reglas.yaml",
                "media_ack: hola\nfallback_reply: x\nmedia_ack: false\n",
                "invalid YAML at line 3, column 1: duplicate key 'media_ack'",
            ),
            (
                "reglas.yaml",
                "business_hours:\n  closed_dates: [2026-02-30]\n",
                "invalid YAML at line 2, column 18: "
                "'2026-02-30' is not a day of the calendar (day is out of range for month)",
            ),
            (
                "reglas.json",
                '{\n  "greeting_known": "hola",\n}\n',
                "invalid JSON at line 3, column 1: "
                "Expecting property name enclosed in double quotes",
            ),
            (
                "reglas.json",
                '{"media_ack": "hola", "media_ack": false}',
                "invalid JSON: duplicate key 'media_ack'",
            ),
        ],
        ids=[
            "toml",
            "toml string",
            "toml duplicate",
            "yaml",
            "yaml duplicate",
            "yaml date",
            "json",
            "json duplicate",
        ],
    )
    def test_syntax_errors(
        self, write_file: WriteFile, name: str, content: str, message: str
    ) -> None:
        assert_reported(write_file, name, content, f"{name}: -: {message}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("greeting_known = 5\n", "greeting_known: expected a text, got a whole number"),
        ('[rules]\nname = "precios"\n', "rules: expected a list, got a mapping"),
        ("business_hours = []\n", "business_hours: expected a mapping, got a list"),
        (
            '[flood_limit]\nmax_replies = "5"\n',
            "flood_limit.max_replies: expected a whole number, got a text",
        ),
        (
            '[[rules]]\nname = "precios"\nkeywords = "precio"\nreply = "x"\n',
            "rules[0].keywords: expected a list, got a text",
        ),
        (
            PRICES + 'reply = "x"\npriority = 1.5\n',
            "rules[0].priority: expected a whole number, got a number",
        ),
        (
            PRICES + "template = true\n",
            "rules[0].template: expected a mapping, got a boolean",
        ),
        (
            PRICES + 'template = { name = "precios", parameters = "{nombre}" }\n',
            "rules[0].template.parameters: expected a list (for {{1}}, {{2}}…) or a table "
            "of named values, got a text",
        ),
        (
            PRICES + 'template = { name = "precios", parameters = ["{nombre}", 30] }\n',
            "rules[0].template.parameters: value 2 must be a text, got a whole number",
        ),
        (
            PRICES
            + 'template = { name = "cita", parameters = { nombre = "{perfil}", dia = 12 } }\n',
            "rules[0].template.parameters: value 'dia' must be a text, got a whole number",
        ),
        (
            "media_ack = true\n",
            "media_ack: true is not a text: write the text, or false to turn it off",
        ),
        (
            'fallback_reply = "  "\n',
            "fallback_reply: must not be empty (to turn an answer off, write false)",
        ),
        (
            "greeting_known = 5\nmedia_ack = 6\n",
            "greeting_known: expected a text, got a whole number (and 1 more problem)",
        ),
        (
            "greeting_known = 5\nmedia_ack = 6\nfallback_reply = 7\n",
            "greeting_known: expected a text, got a whole number (and 2 more problems)",
        ),
    ],
)
def test_wrong_types_name_the_key_and_what_was_found(
    write_file: WriteFile, content: str, message: str
) -> None:
    assert_reported(write_file, "reglas.toml", content, f"reglas.toml: {message}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('greting_known = "hola"\n', "greting_known: unknown key; did you mean 'greeting_known'?"),
        (PRICES + 'replly = "x"\n', "rules[0].replly: unknown key; did you mean 'reply'?"),
        (
            PRICES + 'template = { name = "lista", lang = "es_MX" }\n',
            "rules[0].template.lang: unknown key; did you mean 'language'?",
        ),
        (
            '[business_hours]\nweekley = { lunes = "09:00-18:00" }\n',
            "business_hours.weekley: unknown key; did you mean 'weekly'?",
        ),
        (
            "[flood_limit]\nzzz = 1\n",
            "flood_limit.zzz: unknown key; the keys here are max_replies, window",
        ),
        (
            '"mi clave" = 1\n',
            "['mi clave']: unknown key; the keys here are greeting_known, greeting_unknown, "
            "greet_again_after, rules, business_hours, opt_out_keywords, opt_out_reply, "
            "opt_in_keywords, opt_in_reply, handoff_keywords, handoff_reply, media_ack, "
            "fallback_reply, flood_limit, max_message_age",
        ),
        ('[[rules]]\nkeywords = ["precio"]\nreply = "x"\n', "rules[0].name: required, but missing"),
    ],
)
def test_unknown_and_missing_keys_are_errors_with_a_suggestion(
    write_file: WriteFile, content: str, message: str
) -> None:
    assert_reported(write_file, "reglas.toml", content, f"reglas.toml: {message}")


def test_keys_that_are_not_texts_are_errors(write_file: WriteFile) -> None:
    message = "reglas.yaml: [1]: keys must be texts, got a whole number"
    assert_reported(write_file, "reglas.yaml", "1: x\n", message)


DURATION_FORMS = "a number of seconds or a text like '90s', '10m', '12h', '1d' or '1h30m'"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "reglas.toml",
            'greet_again_after = "10 minutos"\n',
            f"greet_again_after: '10 minutos' is not {DURATION_FORMS}",
        ),
        (
            "reglas.toml",
            'greet_again_after = "-5m"\n',
            f"greet_again_after: '-5m' is not {DURATION_FORMS}",
        ),
        (
            "reglas.yaml",
            "max_message_age: yes\n",
            f"max_message_age: expected {DURATION_FORMS}, got a boolean",
        ),
        ("reglas.json", '{"max_message_age": 1e300}', "max_message_age: too long a duration"),
        (
            "reglas.json",
            '{"max_message_age": NaN}',
            "max_message_age: expected a finite number of seconds, got nan",
        ),
        ("reglas.toml", '[flood_limit]\nwindow = "0s"\n', "flood_limit.window: must be positive"),
        (
            "reglas.toml",
            'max_message_age = "2d"\n',
            "max_message_age: must be positive and at most 24 hours (the service window)",
        ),
    ],
)
def test_bad_durations(write_file: WriteFile, name: str, content: str, message: str) -> None:
    assert_reported(write_file, name, content, f"{name}: {message}")


WEEKDAY_FORMS = "lunes … domingo, monday … sunday, or 0 (Monday) to 6"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "reglas.toml",
            '[business_hours.weekly]\nlunez = "09:00-18:00"\n',
            f"business_hours.weekly.lunez: 'lunez' is not a weekday: use {WEEKDAY_FORMS}",
        ),
        (
            "reglas.yaml",
            "business_hours:\n  weekly:\n    7: '09:00-18:00'\n",
            f"business_hours.weekly[7]: 7 is not a weekday: use {WEEKDAY_FORMS}",
        ),
        (
            "reglas.toml",
            '[business_hours.weekly]\n"sábado" = "09:00-14:00"\nsaturday = "10:00-14:00"\n',
            "business_hours.weekly: 'sábado' and 'saturday' are the same day",
        ),
        (
            "reglas.toml",
            '[business_hours.weekly]\n"sábado" = "9 a 14"\n',
            "business_hours.weekly.sábado: '9 a 14' is not opening hours like '09:00-18:00'",
        ),
        (
            "reglas.toml",
            '[business_hours.weekly]\nlunes = ["09:00-13:00", "15:00-25:00"]\n',
            "business_hours.weekly.lunes[1]: 25:00 is not a time of day",
        ),
        (
            "reglas.toml",
            '[business_hours.weekly]\nlunes = ["09:00-13:00", "18:00-15:00"]\n',
            "business_hours.weekly.lunes[1]: opening 18:00 must be before closing 15:00",
        ),
        (
            "reglas.toml",
            "[business_hours.weekly]\nlunes = 9\n",
            "business_hours.weekly.lunes: expected hours like '09:00-18:00', a list of them, "
            "or 'cerrado', got a whole number",
        ),
        (
            "reglas.toml",
            '[business_hours]\ntimezone = "Mexico City"\n',
            "business_hours.timezone: unknown timezone 'Mexico City' "
            "(write it like 'America/Mexico_City')",
        ),
        (
            "reglas.toml",
            '[business_hours]\ntimezone = "America"\n',
            "business_hours.timezone: unknown timezone 'America' "
            "(write it like 'America/Mexico_City')",
        ),
        (
            "reglas.json",
            '{"business_hours": {"closed_dates": ["2026-02-30"]}}',
            "business_hours.closed_dates[0]: '2026-02-30' is not a day of the calendar",
        ),
        (
            "reglas.json",
            '{"business_hours": {"closed_dates": ["25/12/2026"]}}',
            "business_hours.closed_dates[0]: '25/12/2026' is not a date like 2026-12-25",
        ),
        (
            "reglas.toml",
            "[business_hours]\nclosed_dates = [2026-12-25T10:00:00]\n",
            "business_hours.closed_dates[0]: expected a date without a time, like 2026-12-25",
        ),
    ],
)
def test_bad_business_hours(write_file: WriteFile, name: str, content: str, message: str) -> None:
    assert_reported(write_file, name, content, f"{name}: {message}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '[[rules]]\nname = "pedido"\npatterns = [\'pedido (\\d+\']\nreply = "Un momento"\n',
            r"rules[0].patterns: 'pedido (\\d+': missing ), unterminated subpattern at position 7",
        ),
        (
            PRICES + 'reply = "x"\n[[rules]]\nname = "pedido"\npatterns = ["(["]\nreply = "y"\n',
            "rules[1].patterns: '([': unterminated character set at position 1",
        ),
        (
            PRICES,
            "rules[0]: needs exactly one answer: reply, template or interactive "
            "(buttons or a list)",
        ),
        (
            PRICES + 'reply = "x"\ntemplate = { name = "lista" }\n',
            "rules[0]: needs exactly one answer: reply, template or interactive "
            "(buttons or a list)",
        ),
        (
            '[[rules]]\nname = "precios"\nreply = "x"\n',
            "rules[0]: needs at least one keyword, pattern or reply id",
        ),
        (
            '[[rules]]\nname = " "\nkeywords = ["precio"]\nreply = "x"\n',
            "rules[0].name: every rule needs a name",
        ),
        (
            '[[rules]]\nname = "precios"\nkeywords = ["precio", "¿?"]\nreply = "x"\n',
            "rules[0].keywords: keyword '¿?' has no letters or digits",
        ),
        (
            PRICES + 'reply = "x"\n' + PRICES + 'reply = "y"\n',
            "rules: duplicate rule names: ['precios']",
        ),
        ('opt_out_keywords = ["!!"]\n', "opt_out_keywords: keyword '!!' has no letters or digits"),
        (
            'opt_in_keywords = ["alta", "baja"]\n',
            "opt_in_keywords: also opt-out keywords: ['baja']",
        ),
        ("[flood_limit]\nmax_replies = 0\n", "flood_limit.max_replies: must be at least 1"),
    ],
    ids=[
        "regex",
        "regex of the second rule",
        "no reply",
        "reply and template",
        "no keyword",
        "blank name",
        "keyword without letters",
        "duplicate names",
        "opt-out keyword without letters",
        "opt-in and opt-out overlap",
        "flood limit",
    ],
)
def test_the_domains_own_checks_are_reported_with_the_file_and_the_position(
    write_file: WriteFile, content: str, message: str
) -> None:
    assert_reported(write_file, "reglas.toml", content, f"reglas.toml: {message}")


def test_a_mapping_is_named_by_its_source() -> None:
    with pytest.raises(InvalidRulesFile) as caught:
        bot_rules_from_mapping({"rules": [{"name": "x", "keywords": ["y"], "replly": "z"}]})
    assert str(caught.value) == "<mapping>: rules[0].replly: unknown key; did you mean 'reply'?"
    with pytest.raises(InvalidRulesFile) as caught:
        bot_rules_from_mapping({"media_ack": True}, source="crm.settings.bot")
    assert caught.value.path == "crm.settings.bot"
    assert str(caught.value).startswith("crm.settings.bot: media_ack: true is not a text")


def test_a_mapping_that_is_not_a_mapping_is_reported_too() -> None:
    with pytest.raises(
        InvalidRulesFile, match=r"^<mapping>: -: expected a mapping of settings, got a list$"
    ):
        bot_rules_from_mapping([1, 2])  # type: ignore[arg-type]
