"""Cursors are opaque, round-trip exactly, and anything else is refused by name."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.errors import InvalidCursor, InvalidQueryParameter
from crm_whatsapp.domain.pagination import MAX_PAGE_SIZE, Position, check_page_size

instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.text(max_size=40), st.sampled_from(["c", "m"]))
def test_a_cursor_decodes_to_the_position_it_encodes(at: datetime, item: str, kind: str) -> None:
    assert Position.decode(Position(at, item).encode(kind), kind) == Position(at, item)


@given(st.text(max_size=200))
def test_arbitrary_text_is_refused_as_an_invalid_cursor_and_nothing_else(text: str) -> None:
    with pytest.raises(InvalidCursor) as refused:
        Position.decode(text, "c", parameter="after")
    assert refused.value.parameter == "after"


def test_a_cursor_for_another_listing_is_refused() -> None:
    cursor = Position(datetime(2026, 1, 1, tzinfo=UTC), "x").encode("m")
    with pytest.raises(InvalidCursor):
        Position.decode(cursor, "c")


def test_an_altered_cursor_is_refused() -> None:
    cursor = Position(datetime(2026, 1, 1, tzinfo=UTC), "id-1").encode("c")
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    forged = raw.replace("id-1", "id-9")
    forged_cursor = base64.urlsafe_b64encode(forged.encode()).decode().rstrip("=")
    with pytest.raises(InvalidCursor):
        Position.decode(forged_cursor, "c")


def test_positions_order_by_time_then_id() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    assert Position(t, "a") < Position(t, "b") < Position(t + timedelta(seconds=1), "a")


@pytest.mark.parametrize("size", [0, -1, MAX_PAGE_SIZE + 1])
def test_page_sizes_out_of_range_name_the_parameter(size: int) -> None:
    with pytest.raises(InvalidQueryParameter, match="limit"):
        check_page_size(size)


def test_page_sizes_in_range_are_accepted() -> None:
    assert check_page_size(1) == 1
    assert check_page_size(MAX_PAGE_SIZE) == MAX_PAGE_SIZE
