"""The in-memory client lookup: a CRM's clients found by WhatsApp number, id or name."""

from __future__ import annotations

import pytest

from crm_whatsapp.adapters.memory import InMemoryClientLookup
from crm_whatsapp.domain.identity import ClientRef
from crm_whatsapp.domain.phone import PhoneNumber

ANA = ClientRef("c-1", "Ana López")
JOSE = ClientRef("c-2", "José Pérez")
MARIA = ClientRef("c-3", "María José Ruiz")
WHATSAPP_MX = PhoneNumber.from_wa_id("5215512345678")


@pytest.mark.parametrize(
    ("stored", "region"),
    [
        ("+52 55 1234 5678", None),
        ("+52 1 55 1234 5678", None),
        ("+5215512345678", None),
        ("+52 (55) 1234-5678", None),
        ("0052 55 1234 5678", None),
        ("  (55) 1234 5678", "MX"),
        ("55-1234-5678", "mx"),
        ("044 55 1234 5678", "MX"),
    ],
)
def test_a_client_is_found_by_whatsapp_number_whatever_format_the_crm_stored(stored, region):
    lookup = InMemoryClientLookup([(ANA, [stored])], default_region=region)

    match = lookup.by_phone(WHATSAPP_MX)

    assert match.client == ANA
    assert match.candidates == (ANA,)
    assert not match.is_ambiguous


def test_a_client_with_several_numbers_is_found_by_any_of_them():
    lookup = InMemoryClientLookup([(ANA, ["+52 55 9999 0000", "+52 55 1234 5678"])])

    assert lookup.by_phone(WHATSAPP_MX).client == ANA
    assert lookup.by_phone(PhoneNumber.from_wa_id("5215599990000")).client == ANA


def test_a_different_number_finds_nobody():
    lookup = InMemoryClientLookup([(ANA, ["+52 55 1234 5678"])])

    match = lookup.by_phone(PhoneNumber.from_wa_id("5215512345679"))

    assert match.candidates == ()
    assert match.client is None
    assert not match.is_ambiguous


def test_two_clients_sharing_a_number_make_an_ambiguous_match_that_names_nobody():
    lookup = InMemoryClientLookup([(JOSE, ["+52 55 1234 5678"]), (ANA, ["0052 (55) 1234-5678"])])

    match = lookup.by_phone(WHATSAPP_MX)

    assert match.is_ambiguous
    assert match.client is None
    assert match.candidates == (ANA, JOSE)


def test_phones_the_crm_could_not_hold_as_numbers_are_ignored():
    lookup = InMemoryClientLookup(
        [(ANA, ["no tiene", "ver notas", "", "12", "+52 55 1234 5678"]), (JOSE, ["sin número"])]
    )

    assert lookup.by_phone(WHATSAPP_MX).candidates == (ANA,)
    assert lookup.by_id("c-2") == JOSE


def test_a_number_without_country_code_is_ignored_when_no_default_region_is_known():
    lookup = InMemoryClientLookup([(ANA, ["55 1234 5678"])])

    assert lookup.by_phone(WHATSAPP_MX).candidates == ()


def test_a_client_added_later_is_found():
    lookup = InMemoryClientLookup()

    lookup.add(ANA, "+52 55 1234 5678")

    assert lookup.by_phone(WHATSAPP_MX).client == ANA
    assert lookup.by_id("c-1") == ANA


def test_by_id_finds_the_client_or_nobody():
    lookup = InMemoryClientLookup([(ANA, []), (JOSE, [])])

    assert lookup.by_id("c-2") == JOSE
    assert lookup.by_id("c-404") is None


@pytest.fixture
def crm() -> InMemoryClientLookup:
    return InMemoryClientLookup([(ANA, []), (JOSE, []), (MARIA, [])])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("jose", [JOSE, MARIA]),
        ("JOSÉ", [JOSE, MARIA]),
        ("perez", [JOSE]),
        ("Ruíz", [MARIA]),
        ("lopez", [ANA]),
        ("c-3", [MARIA]),
        ("  c-1 ", [ANA]),
        ("nadie", []),
    ],
)
def test_search_finds_clients_by_id_or_by_name_ignoring_case_and_accents(crm, text, expected):
    assert list(crm.search(text)) == expected


def test_search_puts_the_client_with_that_id_first_and_respects_the_limit():
    lookup = InMemoryClientLookup([(ClientRef("ana", "Zoe Ana"), []), (ANA, []), (MARIA, [])])

    assert list(lookup.search("ana")) == [ClientRef("ana", "Zoe Ana"), ANA]
    assert list(lookup.search("a")) == [ANA, MARIA, ClientRef("ana", "Zoe Ana")]
    assert list(lookup.search("a", limit=2)) == [ANA, MARIA]
