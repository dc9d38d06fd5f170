"""The shipped example file and the library guide's section say what the loader does."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.adapters.rules_file import InvalidRulesFile, load_bot_rules
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.policy import OpeningHours, ReplyTemplate, ReplyText
from crm_whatsapp.domain.policy.decision import Decision
from crm_whatsapp.domain.policy.rules import BotRules
from crm_whatsapp.domain.use_cases import receive_inbound
from crm_whatsapp.testing import text_from

WriteFile = Callable[[str, str | bytes], Path]  # the ``write_file`` fixture of conftest.py

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "reglas.toml"
GUIDE = ROOT / "docs" / "library.md"


def first_answer(rules: BotRules, text: str, at: datetime) -> Decision | None:
    """The bot's answer to Ana, a client of the shop, writing for the first time."""
    ana = (ClientRef("42", "Ana López"), ["+52 55 1234 5678"])
    crm = build_in_memory(clients=[ana], rules=rules, now=at)
    return receive_inbound(crm.deps, text_from("5215512345678", text, at)).decision


class TestTheExampleFile:
    rules = load_bot_rules(EXAMPLE)

    def test_it_has_the_shops_rules_in_the_order_written(self) -> None:
        assert [rule.name for rule in self.rules.rules] == [
            "precios",
            "horario",
            "ubicacion",
            "pedido",
        ]
        assert self.rules.rules[0].template == TemplateMessage(
            "lista_de_precios", "es_MX", ("{nombre}",)
        )

    def test_it_opens_weekdays_nine_to_six_and_saturday_mornings_in_mexico_city(self) -> None:
        hours = self.rules.business_hours
        assert hours is not None
        assert hours.timezone == "America/Mexico_City"
        weekdays = (OpeningHours(time(9), time(18)),)
        assert hours.weekly == {0: weekdays, 1: weekdays, 2: weekdays, 3: weekdays, 4: weekdays} | {
            5: (OpeningHours(time(9), time(14)),)
        }
        assert date(2026, 9, 16) in hours.closed_dates

    def test_a_price_question_on_a_tuesday_morning_gets_the_price_list_template(self) -> None:
        tuesday_11_00 = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
        decision = first_answer(self.rules, "Hola, ¿cuánto cuesta el taladro?", tuesday_11_00)
        assert decision == ReplyTemplate(
            TemplateMessage("lista_de_precios", "es_MX", ("Ana López",)), "keyword:precios"
        )

    def test_the_location_rule_answers_with_the_address(self) -> None:
        tuesday_11_00 = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
        decision = first_answer(self.rules, "¿Dónde están? ¿Cómo llego?", tuesday_11_00)
        assert isinstance(decision, ReplyText)
        assert decision.rule == "keyword:ubicacion"
        assert "Av. Revolución 1234" in decision.text

    @pytest.mark.parametrize(
        "moment",
        [
            datetime(2026, 3, 14, 21, 0, tzinfo=UTC),  # Saturday 15:00 in Mexico City
            datetime(2026, 3, 15, 17, 0, tzinfo=UTC),  # Sunday 11:00
            datetime(2026, 9, 16, 17, 0, tzinfo=UTC),  # Independence Day, a Wednesday
        ],
    )
    def test_outside_opening_hours_and_on_holidays_the_bot_says_when_the_shop_opens(
        self, moment: datetime
    ) -> None:
        decision = first_answer(self.rules, "¿Tienen tornillos?", moment)
        assert isinstance(decision, ReplyText)
        assert decision.rule == "after_hours"
        assert "sábados de 9 a 14 h" in decision.text


def guide_section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## Bot rules in a file")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_the_guides_toml_example_loads(write_file: WriteFile) -> None:
    (example,) = re.findall(r"```toml\n(.*?)```", guide_section(), re.DOTALL)
    rules = load_bot_rules(write_file("reglas.toml", example))
    assert rules.media_ack is None
    assert [rule.name for rule in rules.rules] == ["precios", "cita", "pedido"]
    appointment = rules.rules[1].template
    assert appointment is not None
    assert dict(appointment.named_parameters) == {
        "nombre": "{perfil}",
        "fecha": "martes 12 de marzo",
        "hora": "10:30",
    }
    assert rules.business_hours is not None
    assert len(rules.business_hours.weekly[4]) == 2


GUIDE_ERRORS = {
    "reglas.toml: rules[1].patterns: 'pedido (\\\\d+': missing ), unterminated subpattern "
    "at position 7": (
        "reglas.toml",
        '[[rules]]\nname = "precios"\nkeywords = ["precio"]\nreply = "Desde $99"\n\n'
        '[[rules]]\nname = "pedido"\npatterns = [\'pedido (\\d+\']\nreply = "Un momento"\n',
    ),
    "reglas.toml: rules[0].replly: unknown key; did you mean 'reply'?": (
        "reglas.toml",
        '[[rules]]\nname = "precios"\nkeywords = ["precio"]\nreplly = "Desde $99"\n',
    ),
    "reglas.toml: business_hours.weekly.sábado: '9 a 14' is not opening hours like '09:00-18:00'": (
        "reglas.toml",
        '[business_hours.weekly]\n"sábado" = "9 a 14"\n',
    ),
    "reglas.toml: flood_limit.max_replies: expected a whole number, got a text": (
        "reglas.toml",
        '[flood_limit]\nmax_replies = "5"\n',
    ),
    "reglas.toml: -: invalid TOML at line 3, column 16: Expected '=' after a key in a "
    "key/value pair": ("reglas.toml", 'media_ack = false\n\nfallback_reply "Gracias"\n'),
    "reglas.yaml: -: cannot read the file: No such file or directory": ("otro.yaml", ""),
}


def test_the_guides_error_messages_are_the_real_ones(write_file: WriteFile) -> None:
    (listed,) = re.findall(r"```text\n(.*?)```", guide_section(), re.DOTALL)
    assert listed.splitlines() == list(GUIDE_ERRORS)
    for message, (name, content) in GUIDE_ERRORS.items():
        write_file(name, content)
        with pytest.raises(InvalidRulesFile) as caught:
            load_bot_rules(message.split(":")[0])
        assert str(caught.value) == message
