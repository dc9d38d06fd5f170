"""PhoneNumber: how CRM text and WhatsApp ids are read, and which spellings are one subscriber."""

from __future__ import annotations

import pytest

from crm_whatsapp.domain.errors import InvalidPhoneNumber
from crm_whatsapp.domain.phone import PhoneNumber

# (WhatsApp wa_id, CRM text, CRM default region): every row is the same subscriber.
SAME_SUBSCRIBER = [
    # Mexico: WhatsApp keeps the retired mobile "1"; CRMs write 10 digits, 00, 044/045/01.
    ("5215512345678", "+52 55 1234 5678", None),
    ("5215512345678", "+52 1 55 1234 5678", None),
    ("5215512345678", "+52 (55) 1234-5678", None),
    ("5215512345678", "0052 55 1234 5678", None),
    ("5215512345678", "0052 1 55 1234 5678", None),
    ("5215512345678", "tel:+52-55-1234-5678", None),
    ("5215512345678", "55 1234 5678", "MX"),
    ("5215512345678", "(55) 1234.5678", "MX"),
    ("5215512345678", "55-1234-5678", "mx"),
    ("5215512345678", "044 55 1234 5678", "MX"),
    ("5215512345678", "045 55 1234 5678", "MX"),
    ("5215512345678", "01 55 1234 5678", "MX"),
    ("5215512345678", "1 55 1234 5678", "MX"),
    ("5215512345678", "525512345678", "MX"),
    ("525512345678", "+52 1 55 1234 5678", None),
    ("5212221234567", "222 123 4567", "MX"),
    # Argentina: WhatsApp 549 + area + number; CRMs with or without the 9, or 0 + area + 15.
    ("5491123456789", "+54 9 11 2345-6789", None),
    ("5491123456789", "+54 11 2345-6789", None),
    ("5491123456789", "+54 11 15 2345-6789", None),
    ("5491123456789", "0054 9 11 2345 6789", None),
    ("5491123456789", "0054 11 2345 6789", None),
    ("5491123456789", "011 15 2345-6789", "AR"),
    ("5491123456789", "(011) 15-2345-6789", "AR"),
    ("5491123456789", "11 15 2345 6789", "AR"),
    ("5491123456789", "011 2345-6789", "AR"),
    ("5491123456789", "54 9 11 2345 6789", "AR"),
    ("5493516123456", "+54 9 351 612-3456", None),
    ("5493516123456", "+54 351 612 3456", None),
    ("5493516123456", "0351 15 612-3456", "AR"),
    ("5493516123456", "351 15 612 3456", "AR"),
    ("5493516123456", "0351 612-3456", "AR"),
    ("5492966612345", "+54 9 2966 61-2345", None),
    ("5492966612345", "+54 2966 61-2345", None),
    ("5492966612345", "02966 15 61-2345", "AR"),
    ("5492966612345", "02966 61-2345", "AR"),
    # Brazil: old accounts have no ninth digit; CRMs have it, or a trunk 0 and carrier code.
    ("551187654321", "+55 11 98765-4321", None),
    ("551187654321", "+55 11 8765-4321", None),
    ("551187654321", "(11) 98765-4321", "BR"),
    ("551187654321", "(11) 8765-4321", "BR"),
    ("551187654321", "011 98765-4321", "BR"),
    ("551187654321", "0 21 11 98765-4321", "BR"),
    ("551187654321", "0xx11 98765-4321", "BR"),
    ("551187654321", "5511987654321", "BR"),
    ("551187654321", "0055 11 98765 4321", None),
    ("5511987654321", "(11) 8765-4321", "BR"),
    ("558587654321", "(85) 98765-4321", "BR"),
    ("5511912345678", "(11) 91234-5678", "BR"),
    ("551134567890", "(11) 3456-7890", "BR"),
    # Spain.
    ("34612345678", "+34 612 34 56 78", None),
    ("34612345678", "0034 612 345 678", None),
    ("34612345678", "612 34 56 78", "ES"),
    ("34612345678", "612-345-678", "ES"),
    ("34612345678", "34 612345678", "ES"),
    # Colombia: "0057" must not become Colombian carrier 5 dialling Russia (+7).
    ("573211234567", "+57 321 1234567", None),
    ("573211234567", "0057 321 123 4567", "CO"),
    ("573211234567", "321 123 4567", "CO"),
    ("573211234567", "(321) 123-4567", "CO"),
    ("573211234567", "57 321 1234567", "CO"),
    ("573211234567", "0321 1234567", "CO"),
    # United States.
    ("12125550123", "+1 (212) 555-0123", None),
    ("12125550123", "(212) 555-0123", "US"),
    ("12125550123", "212.555.0123", "US"),
    ("12125550123", "1-212-555-0123", "US"),
    ("12125550123", "001 212 555 0123", None),
    ("12125550123", "011 1 212 555 0123", "US"),
    # Peru.
    ("51912345678", "+51 912 345 678", None),
    ("51912345678", "912 345 678", "PE"),
    ("51912345678", "0051 912345678", None),
    ("51912345678", "51 912 345 678", "PE"),
    # Chile: the old "09" mobile prefix is still in address books.
    ("56961234567", "+56 9 6123 4567", None),
    ("56961234567", "9 6123 4567", "CL"),
    ("56961234567", "09 6123 4567", "CL"),
    ("56961234567", "0056 9 6123 4567", None),
    ("56961234567", "56 9 6123 4567", "CL"),
]

# (first, second): spelled as "wa:<digits>" for from_wa_id, otherwise CRM text with +.
DIFFERENT_SUBSCRIBERS = [
    ("wa:5215512345678", "+52 55 1234 5679"),
    ("wa:5215512345678", "wa:545512345678"),
    ("wa:5215512345678", "wa:15512345678"),
    ("+52 55 1234 5678", "wa:5495512345678"),
    ("+52 55 1234 5678", "wa:555512345678"),
    ("wa:5215512345678", "wa:521551234567"),
    ("wa:5491123456789", "+54 11 2345-6788"),
    ("wa:5491123456789", "+54 9 11 2345-6780"),
    ("wa:5491123456789", "wa:5291123456789"),
    ("wa:5493516123456", "wa:5493516123457"),
    ("+55 11 3456-7890", "+55 11 93456-7890"),
    ("+55 11 5456-7890", "+55 11 95456-7890"),
    ("+55 11 98765-4321", "+55 11 8765-4322"),
    ("+55 11 98765-4321", "+55 12 98765-4321"),
    ("+55 11 98765-4321", "+55 11 99876-5432"),
    ("wa:551187654321", "+54 11 8765 4321"),
    ("+34 612 34 56 78", "wa:51612345678"),
    ("+1 212 555 0123", "wa:522125550123"),
    ("+57 321 1234567", "wa:73211234567"),
    ("+56 9 6123 4567", "+56 9 6123 4568"),
]

NOT_PHONE_NUMBERS = [
    ("", None),
    ("   ", None),
    ("abc", None),
    ("no tiene", "MX"),
    ("ver notas", "MX"),
    ("123", None),
    ("123", "MX"),
    ("+52", None),
    ("+52 55", None),
    ("+52 55 1234 5678 9012 3456", None),
    ("55 1234 5678", None),
    ("55 1234 5678", "XX"),
    ("+999 1234 5678", None),
    ("2345-6789", "AR"),
    ("0" * 10, "MX"),
    ("5" * 300, "MX"),
]

NOT_WA_IDS = [
    "",
    "12345",
    "1234567890123456",
    "+5215512345678",
    "521 55 1234 5678",
    "５２１５５１２３４５６７８",
    "0123456",
    "52155123456a8",
    "5215512345678\n",
]


def _number(spelling: str) -> PhoneNumber:
    if spelling.startswith("wa:"):
        return PhoneNumber.from_wa_id(spelling.removeprefix("wa:"))
    return PhoneNumber.parse(spelling)


@pytest.mark.parametrize(("wa_id", "text", "region"), SAME_SUBSCRIBER)
def test_every_crm_spelling_of_a_number_matches_its_whatsapp_id(
    wa_id: str, text: str, region: str | None
) -> None:
    whatsapp, crm = PhoneNumber.from_wa_id(wa_id), PhoneNumber.parse(text, region)

    assert whatsapp.matches(crm)
    assert crm.matches(whatsapp)
    assert whatsapp.lookup_keys() & crm.lookup_keys()


@pytest.mark.parametrize(("first", "second"), DIFFERENT_SUBSCRIBERS)
def test_different_numbers_never_match(first: str, second: str) -> None:
    a, b = _number(first), _number(second)

    assert not a.matches(b)
    assert not b.matches(a)
    assert not a.lookup_keys() & b.lookup_keys()


@pytest.mark.parametrize(("text", "region"), NOT_PHONE_NUMBERS)
def test_text_that_is_not_a_phone_number_is_refused_with_a_reason(
    text: str, region: str | None
) -> None:
    with pytest.raises(InvalidPhoneNumber) as refused:
        PhoneNumber.parse(text, region)

    assert refused.value.text == text
    assert refused.value.reason


@pytest.mark.parametrize("wa_id", NOT_WA_IDS)
def test_a_wa_id_must_be_six_to_fifteen_ascii_digits(wa_id: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        PhoneNumber.from_wa_id(wa_id)


def test_mexican_wa_id_with_mobile_1_matches_crm_number_without_it() -> None:
    assert PhoneNumber.from_wa_id("5215512345678").matches(PhoneNumber.parse("55 1234 5678", "MX"))


def test_argentine_local_number_with_15_matches_the_whatsapp_549_id() -> None:
    local = PhoneNumber.parse("0351 15 612-3456", "AR")

    assert local.matches(PhoneNumber.from_wa_id("5493516123456"))


def test_brazilian_number_without_ninth_digit_matches_the_one_with_it() -> None:
    assert PhoneNumber.from_wa_id("551187654321").matches(PhoneNumber.parse("+55 11 98765-4321"))


def test_brazilian_landline_never_matches_a_mobile_made_of_its_digits_and_a_nine() -> None:
    landline = PhoneNumber.parse("+55 11 3456-7890")

    assert not landline.matches(PhoneNumber.parse("+55 11 93456-7890"))


def test_a_wa_id_is_kept_digit_for_digit() -> None:
    number = PhoneNumber.from_wa_id("5215512345678")

    assert number.e164 == "+5215512345678"
    assert number.digits == "5215512345678"
    assert str(number) == "+5215512345678"


def test_equality_compares_spellings_while_matches_compares_subscribers() -> None:
    whatsapp, crm = PhoneNumber.from_wa_id("5215512345678"), PhoneNumber.parse("+52 55 1234 5678")

    assert whatsapp != crm
    assert whatsapp.matches(crm)
    assert whatsapp.lookup_key == crm.lookup_key == "525512345678"


@pytest.mark.parametrize(
    ("text", "region", "e164"),
    [
        ("+52 1 55 1234 5678", None, "+5215512345678"),
        ("044 55 1234 5678", "MX", "+525512345678"),
        ("011 15 2345-6789", "AR", "+5491123456789"),
        ("+54 11 2345-6789", None, "+541123456789"),
        ("(11) 8765-4321", "BR", "+551187654321"),
        ("0057 321 1234567", "CO", "+573211234567"),
        ("09 6123 4567", "CL", "+56961234567"),
        ("+39 06 1234 5678", None, "+390612345678"),
        (" +52\u00a055 1234 5678 ", None, "+525512345678"),
    ],
)
def test_parse_keeps_the_number_as_given_minus_dialling_prefixes(
    text: str, region: str | None, e164: str
) -> None:
    assert PhoneNumber.parse(text, region).e164 == e164


def test_an_italian_leading_zero_is_part_of_the_number() -> None:
    assert not PhoneNumber.parse("+39 06 1234 5678").matches(PhoneNumber.parse("+39 6 1234 5678"))


@pytest.mark.parametrize(
    ("wa_id", "country_code", "region"),
    [
        ("5215512345678", 52, "MX"),
        ("5491123456789", 54, "AR"),
        ("551187654321", 55, "BR"),
        ("12125550123", 1, "US"),
        ("14165550123", 1, "CA"),
        ("8001234567", 800, None),
    ],
)
def test_country_code_and_region_come_from_the_number(
    wa_id: str, country_code: int, region: str | None
) -> None:
    number = PhoneNumber.from_wa_id(wa_id)

    assert number.country_code == country_code
    assert number.region == region


def test_lookup_keys_are_the_lookup_key() -> None:
    number = PhoneNumber.parse("+54 9 11 2345-6789")

    assert number.lookup_keys() == frozenset({"541123456789"})


@pytest.mark.parametrize("e164", ["5215512345678", "+0521", "+", "+52 55 1234 5678", "+999123"])
def test_the_constructor_refuses_what_is_not_e164(e164: str) -> None:
    with pytest.raises(InvalidPhoneNumber):
        PhoneNumber(e164)


def test_an_invalid_phone_number_is_also_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        PhoneNumber.parse("abc")
