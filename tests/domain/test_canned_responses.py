"""Canned responses in the domain: what a shortcut may be, which placeholders a text may
quote, and expansion for one conversation that inserts every value literally, once."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.domain.access import Actor
from crm_whatsapp.domain.canned_responses import (
    CannedResponse,
    SearchTerms,
    clean_shortcut,
    shortcut_key,
)
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import (
    CannedResponseNotFound,
    ConversationNotFound,
    DuplicateShortcut,
    InvalidCannedResponse,
    UnknownPlaceholders,
)
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.policy.placeholders import (
    BUILT_IN_PLACEHOLDERS,
    PLACEHOLDER,
    fill,
    placeholder_values,
)
from crm_whatsapp.domain.use_cases.canned_responses import (
    create_canned_response,
    delete_canned_response,
    expand_canned_response,
    find_canned_responses,
    known_placeholders,
    update_canned_response,
)

NOW = datetime(2026, 3, 10, 15, tzinfo=UTC)
LAURA = Actor.agent("laura", "Laura Gómez")
ANA = ClientRef("C-100", "Ana López", {"plan": "Oro"})


def setup_with(*clients: ClientRef, fields: frozenset[str] = frozenset()):
    setup = build_in_memory([(c, []) for c in clients], now=NOW)
    return dataclasses.replace(setup, deps=dataclasses.replace(setup.deps, client_fields=fields))


def conversation_of(setup, client: ClientRef | None, profile: str | None = "Anita") -> str:
    conversation = Conversation.start(
        "conv-1", "1065", CustomerIdentity.from_wa_id("5215512345678"), NOW
    )
    conversation = dataclasses.replace(conversation, profile_name=profile)
    if client is not None:
        conversation = conversation.linked_to(client, manually=True)
    with setup.deps.unit_of_work() as uow:
        uow.conversations.get_or_start(conversation)
        uow.commit()
    return conversation.id


# -- the shortcut ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("pago_pendiente", "pago_pendiente"),
        ("/saludo", "saludo"),
        ("  Horario ", "horario"),
        ("envío-24h", "envío-24h"),
        ("a", "a"),
        ("x" * 32, "x" * 32),
    ],
)
def test_a_shortcut_is_kept_without_its_slash_in_lower_case(typed, stored):
    assert clean_shortcut(typed) == stored


@pytest.mark.parametrize(
    "typed", ["", "/", "x" * 33, "pago pendiente", "pago.pendiente", "{nombre}", "hola!", "١٢"]
)
def test_a_shortcut_of_another_form_is_refused_naming_the_field(typed):
    with pytest.raises(InvalidCannedResponse) as refused:
        clean_shortcut(typed)
    assert refused.value.field == "shortcut"


def test_shortcuts_are_the_same_whatever_their_case_and_accents():
    assert shortcut_key("Envío") == shortcut_key("envio") == "envio"
    assert shortcut_key("AÑO") == shortcut_key("ano")
    assert shortcut_key("pago_pendiente") == "pago_pendiente"


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("title", {"title": "t" * 81}),
        ("text", {"text": ""}),
        ("text", {"text": "   \n"}),
        ("text", {"text": "x" * 4097}),
        ("text", {"text": "a\x00b"}),
        ("shortcut", {"shortcut": "Pago"}),  # stored clean, or not at all
    ],
)
def test_a_response_of_the_wrong_size_or_form_cannot_exist(field, changes):
    values = {"shortcut": "pago", "title": "", "text": "Hola"} | changes
    with pytest.raises(InvalidCannedResponse) as refused:
        CannedResponse("r-1", created_at=NOW, updated_at=NOW, created_by=LAURA, **values)
    assert refused.value.field == field


# -- saving ---------------------------------------------------------------------------


def test_a_saved_response_keeps_who_saved_it_and_when():
    setup = setup_with()

    saved = create_canned_response(
        setup.deps, "/Saludo", "¡Hola {perfil}! ¿En qué te ayudo?", "Saludo inicial", LAURA
    )

    assert (saved.shortcut, saved.title, saved.created_by) == ("saludo", "Saludo inicial", LAURA)
    assert saved.created_at == saved.updated_at == NOW
    assert saved.placeholders == ["perfil"]
    assert list(find_canned_responses(setup.deps)) == [saved]


def test_unknown_placeholders_are_refused_naming_each_and_nothing_is_stored():
    setup = setup_with()

    with pytest.raises(UnknownPlaceholders) as refused:
        create_canned_response(setup.deps, "pago", "Hola {nombre}, {nombr} y {saldo} {saldo}")

    assert refused.value.names == ["nombr", "saldo"]
    assert "{nombr}, {saldo}" in str(refused.value)
    assert refused.value.field == "text"
    assert list(find_canned_responses(setup.deps)) == []


def test_the_crm_columns_the_lookup_offers_are_known_placeholders():
    setup = setup_with(fields=frozenset({"plan", "saldo"}))

    assert known_placeholders(setup.deps) == BUILT_IN_PLACEHOLDERS | {"plan", "saldo"}
    saved = create_canned_response(setup.deps, "pago", "Tu plan {plan} debe {saldo}.")
    assert saved.placeholders == ["plan", "saldo"]


def test_a_taken_shortcut_is_refused_whatever_its_accents():
    setup = setup_with()
    create_canned_response(setup.deps, "envío", "Llega en 48 h.")

    with pytest.raises(DuplicateShortcut):
        create_canned_response(setup.deps, "ENVIO", "Otra")


def test_an_update_changes_only_what_it_names_and_is_checked_like_a_new_one():
    setup = setup_with()
    saludo = create_canned_response(setup.deps, "saludo", "Hola", "Saludo", LAURA)
    create_canned_response(setup.deps, "horario", "9 a 18 h")
    setup.clock.advance(timedelta(minutes=5))

    changed = update_canned_response(setup.deps, saludo.id, text="Hola {nombre}")

    assert (changed.shortcut, changed.title, changed.text) == ("saludo", "Saludo", "Hola {nombre}")
    assert (changed.created_at, changed.updated_at) == (NOW, NOW + timedelta(minutes=5))
    assert changed.created_by == LAURA
    with pytest.raises(DuplicateShortcut):
        update_canned_response(setup.deps, saludo.id, shortcut="Horario")
    with pytest.raises(UnknownPlaceholders):
        update_canned_response(setup.deps, saludo.id, text="{hola}")
    with pytest.raises(CannedResponseNotFound):
        update_canned_response(setup.deps, "nope", title="x")
    assert update_canned_response(setup.deps, saludo.id, shortcut="SALUDO").shortcut == "saludo"


def test_a_deleted_response_is_not_found_again():
    setup = setup_with()
    saved = create_canned_response(setup.deps, "saludo", "Hola")

    delete_canned_response(setup.deps, saved.id)

    with pytest.raises(CannedResponseNotFound):
        delete_canned_response(setup.deps, saved.id)
    assert list(find_canned_responses(setup.deps)) == []


# -- expansion ------------------------------------------------------------------------


def test_expansion_fills_the_linked_clients_fields_the_profile_and_the_number():
    setup = setup_with(ANA, fields=frozenset({"plan"}))
    conversation_id = conversation_of(setup, ANA)
    create_canned_response(
        setup.deps, "pago", "Hola {nombre} ({cliente_id}, {plan}), alias {perfil}, al {numero}."
    )

    expanded = expand_canned_response(setup.deps, conversation_id, "/PAGO")

    assert expanded.shortcut == "pago"
    assert expanded.text == "Hola Ana López (C-100, Oro), alias Anita, al +5215512345678."
    assert expanded.missing == ()


def test_without_a_client_its_placeholders_are_missing_and_left_empty():
    setup = setup_with(fields=frozenset({"plan"}))
    conversation_id = conversation_of(setup, None, profile=None)
    create_canned_response(setup.deps, "pago", "Hola {nombre}{perfil}, tu plan {plan}: {nombre}.")

    expanded = expand_canned_response(setup.deps, conversation_id, "pago")

    assert expanded.text == "Hola , tu plan : ."
    assert expanded.missing == ("nombre", "perfil", "plan")


def test_a_client_gone_from_the_crm_is_still_named_as_the_conversation_knows_it():
    setup = setup_with()  # the lookup no longer has Ana
    conversation_id = conversation_of(setup, ANA)
    create_canned_response(setup.deps, "hola", "Hola {nombre} ({cliente_id})")

    assert expand_canned_response(setup.deps, conversation_id, "hola").text == (
        "Hola Ana López (C-100)"
    )


def test_a_value_that_looks_like_a_placeholder_is_quoted_as_it_is():
    tricky = ClientRef("{perfil}", "{cliente_id} {{1}} {nombre}")
    setup = setup_with(tricky)
    conversation_id = conversation_of(setup, tricky, profile="{numero}")
    create_canned_response(setup.deps, "hola", "{nombre}|{cliente_id}|{perfil}")

    expanded = expand_canned_response(setup.deps, conversation_id, "hola")

    assert expanded.text == "{cliente_id} {{1}} {nombre}|{perfil}|{numero}"


def test_expanding_an_unknown_shortcut_or_conversation_is_not_found():
    setup = setup_with()
    conversation_id = conversation_of(setup, None)
    create_canned_response(setup.deps, "hola", "Hola")

    with pytest.raises(CannedResponseNotFound, match="/adios"):
        expand_canned_response(setup.deps, conversation_id, "adios")
    with pytest.raises(ConversationNotFound):
        expand_canned_response(setup.deps, "conv-x", "hola")


def test_the_bot_and_the_composer_read_the_same_values():
    conversation = dataclasses.replace(
        Conversation.start("c", "1065", CustomerIdentity.from_wa_id("5215512345678"), NOW),
        profile_name="Anita",
    )
    assert placeholder_values(conversation, ANA) == {
        "perfil": "Anita",
        "numero": "+5215512345678",
        "nombre": "Ana López",
        "name": "Ana López",
        "cliente_id": "C-100",
        "plan": "Oro",
    }


# -- safe expansion, for any values ---------------------------------------------------

NAMES = st.sampled_from(sorted(BUILT_IN_PLACEHOLDERS | {"plan", "x_1"}))
# any text, made mostly of braces and placeholder names
FRAGMENTS = st.one_of(
    st.text(max_size=3), st.sampled_from(["{", "}", "{{", "}}", "{1}", "nombre", "{perfil", "_"])
)
VALUES = st.lists(FRAGMENTS, max_size=6).map("".join)
LITERAL = (
    st.lists(FRAGMENTS, max_size=4).map("".join).filter(lambda t: PLACEHOLDER.search(t) is None)
)


@given(
    pieces=st.lists(st.tuples(LITERAL, NAMES), max_size=6),
    tail=LITERAL,
    values=st.dictionaries(NAMES, VALUES),
)
def test_each_value_lands_literally_where_its_placeholder_was_and_nothing_else_changes(
    pieces, tail, values
):
    template = "".join(f"{literal}{{{name}}}" for literal, name in pieces) + tail

    filled = fill(template, values)

    expected = "".join(literal + values.get(name, "") for literal, name in pieces) + tail
    assert filled.text == expected
    quoted = list(dict.fromkeys(name for _, name in pieces))
    assert filled.missing == tuple(name for name in quoted if not values.get(name))


@given(shortcut=st.from_regex(r"[a-zñé0-9_-]{1,12}", fullmatch=True), length=st.integers(0, 12))
def test_a_shortcut_is_found_by_any_start_of_it_in_any_case(shortcut, length):
    found = CannedResponse("r", shortcut, "", "Hola", NOW, NOW, LAURA)
    typed = "/" + shortcut[:length].upper()
    assert SearchTerms.of(typed).matches(found)
    assert SearchTerms.of(typed).order(found)[0] is False  # among the first: by its prefix
