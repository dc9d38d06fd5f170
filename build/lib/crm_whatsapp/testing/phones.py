"""Hypothesis strategies for phone numbers as WhatsApp and CRMs write them.

``@given(formatted_phone_numbers())`` hands a test one real-world spelling of a valid number
and the number itself; pass ``regions=("MX",)`` to focus on one country.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import phonenumbers
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat

from crm_whatsapp.domain.phone import PhoneNumber

DEFAULT_REGIONS: tuple[str, ...] = ("MX", "AR", "BR", "ES", "CO", "US", "PE", "CL")

# Leading digits of real mobile ranges: every number drawn under them is valid, and together
# they cover area codes of each length (AR 11 / 351 / 2966, MX 55 / 222) and both Brazilian
# ninth-digit cases (9 + 6-9, which has an 8-digit past, and 9 + 0-5, which has not).
_MOBILE_PREFIXES: dict[str, tuple[str, ...]] = {
    "MX": ("55", "33", "81", "222", "998", "656"),
    "AR": ("9116", "9115", "93516", "93414", "92615", "92214", "929666"),
    "BR": ("119", "219", "519", "619", "719", "859"),
    "ES": ("6", "71", "72"),
    "CO": ("300", "310", "315", "321", "350"),
    "US": ("2125", "3055", "4155", "2015"),
    "PE": ("91", "94", "98"),
    "CL": ("94", "95", "98"),
}
_SEPARATORS = (" ", " ", "-", ".", "", "  ", " - ")
_PADDING = ("", "", " ", "\u00a0", "\t")
_BR_CARRIERS = ("15", "21", "31", "41")

_Plan = tuple[str, int, str, int]


@dataclass(frozen=True)
class FormattedPhone:
    """``text`` is how someone wrote ``number`` in a CRM whose country is ``default_region``."""

    number: PhoneNumber
    text: str
    default_region: str


def phone_numbers(regions: Sequence[str] = DEFAULT_REGIONS) -> st.SearchStrategy[PhoneNumber]:
    """Valid mobile numbers in canonical E.164: distinct ones are distinct subscribers."""
    return _regional_numbers(_plans(regions)).map(lambda drawn: drawn[1])


def formatted_phone_numbers(
    regions: Sequence[str] = DEFAULT_REGIONS,
) -> st.SearchStrategy[FormattedPhone]:
    """A valid number and one way a CRM holds it: international, ``00``, national, the
    Mexican/Argentine/Brazilian variants, with any spaces, dashes, dots and parentheses."""
    return _formatted(_plans(regions))


def wa_ids(regions: Sequence[str] = DEFAULT_REGIONS) -> st.SearchStrategy[str]:
    """WhatsApp ids as Meta sends them, including the old ``521...`` and 8-digit Brazilian
    forms that older accounts still carry."""
    return _regional_numbers(_plans(regions)).flatmap(
        lambda drawn: st.sampled_from(_whatsapp_spellings(drawn[1]))
    )


def _plans(regions: Sequence[str]) -> tuple[_Plan, ...]:
    """(region, country code, leading digits, national length) for each mobile range.

    Built eagerly so that an unknown region fails where the strategy is defined.
    """
    if not regions:
        raise ValueError("phone strategies need at least one region")
    plans: list[_Plan] = []
    for region in regions:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"unknown region {region!r}")
        example = phonenumbers.example_number_for_type(
            region, phonenumbers.PhoneNumberType.MOBILE
        ) or phonenumbers.example_number(region)
        if example is None:
            raise ValueError(f"phonenumbers has no example number for {region!r}")
        national = phonenumbers.national_significant_number(example)
        code = phonenumbers.country_code_for_region(region)
        prefixes = _MOBILE_PREFIXES.get(region, (national[:-4],))
        plans.extend((region, code, prefix, len(national)) for prefix in prefixes)
    return tuple(plans)


@st.composite
def _regional_numbers(draw: st.DrawFn, plans: tuple[_Plan, ...]) -> tuple[str, PhoneNumber]:
    region, code, prefix, length = draw(st.sampled_from(plans))
    tail = draw(
        st.text("0123456789", min_size=length - len(prefix), max_size=length - len(prefix)).filter(
            lambda tail: _is_valid(f"+{code}{prefix}{tail}")
        )
    )
    return region, PhoneNumber(f"+{code}{prefix}{tail}")


@st.composite
def _formatted(draw: st.DrawFn, plans: tuple[_Plan, ...]) -> FormattedPhone:
    region, number = draw(_regional_numbers(plans))
    text = draw(st.sampled_from(_spellings(number, region)))
    return FormattedPhone(number, draw(_retyped(text)), region)


@st.composite
def _retyped(draw: st.DrawFn, text: str) -> str:
    """The same digits with other separators, one group in parentheses, stray whitespace."""
    if text.startswith("tel:"):
        return text
    groups = re.split(r"[\s.\-]+", text.replace("(", "").replace(")", ""))
    separators = draw(
        st.lists(st.sampled_from(_SEPARATORS), min_size=len(groups) - 1, max_size=len(groups) - 1)
    )
    in_parentheses = draw(st.none() | st.integers(0, len(groups) - 1))
    if in_parentheses is not None:
        groups[in_parentheses] = f"({groups[in_parentheses]})"
    joined = groups[0] + "".join(
        sep + group for sep, group in zip(separators, groups[1:], strict=True)
    )
    return draw(st.sampled_from(_PADDING)) + joined + draw(st.sampled_from(_PADDING))


def _spellings(number: PhoneNumber, region: str) -> list[str]:
    parsed = phonenumbers.parse(number.e164)
    international = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
    spellings = [
        number.e164,
        international,
        "00" + international[1:],
        national,
        phonenumbers.format_number(parsed, PhoneNumberFormat.RFC3966),
    ]
    # Without '+' the digits could be national ones; offer them only where they can't be.
    if _e164(_parsed(international[1:], region)) == number.e164:
        spellings.append(international[1:])
    return spellings + _local_variants(number, national)


def _local_variants(number: PhoneNumber, national: str) -> list[str]:
    """How people in Mexico, Argentina, Brazil and the US also write the number."""
    code = number.country_code
    digits = number.digits[len(str(code)) :]
    if code == 52:
        return [
            f"+52 1 {national}",
            f"521{digits}",
            f"0052 1 {national}",
            f"044 {national}",
            f"045 {national}",
            f"01 {national}",
            f"1 {national}",
        ]
    area_and_local = re.fullmatch(r"0([0-9]+) 15-(.+)", national)
    if code == 54 and area_and_local:
        area, local = area_and_local.groups()
        return [
            f"+54 {area} {local}",
            f"0{area} {local}",
            f"{area} 15 {local}",
            f"+54 {area} 15 {local}",
            f"0054 {area} {local}",
        ]
    if code == 55 and len(digits) == 11:
        ddd, local = digits[:2], f"{digits[2:7]}-{digits[7:]}"
        variants = [f"0 {ddd} {local}", f"0xx{ddd} {local}"]
        variants += [f"0{carrier} {ddd} {local}" for carrier in _BR_CARRIERS]
        if digits[2] == "9" and digits[3] in "6789":
            old = f"{digits[3:7]}-{digits[7:]}"
            variants += [f"+55 {ddd} {old}", f"({ddd}) {old}", f"0{ddd} {old}", f"55{ddd}{old}"]
        return variants
    if code == 1:
        return [f"1 {national}", f"1-{digits[:3]}-{digits[3:6]}-{digits[6:]}"]
    return []


def _whatsapp_spellings(number: PhoneNumber) -> list[str]:
    digits = number.digits
    if number.country_code == 52 and len(digits) == 12:
        return [digits, f"521{digits[2:]}"]
    if number.country_code == 55 and len(digits) == 13 and digits[4] == "9" and digits[5] in "6789":
        return [digits, digits[:4] + digits[5:]]
    return [digits]


def _parsed(text: str, region: str | None = None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None


def _e164(parsed: phonenumbers.PhoneNumber | None) -> str | None:
    return None if parsed is None else phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def _is_valid(text: str) -> bool:
    parsed = _parsed(text)
    return parsed is not None and phonenumbers.is_valid_number(parsed)
