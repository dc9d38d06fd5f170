"""Query parameters: each endpoint names the ones it knows, and anything else is a 400.

A CRM developer who writes ``?clientId=`` instead of ``?client_id=`` gets an error naming
the parameter, not a silently unfiltered list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from starlette.datastructures import QueryParams

from crm_whatsapp.adapters.http.errors import ApiError
from crm_whatsapp.adapters.http.operations import Param
from crm_whatsapp.domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, check_page_size
from crm_whatsapp.domain.statistics import zone_named

_TRUE = {"true", "1", "yes", "si", "sí"}
_FALSE = {"false", "0", "no"}


def bad_parameter(name: str, problem: str) -> ApiError:
    return ApiError(400, "invalid_query_parameter", f"{name}: {problem}")


class Query:
    """The request's query string, read parameter by parameter with clear errors."""

    def __init__(self, params: QueryParams, declared: Sequence[Param]) -> None:
        known = {p.name for p in declared}
        unknown = sorted(set(params.keys()) - known)
        if unknown:
            raise bad_parameter(
                unknown[0], f"unknown parameter (known: {', '.join(sorted(known)) or 'none'})"
            )
        for name in params:
            if len(params.getlist(name)) > 1:
                raise bad_parameter(name, "given more than once")
        self._params = params

    def text(self, name: str, max_length: int = 500) -> str | None:
        value = self._params.get(name)
        if value is None:
            return None
        if len(value) > max_length:
            raise bad_parameter(name, f"at most {max_length} characters")
        if "\x00" in value:
            raise bad_parameter(name, "must not contain NUL characters")
        return value

    def flag(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise bad_parameter(name, "must be true or false")

    def moment(self, name: str, zone: str, *, end: bool = False) -> datetime | None:
        """An ISO 8601 date-time with its offset, or a plain date (``2026-01-31``) in
        ``zone``, as a person picks a range on a calendar: the start of that day, or with
        ``end`` the start of the next one, so that ``until=2026-01-31`` includes the 31st."""
        value = self.text(name, 64)
        if value is None:
            return None
        text = value.strip()
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

    def limit(
        self, name: str = "limit", default: int = DEFAULT_PAGE_SIZE, maximum: int = MAX_PAGE_SIZE
    ) -> int:
        value = self.text(name, 10)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise bad_parameter(name, "must be a whole number") from None
        if maximum != MAX_PAGE_SIZE and not 1 <= number <= maximum:
            raise bad_parameter(name, f"must be between 1 and {maximum}")
        return check_page_size(number, name)

    def cursor(self, name: str = "cursor") -> str | None:
        value = self.text(name, 1000)
        if value is not None and not value:
            raise bad_parameter(name, "must not be empty")
        return value
