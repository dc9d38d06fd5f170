"""Column types shared by every table module."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Dialect, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import DateTime, TypeDecorator

_SQLITE_FORMAT = "-%m-%d %H:%M:%S.%f"  # after the year, which strftime does not pad

Json = JSON().with_variant(JSONB(), "postgresql")
"""JSON, binary (JSONB) on PostgreSQL."""


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes in, UTC-aware datetimes out, on every database.

    SQLite has no timestamp type: values are stored as fixed-width UTC text
    (``2026-03-10 15:00:00.000000``), so text order is time order and indexes sort right.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(26))
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: every stored moment needs a timezone")
        utc = value.astimezone(UTC)
        return _sqlite_text(utc) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            # fromisoformat reads the fixed format 40x faster than strptime
            return datetime.fromisoformat(value).replace(tzinfo=UTC)
        assert isinstance(value, datetime)
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def utc_text(moment: datetime) -> str:
    """A moment as SQLite stores it (for raw SQL that compares with stored values)."""
    return _sqlite_text(moment.astimezone(UTC))


def _sqlite_text(utc: datetime) -> str:
    # The year padded to four digits: strftime writes year 500 as "500", which sorts after
    # "2026" and turned ``until=0500-01-01T00:00:00Z`` into "everything".
    return f"{utc.year:04d}{utc.strftime(_SQLITE_FORMAT)}"
