"""PhoneNumber properties: matching is an equivalence that the lookup keys index exactly."""

from __future__ import annotations

import phonenumbers
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.errors import InvalidPhoneNumber
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.testing.phones import (
    FormattedPhone,
    formatted_phone_numbers,
    phone_numbers,
    wa_ids,
)

CALLING_CODES = sorted(phonenumbers.supported_calling_codes())


def _read(formatted: FormattedPhone) -> PhoneNumber:
    return PhoneNumber.parse(formatted.text, formatted.default_region)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[PhoneNumber, PhoneNumber]:
    """Two spellings of one subscriber about half the time, two subscribers otherwise."""
    first = draw(formatted_phone_numbers())
    if draw(st.booleans()):
        return _read(first), first.number
    return _read(first), _read(draw(formatted_phone_numbers()))


def _national(number: PhoneNumber) -> str:
    return number.digits.removeprefix(str(number.country_code))


@given(formatted_phone_numbers())
def test_any_real_world_spelling_parses_to_a_number_that_matches_it(
    formatted: FormattedPhone,
) -> None:
    assert _read(formatted).matches(formatted.number)


@given(formatted_phone_numbers())
def test_a_spelling_keeps_the_region_of_the_number(formatted: FormattedPhone) -> None:
    assert _read(formatted).region == formatted.number.region == formatted.default_region


@given(formatted_phone_numbers())
def test_matches_is_reflexive(formatted: FormattedPhone) -> None:
    number = _read(formatted)

    assert number.matches(number)


@given(pairs())
def test_matches_is_symmetric(pair: tuple[PhoneNumber, PhoneNumber]) -> None:
    a, b = pair

    assert a.matches(b) == b.matches(a)


@given(pairs())
def test_matches_exactly_when_lookup_keys_intersect(pair: tuple[PhoneNumber, PhoneNumber]) -> None:
    a, b = pair

    assert a.matches(b) == bool(a.lookup_keys() & b.lookup_keys())
    assert a.matches(b) == (a.lookup_key == b.lookup_key)


@given(phone_numbers(), phone_numbers())
def test_distinct_canonical_numbers_never_match(a: PhoneNumber, b: PhoneNumber) -> None:
    assert a.matches(b) == (a == b)


@given(formatted_phone_numbers(), st.sampled_from("0123456789"))
def test_changing_the_last_digit_never_matches(formatted: FormattedPhone, digit: str) -> None:
    number = _read(formatted)
    changed = PhoneNumber(number.e164[:-1] + digit)

    assert changed.matches(formatted.number) == (digit == number.e164[-1])


@given(formatted_phone_numbers(), st.sampled_from(CALLING_CODES))
def test_the_same_national_digits_under_another_country_code_never_match(
    formatted: FormattedPhone, country_code: int
) -> None:
    number = _read(formatted)
    elsewhere = PhoneNumber(f"+{country_code}{_national(number)}")

    assert elsewhere.matches(formatted.number) == (country_code == number.country_code)


@given(formatted_phone_numbers())
def test_the_wa_id_of_a_number_matches_it(formatted: FormattedPhone) -> None:
    number = _read(formatted)

    assert PhoneNumber.from_wa_id(number.digits).matches(formatted.number)


@given(wa_ids())
def test_a_wa_id_is_kept_digit_for_digit_and_matches_its_e164_text(wa_id: str) -> None:
    number = PhoneNumber.from_wa_id(wa_id)

    assert number.digits == wa_id
    assert number.matches(PhoneNumber.parse("+" + wa_id))


@given(
    st.one_of(st.text(), st.text("0123456789 +-.()x", max_size=30)),
    st.none() | st.sampled_from(["MX", "AR", "BR", "us", "ZZ", "001", ""]) | st.text(max_size=3),
)
def test_parse_raises_nothing_but_invalid_phone_number(text: str, region: str | None) -> None:
    outcome = _parse_or_refusal(text, region)

    if isinstance(outcome, InvalidPhoneNumber):
        assert outcome.reason
    else:
        assert outcome.lookup_key.isdigit()
        assert outcome.lookup_key.startswith(str(outcome.country_code))


def _parse_or_refusal(text: str, region: str | None) -> PhoneNumber | InvalidPhoneNumber:
    try:
        return PhoneNumber.parse(text, region)
    except InvalidPhoneNumber as refused:
        return refused


@given(st.text(max_size=20))
def test_from_wa_id_raises_nothing_but_invalid_phone_number(text: str) -> None:
    try:
        number = PhoneNumber.from_wa_id(text)
    except InvalidPhoneNumber:
        return
    assert number.digits == text
