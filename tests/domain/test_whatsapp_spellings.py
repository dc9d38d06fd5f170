"""A number the CRM writes to is found again however WhatsApp spells the customer's
wa_id when they answer (Mexico's 521, Argentina's 549, Brazil's ninth digit)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.phone import PhoneNumber

_TEN = st.from_regex(r"[2-9][0-9]{9}", fullmatch=True)


@given(_TEN)
def test_a_mexican_number_is_known_by_both_of_its_whatsapp_spellings(national: str) -> None:
    number = PhoneNumber.parse(f"+52{national}")
    assert number.whatsapp_spellings() == (f"52{national}", f"521{national}")
    started = CustomerIdentity(
        wa_id=number.digits, phone=number, aliases=number.whatsapp_spellings()[1:]
    )
    answering = CustomerIdentity.from_wa_id(f"521{national}")
    assert f"w:521{national}" in started.conversation_keys()
    assert started.is_same_customer(answering)
    assert answering.is_same_customer(started)


def test_argentina_and_brazil_and_a_plain_number() -> None:
    assert PhoneNumber.parse("+54 11 2345 6789").whatsapp_spellings() == (
        "541123456789",
        "5491123456789",
    )
    assert PhoneNumber.parse("+55 11 98765 4321").whatsapp_spellings() == (
        "5511987654321",
        "551187654321",
    )
    assert PhoneNumber.parse("+34 612 34 56 78").whatsapp_spellings() == ("34612345678",)


@given(_TEN, _TEN)
def test_different_numbers_are_never_the_same_customer(a: str, b: str) -> None:
    if a == b:
        return
    assert not CustomerIdentity.from_wa_id(f"521{a}").is_same_customer(
        CustomerIdentity.from_wa_id(f"52{b}")
    )
