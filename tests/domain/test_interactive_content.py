"""Reply buttons and lists: content within WhatsApp's limits is built and survives its JSON
form unchanged; content past any one limit is refused, naming the part."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.errors import InvalidOutboundMessage
from crm_whatsapp.domain.interactive import (
    MAX_BODY,
    MAX_BUTTON_ID,
    MAX_BUTTON_TITLE,
    MAX_BUTTONS,
    MAX_FOOTER,
    MAX_HEADER,
    MAX_LIST_BODY,
    MAX_LIST_BUTTON,
    MAX_ROW_DESCRIPTION,
    MAX_ROW_ID,
    MAX_ROW_TITLE,
    MAX_ROWS,
    MAX_SECTION_TITLE,
    MAX_SECTIONS,
    InteractiveContent,
    ListRow,
    ListSection,
    ReplyButton,
    body_limit,
)
from crm_whatsapp.domain.message import Author, Direction, Message, MessageKind
from crm_whatsapp.testing import NOW
from crm_whatsapp.testing.interactive import (
    interactive_contents,
    interactive_texts,
    list_contents,
    reply_buttons_contents,
)

_alphabet = st.characters(codec="utf-8", exclude_characters="\x00")


@given(interactive_contents())
def test_content_within_the_limits_round_trips_through_its_json_form(
    content: InteractiveContent,
) -> None:
    stored = json.loads(json.dumps(content.to_json(), ensure_ascii=False))
    assert InteractiveContent.from_json(stored) == content


def too_long(limit: int) -> st.SearchStrategy[str]:
    return st.text(_alphabet, min_size=limit + 1, max_size=limit + 30).filter(
        lambda t: bool(t.strip())
    )


BREAKS = {
    "body": lambda d, c: c.to_json() | {"body": d(too_long(body_limit(c.kind)))},
    "header": lambda d, c: c.to_json() | {"header": d(too_long(MAX_HEADER))},
    "footer": lambda d, c: c.to_json() | {"footer": d(too_long(MAX_FOOTER))},
    "blank body": lambda d, c: c.to_json() | {"body": d(st.sampled_from(["", " ", "\n\t"]))},
}


@given(st.data(), interactive_contents(), st.sampled_from(sorted(BREAKS)))
def test_content_past_a_limit_of_its_whole_is_refused(
    data: st.DataObject, content: InteractiveContent, how: str
) -> None:
    broken = BREAKS[how](data.draw, content)
    with pytest.raises(InvalidOutboundMessage) as refused:
        InteractiveContent.from_json(broken)
    assert refused.value.field in ("body", "header", "footer")


@given(st.data(), reply_buttons_contents())
def test_buttons_past_any_limit_are_refused_naming_the_button(
    data: st.DataObject, content: InteractiveContent
) -> None:
    buttons = content.to_json()["buttons"]
    index = data.draw(st.integers(0, len(buttons) - 1))
    how = data.draw(st.sampled_from(["title", "id", "blank id", "spaced id", "four", "twins"]))
    if how == "title":
        buttons[index]["title"] = data.draw(too_long(MAX_BUTTON_TITLE))
    elif how == "id":
        buttons[index]["id"] = data.draw(too_long(MAX_BUTTON_ID))
    elif how == "blank id":
        buttons[index]["id"] = ""
    elif how == "spaced id":
        buttons[index]["id"] = f" {buttons[index]['id']}"
    elif how == "four":
        buttons.extend({"id": f"extra-{n}", "title": f"Extra {n}"} for n in range(4))
    else:
        buttons.append(dict(buttons[index]))
    with pytest.raises(InvalidOutboundMessage) as refused:
        InteractiveContent.from_json(content.to_json() | {"buttons": buttons})
    assert refused.value.field.startswith("buttons")


@given(st.data(), list_contents())
def test_lists_past_any_limit_are_refused_naming_the_part(
    data: st.DataObject, content: InteractiveContent
) -> None:
    sections = content.to_json()["sections"]
    s = data.draw(st.integers(0, len(sections) - 1))
    rows = sections[s]["rows"]
    r = data.draw(st.integers(0, len(rows) - 1))
    how = data.draw(
        st.sampled_from(["row title", "description", "row id", "eleven", "same id", "no rows"])
    )
    if how == "row title":
        rows[r]["title"] = data.draw(too_long(MAX_ROW_TITLE))
    elif how == "description":
        rows[r]["description"] = data.draw(too_long(MAX_ROW_DESCRIPTION))
    elif how == "row id":
        rows[r]["id"] = data.draw(too_long(MAX_ROW_ID))
    elif how == "eleven":
        rows.extend({"id": f"extra-{n}", "title": f"Extra {n}"} for n in range(MAX_ROWS))
    elif how == "same id":
        rows.append(dict(rows[r]))
    else:
        sections[s]["rows"] = []
    with pytest.raises(InvalidOutboundMessage) as refused:
        InteractiveContent.from_json(content.to_json() | {"sections": sections})
    assert refused.value.field.startswith("sections")


@given(list_contents(), interactive_texts(MAX_SECTION_TITLE))
def test_a_list_of_several_sections_needs_every_title_and_ten_at_most(
    content: InteractiveContent, title: str
) -> None:
    row = {"id": "otra", "title": "Otra"}
    untitled = content.to_json()["sections"] + [{"title": None, "rows": [row]}]
    if sum(len(s["rows"]) for s in untitled) <= MAX_ROWS:
        with pytest.raises(InvalidOutboundMessage, match="more than one section"):
            InteractiveContent.from_json(content.to_json() | {"sections": untitled})
    eleven = [
        {"title": f"{title[:20]} {n}", "rows": [{"id": f"r{n}", "title": "R"}]} for n in range(11)
    ]
    with pytest.raises(InvalidOutboundMessage) as refused:
        InteractiveContent.from_json(content.to_json() | {"sections": eleven})
    assert refused.value.field == "sections"


def test_the_limits_are_metas() -> None:
    assert (MAX_BODY, MAX_LIST_BODY, MAX_HEADER, MAX_FOOTER) == (1024, 4096, 60, 60)
    assert (MAX_BUTTONS, MAX_BUTTON_TITLE, MAX_BUTTON_ID) == (3, 20, 256)
    assert (MAX_LIST_BUTTON, MAX_SECTIONS, MAX_ROWS, MAX_SECTION_TITLE) == (20, 10, 10, 24)
    assert (MAX_ROW_TITLE, MAX_ROW_DESCRIPTION, MAX_ROW_ID) == (24, 72, 200)


def test_buttons_and_a_list_do_not_mix_and_a_list_needs_its_button() -> None:
    button = ReplyButton("si", "Sí")
    section = ListSection(None, (ListRow("a", "A"),))
    with pytest.raises(InvalidOutboundMessage, match="no list"):
        InteractiveContent("buttons", "¿Confirmas?", buttons=(button,), sections=(section,))
    with pytest.raises(InvalidOutboundMessage, match="no reply buttons"):
        InteractiveContent(
            "list", "Elige", buttons=(button,), button_label="Ver", sections=(section,)
        )
    with pytest.raises(InvalidOutboundMessage) as refused:
        InteractiveContent("list", "Elige", sections=(section,))
    assert refused.value.field == "button_label"
    with pytest.raises(InvalidOutboundMessage) as refused:
        InteractiveContent.from_json({"kind": "carousel", "body": "x"})
    assert refused.value.field == "kind"


def test_two_buttons_may_not_share_a_title() -> None:
    with pytest.raises(InvalidOutboundMessage, match="two buttons have this title"):
        InteractiveContent.with_buttons("¿?", [ReplyButton("a", "Sí"), ReplyButton("b", "Sí")])


def test_placeholders_are_filled_in_texts_and_titles_but_not_in_ids() -> None:
    content = InteractiveContent.with_buttons(
        "Hola {nombre}, ¿qué necesitas?",
        [ReplyButton("{nombre}", "Pagar {plan}"), ReplyButton("asesor", "Hablar con {nombre}")],
        footer="Cliente {cliente_id}",
    )
    values = {"nombre": "Maximiliano Alejandro", "plan": "Oro", "cliente_id": "42"}
    filled = content.rendered(lambda text: text.format_map(values))

    assert filled.body == "Hola Maximiliano Alejandro, ¿qué necesitas?"
    assert filled.footer == "Cliente 42"
    assert [b.id for b in filled.buttons] == ["{nombre}", "asesor"]
    assert filled.buttons[0].title == "Pagar Oro"
    # "Hablar con Maximiliano Alejandro" is 32 characters: cut to WhatsApp's 20
    assert filled.buttons[1].title == "Hablar con Maximili…"
    assert len(filled.buttons[1].title) == MAX_BUTTON_TITLE


def test_a_title_that_fills_in_blank_keeps_its_written_text() -> None:
    content = InteractiveContent.with_buttons("Hola", [ReplyButton("a", "{nombre}")])
    assert content.rendered(lambda text: "").buttons[0].title == "{nombre}"


def test_an_outbound_interactive_messages_preview_is_its_body() -> None:
    content = InteractiveContent.with_buttons(
        "¿Confirmas tu cita\nde mañana?", [ReplyButton("si", "Sí")]
    )
    message = Message(
        "m1", "c1", Direction.OUTBOUND, MessageKind.INTERACTIVE, NOW, Author.bot(),
        interactive=content,
    )  # fmt: skip
    assert message.preview() == "¿Confirmas tu cita de mañana?"


def test_a_list_takes_a_body_of_4096_characters_and_buttons_1024() -> None:
    """Meta raised the list's body to 4,096 characters; reply buttons keep 1,024."""
    rows = (ListSection(None, (ListRow("a", "A"),)),)
    assert InteractiveContent.with_list("x" * MAX_LIST_BODY, "Ver", rows).body
    with pytest.raises(InvalidOutboundMessage) as refused:
        InteractiveContent.with_list("x" * (MAX_LIST_BODY + 1), "Ver", rows)
    assert refused.value.field == "body"
    with pytest.raises(InvalidOutboundMessage) as refused:
        InteractiveContent.with_buttons("x" * (MAX_BODY + 1), [ReplyButton("si", "Sí")])
    assert refused.value.field == "body"
