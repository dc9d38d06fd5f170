"""Path and query parameters, parsed from the operation's declaration: nothing else is read.

A CRM developer who writes ``?clientId=`` instead of ``?client_id=`` gets an error naming
the parameter, not a silently unfiltered list; a value out of its declared range is a 400
naming the parameter and the range, the same range the OpenAPI document states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

from starlette.datastructures import QueryParams

from crm_whatsapp.adapters.http.context import Value
from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.adapters.http.operations import Param
from crm_whatsapp.domain.errors import InvalidQueryParameter
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.statistics import zone_named

_TRUE = {"true", "1", "yes", "si", "sí"}
_FALSE = {"false", "0", "no"}
TIMEZONE_PARAMETER = "timezone"
"""A date parameter is read in this parameter's zone when the operation declares it."""


def bad_parameter(name: str, problem: str) -> InvalidQueryParameter:
    return InvalidQueryParameter(name, problem)


def parse_parameters(
    declared_path: Sequence[Param],
    path: Mapping[str, object],
    declared_query: Sequence[Param],
    query: QueryParams,
    *,
    default_timezone: str,
    default_region: str | None,
    ignore_unknown: bool = False,
) -> dict[str, Value]:
    """Every declared parameter by name (``None``, or its default, when absent)."""
    values: dict[str, Value] = {}
    for param in declared_path:
        segment = str(path[param.name])
        if not segment.strip() or len(segment) > param.length_limit or "\x00" in segment:
            raise ApiError(400, "invalid_path_parameter", f"{param.name}: not a valid identifier")
        values[param.name] = _convert(param, segment, default_timezone, default_region)
    _refuse_unknown_and_repeated(declared_query, query, ignore_unknown)
    zone = query.get(TIMEZONE_PARAMETER) or default_timezone
    for param in declared_query:
        text = query.get(param.name)
        if text is None:
            if param.required:
                raise bad_parameter(param.name, f"required: {param.description}")
            values[param.name] = param.default
            continue
        _check_text(param, text)
        values[param.name] = _convert(param, text, zone, default_region)
    return values


def _refuse_unknown_and_repeated(
    declared: Sequence[Param], query: QueryParams, ignore_unknown: bool
) -> None:
    known = {p.name for p in declared}
    unknown = sorted(set(query.keys()) - known)
    if unknown and not ignore_unknown:
        raise bad_parameter(
            unknown[0], f"unknown parameter (known: {', '.join(sorted(known)) or 'none'})"
        )
    for name in known & set(query.keys()):
        if len(query.getlist(name)) > 1:
            raise bad_parameter(name, "given more than once")


def _check_text(param: Param, text: str) -> None:
    if len(text) > param.length_limit:
        raise bad_parameter(param.name, f"at most {param.length_limit} characters")
    if "\x00" in text:
        raise bad_parameter(param.name, "must not contain NUL characters")
    if param.required and not text.strip():
        raise bad_parameter(param.name, f"required: {param.description}")


def _convert(param: Param, text: str, zone: str, region: str | None) -> Value:
    match param.kind:
        case "integer":
            return _integer(param, text)
        case "boolean":
            return _flag(param.name, text)
        case "date_from" | "date_until":
            return _moment(param.name, text, zone, end=param.kind == "date_until")
        case "timezone":
            if not text:
                return None  # the service's own zone
            zone_named(text, param.name)
            return text
        case "phone":
            try:
                return PhoneNumber.parse(text, region)
            except ValueError as exc:
                raise bad_parameter(param.name, str(exc)) from None
        case "cursor":
            if not text:
                raise bad_parameter(param.name, "must not be empty")
            return text
        case "text" | "id":
            return text


def _integer(param: Param, text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise bad_parameter(param.name, "must be a whole number") from None
    low = param.minimum if param.minimum is not None else number
    high = param.maximum if param.maximum is not None else number
    if not low <= number <= high:
        raise bad_parameter(param.name, f"must be between {low} and {high}")
    return number


def _flag(name: str, text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise bad_parameter(name, "must be true or false")


def _moment(name: str, text: str, zone: str, *, end: bool) -> datetime:
    """An ISO 8601 date-time with its offset, or a plain date (``2026-01-31``) in ``zone``,
    as a person picks a range on a calendar: the start of that day, or with ``end`` the
    start of the next one, so that ``until=2026-01-31`` includes the 31st."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            moment = datetime.combine(day, time(), zone_named(zone))
        else:
            moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise bad_parameter(
            name,
            "must be a date (2026-01-31) or an ISO 8601 date-time with its offset "
            "(2026-01-31T00:00:00-06:00)",
        ) from None
    if moment.tzinfo is None:
        raise bad_parameter(name, "needs a timezone (e.g. 2026-01-31T00:00:00Z)")
    try:
        moment.astimezone(UTC)  # every backend compares in UTC
    except OverflowError:
        raise bad_parameter(name, "out of range once in UTC (years 1 to 9999)") from None
    return moment
