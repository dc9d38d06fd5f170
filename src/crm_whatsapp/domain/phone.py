"""PhoneNumber: an E.164 value object that knows how WhatsApp and CRMs write the same number.

Two questions are kept apart. ``==`` compares the number as it was written (``e164``), so a
wa_id survives a round trip digit for digit. ``matches`` and ``lookup_key`` answer "is this
the same subscriber?", folding the Latin American quirks where one line has two spellings:
Mexico's retired mobile ``1``, Argentina's mobile ``9`` and Brazil's ninth digit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers

from crm_whatsapp.domain.errors import InvalidPhoneNumber

_CALLING_CODES = frozenset(phonenumbers.supported_calling_codes())
# E.164 caps numbers at 15 digits; phonenumbers reads up to 17 national digits, so be generous.
_E164 = re.compile(r"\+[1-9][0-9]{1,19}")
_WA_ID = re.compile(r"[0-9]{6,15}")
_LEADING_NOISE = re.compile(r"^[\s(\[]+")
_NOT_REGIONS = frozenset({"ZZ", "001"})

_SAME_SUBSCRIBER: dict[int, re.Pattern[str]] = {
    # Mexico: until 2019 mobiles were dialled from abroad as +52 1 + 10 digits; accounts
    # registered before keep wa_ids 521..., CRMs hold +52 + 10. MX numbers are only 10 digits
    # long, so 11 digits starting with 1 can only be that prefix.
    52: re.compile(r"1([0-9]{10})"),
    # Argentina: mobiles are +54 9 + area + number (WhatsApp's 549...), landline-style
    # +54 + area + number in CRMs, and 0 + area + 15 + number locally (phonenumbers turns
    # that into the 9 form). National numbers are 10 digits and no area code starts with 9.
    54: re.compile(r"9([0-9]{10})"),
    # Brazil: between 2012 and 2016 every mobile got a 9 in front; old WhatsApp accounts keep
    # the 8-digit form. Old mobiles started with 6-9 and landlines with 2-5, so only DDD + 9 +
    # [6-9] is folded: a landline with a 9 in front (DDD 9 3456-7890) never becomes a match,
    # and 5, which was both mobile and landline in places, stays apart.
    55: re.compile(r"([1-9]{2})9([6-9][0-9]{7})"),
}

_WHATSAPP_MOBILE_PREFIX = {52: "1", 54: "9"}
"""What WhatsApp may put between country code and number (see ``_SAME_SUBSCRIBER``)."""

# Mobile (044, 045) and long-distance (01) dialling prefixes, retired in 2019 but still in CRMs.
_MX_DIALLING_PREFIX = re.compile(r"0(?:4[45]|1)([0-9]{10})")

_PARSE_FAILURES = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.NumberParseException.NOT_A_NUMBER: "does not look like a phone number",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
    phonenumbers.NumberParseException.TOO_LONG: "too long",
}
_IMPOSSIBLE = {
    phonenumbers.ValidationResult.INVALID_COUNTRY_CODE: "unknown country code",
    phonenumbers.ValidationResult.TOO_SHORT: "too short for its country",
    phonenumbers.ValidationResult.TOO_LONG: "too long for its country",
    phonenumbers.ValidationResult.INVALID_LENGTH: "impossible length for its country",
    phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY: "local number without its area code",
}


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """A phone number in E.164, as it was given (after parsing).

    Build it with ``parse`` (CRM text) or ``from_wa_id`` (WhatsApp); the constructor only
    checks the E.164 shape, so that stored values load without re-parsing.
    """

    e164: str

    def __post_init__(self) -> None:
        if _split(self.e164) is None:
            raise InvalidPhoneNumber(self.e164, "not E.164: '+', a known country code, digits")

    @classmethod
    def parse(cls, text: str, default_region: str | None = None) -> PhoneNumber:
        """Read a number as people type it into a CRM.

        ``default_region`` (ISO code, e.g. "MX") gives the country of numbers written
        without one. Only possible lengths are required, not allocated ranges, since CRMs
        hold numbers from ranges newer than phonenumbers' metadata.
        """
        region = default_region.strip().upper() if default_region else None
        attempts: list[tuple[str, str | None]] = [(text, region)]
        stripped = _LEADING_NOISE.sub("", text)
        if stripped.startswith("00"):
            # "00" is the international prefix nearly everywhere and how CRMs write foreign
            # numbers; read it so before the region's own rules, which would read
            # "0057 ..." in Colombia as carrier 5 calling Russia.
            attempts.insert(0, ("+" + stripped[2:], None))
        reason = ""
        for candidate, candidate_region in attempts:
            try:
                parsed = phonenumbers.parse(candidate, candidate_region)
            except phonenumbers.NumberParseException as error:
                reason = reason or _parse_failure(error, candidate, candidate_region)
                continue
            code = parsed.country_code or 0
            written = phonenumbers.national_significant_number(parsed)
            national = _without_dialling_prefix(code, written)
            problem = _impossibility(code, national)
            if problem is None:
                return cls(f"+{code}{national}")
            reason = reason or problem
        raise InvalidPhoneNumber(text, reason)

    @classmethod
    def from_wa_id(cls, wa_id: str) -> PhoneNumber:
        """The customer's number from WhatsApp's digits-only id, kept digit for digit.

        Meta has verified the number, so only its shape is checked, not its length against
        metadata (a MX wa_id 521... is too long for phonenumbers, yet real).
        """
        if not _WA_ID.fullmatch(wa_id) or _split("+" + wa_id) is None:
            raise InvalidPhoneNumber(
                wa_id, "a wa_id is 6 to 15 digits starting with a country code"
            )
        return cls("+" + wa_id)

    def matches(self, other: PhoneNumber) -> bool:
        """Same subscriber, however each side spells the number."""
        return self.lookup_key == other.lookup_key

    @property
    def lookup_key(self) -> str:
        """Country code and national digits with the MX/AR/BR spelling variants folded."""
        code, national = self._parts()
        return f"{code}{_subscriber(code, national)}"

    def lookup_keys(self) -> frozenset[str]:
        """Keys to index this number under; two numbers match iff their keys intersect.

        One key suffices because the folding is canonical (matching is an equivalence);
        a set keeps the index contract open to many-key schemes without changing callers.
        """
        return frozenset({self.lookup_key})

    @property
    def country_code(self) -> int:
        return self._parts()[0]

    @property
    def region(self) -> str | None:
        """ISO region ("MX"), or None when the country code is shared and the range unknown."""
        code, national = self._parts()
        found = phonenumbers.region_code_for_number(_number(code, _subscriber(code, national)))
        if found and found not in _NOT_REGIONS:
            return found
        regions = phonenumbers.region_codes_for_country_code(code)
        if len(regions) == 1 and regions[0] not in _NOT_REGIONS:
            return regions[0]
        return None

    def whatsapp_spellings(self) -> tuple[str, ...]:
        """Every wa_id WhatsApp may know this number by, its own digits first: Mexico's
        521 + 10 digits beside 52 + 10 (accounts from before 2019 keep the 1), Argentina's
        549 beside 54, and Brazil's mobiles with and without the ninth digit."""
        code, national = self._parts()
        subscriber = _subscriber(code, national)
        spellings = [self.digits, f"{code}{subscriber}"]
        if code in _WHATSAPP_MOBILE_PREFIX and len(subscriber) == 10:
            spellings.append(f"{code}{_WHATSAPP_MOBILE_PREFIX[code]}{subscriber}")
        return tuple(dict.fromkeys(spellings))

    @property
    def digits(self) -> str:
        """The number without '+': WhatsApp's wa_id and the Graph API's recipient."""
        return self.e164[1:]

    def __str__(self) -> str:
        return self.e164

    def _parts(self) -> tuple[int, str]:
        parts = _split(self.e164)
        assert parts is not None, "checked in __post_init__"
        return parts


def parsed_numbers(texts: Iterable[str], default_region: str | None) -> tuple[PhoneNumber, ...]:
    """The numbers among a CRM's free-format texts, in order and each once; "no tiene" and
    "ver notas" are skipped rather than refused, as a real client table holds them."""
    found: dict[str, PhoneNumber] = {}
    for text in texts:
        try:
            number = PhoneNumber.parse(text, default_region)
        except InvalidPhoneNumber:
            continue
        found.setdefault(number.e164, number)
    return tuple(found.values())


@lru_cache(maxsize=4096)
def _split(e164: str) -> tuple[int, str] | None:
    """Country code and national digits; calling codes are prefix-free, so this is exact."""
    if not _E164.fullmatch(e164):
        return None
    digits = e164[1:]
    for size in (1, 2, 3):
        if int(digits[:size]) in _CALLING_CODES and len(digits) > size:
            return int(digits[:size]), digits[size:]
    return None


def _subscriber(code: int, national: str) -> str:
    rule = _SAME_SUBSCRIBER.get(code)
    found = rule.fullmatch(national) if rule else None
    return "".join(found.groups()) if found else national


def _number(code: int, national: str) -> phonenumbers.PhoneNumber:
    zeros = len(national) - len(national.lstrip("0"))
    number = phonenumbers.PhoneNumber(country_code=code, national_number=int(national or "0"))
    if zeros and zeros < len(national):
        number.italian_leading_zero = True
        number.number_of_leading_zeros = zeros
    return number


def _without_dialling_prefix(code: int, national: str) -> str:
    """Drop what was dialled rather than part of the number, which phonenumbers keeps.

    Mexico's retired 044/045/01 prefixes; and a leading 0 (a trunk prefix, "09 6123 4567" in
    Chile, "0321..." in Colombia) when the number is valid only without it. Validity only
    chooses between the two readings here; Italy's significant 0 stays because it is valid.
    """
    retired = _MX_DIALLING_PREFIX.fullmatch(national) if code == 52 else None
    if retired:
        return retired.group(1)
    if (
        national.startswith("0")
        and national.strip("0")
        and not phonenumbers.is_valid_number(_number(code, national))
        and phonenumbers.is_valid_number(_number(code, national[1:]))
    ):
        return national[1:]
    return national


def _impossibility(code: int, national: str) -> str | None:
    """Why no spelling of this subscriber is a possible number, or None when one is."""
    if not national.strip("0"):
        return "no national number"
    possible = phonenumbers.ValidationResult.IS_POSSIBLE
    as_written, folded = (
        phonenumbers.is_possible_number_with_reason(_number(code, spelling))
        for spelling in (national, _subscriber(code, national))
    )
    if possible in (as_written, folded):
        return None
    return _IMPOSSIBLE.get(as_written, "impossible number")


def _parse_failure(error: phonenumbers.NumberParseException, text: str, region: str | None) -> str:
    if (
        error.error_type == phonenumbers.NumberParseException.INVALID_COUNTRY_CODE
        and not text.strip().startswith("+")
    ):
        if region is None:
            return "no country code and no default region"
        if region not in phonenumbers.SUPPORTED_REGIONS:
            return f"no country code, and {region!r} is not a known region"
    return _PARSE_FAILURES.get(error.error_type, "unreadable")
