"""Rules that answer with buttons or a list, as a rules file writes them: the guide's
example loads and answers, and WhatsApp's limits stop a file at load time, naming the rule
and the key."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.adapters.rules_file import InvalidRulesFile, load_bot_rules
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.interactive import InteractiveContent, ListRow, ListSection, ReplyButton
from crm_whatsapp.domain.message import IncomingMessage, MessageKind
from crm_whatsapp.domain.policy import ReplyInteractive, ReplyText
from crm_whatsapp.domain.policy.rules import BotRules
from crm_whatsapp.domain.use_cases import receive_inbound
from crm_whatsapp.testing import text_from

WriteFile = Callable[[str, str | bytes], Path]  # the ``write_file`` fixture of conftest.py

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "library.md"
TUESDAY_11 = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)
WA_ID = "5215512345678"


def section() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("## Buttons and lists")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def guide_rules(write_file: WriteFile) -> BotRules:
    (example,) = re.findall(r"```toml\n(.*?)```", section(), re.DOTALL)
    return load_bot_rules(write_file("reglas.toml", example))


def test_the_guides_example_loads_buttons_and_a_list(write_file: WriteFile) -> None:
    rules = guide_rules(write_file)
    by_name = {rule.name: rule for rule in rules.rules}

    assert by_name["menu"].interactive == InteractiveContent.with_buttons(
        "¡Hola {nombre}! ¿En qué te ayudamos?",
        [
            ReplyButton("precios", "Precios"),
            ReplyButton("horario", "Horario"),
            ReplyButton("sucursales", "Sucursales"),
        ],
        footer="Ferretería El Tornillo",
    )
    assert by_name["menu"].reply is None
    branches = by_name["sucursales"].interactive
    assert branches is not None
    assert (branches.kind, branches.button_label, branches.header) == (
        "list",
        "Ver sucursales",
        "Nuestras sucursales",
    )
    assert branches.sections[1] == ListSection(
        "Guadalajara", (ListRow("suc_gdl", "Chapultepec", "Av. Chapultepec 480"),)
    )
    assert by_name["centro"].reply_ids == ("suc_centro",)
    assert by_name["centro"].keywords == ()


def test_the_guides_example_answers_a_keyword_then_the_tapped_button(write_file: WriteFile) -> None:
    crm = build_in_memory(
        clients=[(ClientRef("42", "Ana López"), ["+52 55 1234 5678"])],
        rules=guide_rules(write_file),
        now=TUESDAY_11,
    )
    menu = receive_inbound(crm.deps, text_from(WA_ID, "Hola, ¿me mandas el menú?", TUESDAY_11))
    assert isinstance(menu.decision, ReplyInteractive)
    assert menu.decision.content.body == "¡Hola Ana López! ¿En qué te ayudamos?"

    tapped = IncomingMessage(
        "106540352242922", CustomerIdentity.from_wa_id(WA_ID), "wamid.tap",
        MessageKind.INTERACTIVE, TUESDAY_11, text="Sucursales",
        details={"interactive_type": "button_reply", "reply_id": "sucursales"},
    )  # fmt: skip
    branches = receive_inbound(crm.deps, tapped)
    assert isinstance(branches.decision, ReplyInteractive)
    assert branches.decision.rule == "keyword:sucursales"

    row = IncomingMessage(
        "106540352242922", tapped.customer, "wamid.row", MessageKind.INTERACTIVE, TUESDAY_11,
        text="Centro", details={"interactive_type": "list_reply", "reply_id": "suc_centro"},
    )  # fmt: skip
    assert receive_inbound(crm.deps, row).decision == ReplyText(
        "Sucursal Centro: Av. Juárez 10. Te esperamos de 9 a 18 h.", "keyword:centro"
    )


MENU = '[[rules]]\nname = "menu"\nkeywords = ["menu"]\n'


def buttons(*titles: str) -> str:
    listed = ", ".join(f'{{ id = "b{n}", title = "{t}" }}' for n, t in enumerate(titles))
    return f"buttons = [{listed}]\n"


def rows(count: int, sections: int = 1) -> str:
    made = ""
    for s in range(sections):
        each = ", ".join(f'{{ id = "r{s}_{n}", title = "Fila {n}" }}' for n in range(count))
        made += f'[[rules.list.sections]]\ntitle = "Sección {s}"\nrows = [{each}]\n'
    return made


REFUSED = {
    "a long button title": (
        MENU + 'reply = "Hola"\n' + buttons("Precios", "Horario", "Consultar existencias"),
        "rules[0].buttons[2].title: at most 20 characters (WhatsApp's limit), not 21 (rule 'menu')",
    ),
    "four buttons": (
        MENU + 'reply = "Hola"\n' + buttons("A", "B", "C", "D"),
        "rules[0].buttons: give 1 to 3 buttons (rule 'menu')",
    ),
    "two buttons alike": (
        MENU + 'reply = "Hola"\n' + buttons("Sí", "Sí"),
        "rules[0].buttons[1].title: two buttons have this title (rule 'menu')",
    ),
    "a long text": (
        MENU + f'reply = "{"a" * 1025}"\n' + buttons("Sí"),
        "rules[0].reply: at most 1024 characters (WhatsApp's limit), not 1025 (rule 'menu')",
    ),
    "a long footer": (
        MENU + f'reply = "Hola"\nfooter = "{"f" * 61}"\n' + buttons("Sí"),
        "rules[0].footer: at most 60 characters (WhatsApp's limit), not 61 (rule 'menu')",
    ),
    "eleven rows": (
        MENU + 'reply = "Elige"\n[rules.list]\nbutton = "Ver"\n' + rows(6, sections=2),
        "rules[0].list.sections: at most 10 rows in all, not 12 (rule 'menu')",
    ),
    "a long list button": (
        MENU + 'reply = "Elige"\n[rules.list]\nbutton = "Ver todas las opciones"\n' + rows(1),
        "rules[0].list.button: at most 20 characters (WhatsApp's limit), not 22 (rule 'menu')",
    ),
    "a long row description": (
        MENU
        + 'reply = "Elige"\n[rules.list]\nbutton = "Ver"\n[[rules.list.sections]]\n'
        + f'rows = [{{ id = "a", title = "A", description = "{"d" * 73}" }}]\n',
        "rules[0].list.sections[0].rows[0].description: at most 72 characters (WhatsApp's "
        "limit), not 73 (rule 'menu')",
    ),
    "an untitled section beside another": (
        MENU
        + 'reply = "Elige"\n[rules.list]\nbutton = "Ver"\n'
        + '[[rules.list.sections]]\nrows = [{ id = "a", title = "A" }]\n'
        + '[[rules.list.sections]]\ntitle = "B"\nrows = [{ id = "b", title = "B" }]\n',
        "rules[0].list.sections[0].title: required when the list has more than one section "
        "(rule 'menu')",
    ),
    "one id twice": (
        MENU + 'reply = "Elige"\n[rules.list]\nbutton = "Ver"\n[[rules.list.sections]]\n'
        'rows = [{ id = "a", title = "A" }, { id = "a", title = "B" }]\n',
        "rules[0].list.sections[0].rows[1].id: the id 'a' is used twice in the message "
        "(rule 'menu')",
    ),
    "buttons without a text": (
        MENU + buttons("Sí"),
        "rules[0].reply: required with buttons or a list: it is their text",
    ),
    "buttons and a list": (
        MENU + 'reply = "x"\n' + buttons("Sí") + '[rules.list]\nbutton = "Ver"\n' + rows(1),
        "rules[0].list: give buttons or a list, not both",
    ),
    "buttons and a template": (
        MENU + 'reply = "x"\ntemplate = { name = "t" }\n' + buttons("Sí"),
        "rules[0].template: a template goes without buttons or a list",
    ),
    "a footer without buttons": (
        MENU + 'reply = "x"\nfooter = "pie"\n',
        "rules[0].footer: goes only with buttons or a list",
    ),
    "a misspelled key of the list": (
        MENU + 'reply = "x"\n[rules.list]\nbuton = "Ver"\nbutton = "Ver"\n' + rows(1),
        "rules[0].list.buton: unknown key; did you mean 'button'?",
    ),
    "a misspelled key of the rule": (
        MENU + 'reply = "x"\nlistt = {}\n',
        "rules[0].listt: unknown key; did you mean 'list'?",
    ),
    "a blank reply id": (
        MENU + 'reply = "x"\nreply_ids = [" "]\n',
        "rules[0].reply_ids: an id must not be empty",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_limits_and_mistakes_are_refused_at_load_naming_rule_and_key(
    write_file: WriteFile, case: str
) -> None:
    content, message = REFUSED[case]
    with pytest.raises(InvalidRulesFile) as refused:
        load_bot_rules(write_file("reglas.toml", content))
    assert str(refused.value) == f"reglas.toml: {message}"


def test_the_guides_error_lines_are_the_real_ones(write_file: WriteFile) -> None:
    (listed,) = re.findall(r"```text\n(.*?)```", section(), re.DOTALL)
    long_title = (
        MENU + 'reply = "Hola"\n' + buttons("Precios", "Horario", "Consultar disponibilidad")
    )
    others = "".join(
        f'[[rules]]\nname = "r{n}"\nkeywords = ["r{n}"]\nreply = "x"\n' for n in range(3)
    )
    branches = '[[rules]]\nname = "sucursales"\nkeywords = ["s"]\nreply = "Elige"\n'
    eleven = others + branches + '[rules.list]\nbutton = "Ver"\n' + rows(11)
    written = [long_title, eleven, MENU + buttons("Sí")]
    found = []
    for content in written:
        with pytest.raises(InvalidRulesFile) as refused:
            load_bot_rules(write_file("reglas.toml", content))
        found.append(str(refused.value))
    assert listed.splitlines() == found


def test_yaml_and_json_say_the_same(write_file: WriteFile) -> None:
    rule = {
        "name": "menu",
        "keywords": ["menu"],
        "reply": "Hola",
        "list": {"button": "Ver", "sections": [{"rows": [{"id": "a", "title": "A"}]}]},
    }
    from_json = load_bot_rules(write_file("reglas.json", json.dumps({"rules": [rule]})))
    from_yaml = load_bot_rules(
        write_file(
            "reglas.yaml",
            "rules:\n  - name: menu\n    keywords: [menu]\n    reply: Hola\n    list:\n"
            "      button: Ver\n      sections:\n"
            "        - rows:\n            - {id: a, title: A}\n",
        )
    )
    assert from_json == from_yaml
    assert from_json.rules[0].interactive == InteractiveContent.with_list(
        "Hola", "Ver", [ListSection(None, (ListRow("a", "A"),))]
    )
