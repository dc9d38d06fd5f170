"""The dashboard's figures computed by the database, defined as ``compute_statistics`` is.

Four queries, each bounded by the date range through the ``created_at`` index:

1. one ``GROUP BY`` over the messages in range gives every count and rate;
2. the conversations with a message in range give conversations, customers, linked;
3. per conversation, its first customer message and the first bot / agent message at or
   after it give first response times (percentiles are taken over those few rows);
4. counts per 15-minute UTC bucket give messages per day and the heatmap in any timezone.

Bucketing by 15 minutes is what makes (4) timezone-correct on SQLite, which knows no
IANA zones: every UTC offset in use today is a multiple of 15 minutes, so each bucket
falls inside one local day and hour, which Python then assigns with ``zoneinfo``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Connection,
    Integer,
    cast,
    distinct,
    func,
    select,
)

from crm_whatsapp.adapters.sql.schema import Tables
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.message import AuthorKind, Direction, ProcessingState
from crm_whatsapp.domain.statistics import DayCount, DurationSummary, Statistics, zone_named

BUCKET_SECONDS = 900


def statistics_between(
    db: Connection,
    tables: Tables,
    since: datetime | None,
    until: datetime | None,
    timezone: str,
) -> Statistics:
    zone = zone_named(timezone)
    in_range = _in_range(tables.messages, since, until)
    counts = _message_counts(db, tables, in_range)
    active = _active_conversations(db, tables, in_range)
    per_day, heatmap = _time_buckets(db, tables, in_range, zone)
    return Statistics(
        since=since,
        until=until,
        timezone=timezone,
        **counts,
        **active,
        first_response_bot=_first_responses(db, tables, since, until, AuthorKind.BOT),
        first_response_agent=_first_responses(db, tables, since, until, AuthorKind.AGENT),
        messages_per_day=per_day,
        heatmap=heatmap,
    )


def _in_range(
    messages: Any, since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    """Messages created in [since, until); ``messages`` is the table or an alias of it."""
    conditions: list[ColumnElement[bool]] = []
    if since is not None:
        conditions.append(messages.c.created_at >= since)
    if until is not None:
        conditions.append(messages.c.created_at < until)
    return conditions


def _message_counts(
    db: Connection, tables: Tables, in_range: list[ColumnElement[bool]]
) -> dict[str, Any]:
    m = tables.messages
    groups = (
        m.c.direction,
        m.c.author_kind,
        m.c.processing_state,
        m.c.processing_rule,
        m.c.delivery_status,
        m.c.last_error_code,
    )
    rows = db.execute(select(*groups, func.count()).where(*in_range).group_by(*groups)).all()
    total: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for direction, author, state, rule, status, error_code, count in rows:
        if direction == Direction.INBOUND.value:
            total["inbound"] += count
            total["bot_replies"] += count * (state == ProcessingState.REPLIED.value)
            total["handoffs"] += count * (rule == "handoff")
            total["opt_outs"] += count * (rule == "opt_out")
            continue
        total["outbound"] += count
        total["bot"] += count * (author == AuthorKind.BOT.value)
        total["agent"] += count * (author == AuthorKind.AGENT.value)
        if status in (None, DeliveryStatus.PENDING.value):
            continue
        total["left"] += count
        total["reached"] += count * (
            status in (DeliveryStatus.DELIVERED.value, DeliveryStatus.READ.value)
        )
        total["read"] += count * (status == DeliveryStatus.READ.value)
        if status == DeliveryStatus.FAILED.value:
            failures[error_code or "unknown"] += count
    left = total["left"]
    return {
        "inbound_messages": total["inbound"],
        "outbound_messages": total["outbound"],
        "bot_messages": total["bot"],
        "agent_messages": total["agent"],
        "bot_replies": total["bot_replies"],
        "handoffs": total["handoffs"],
        "opt_outs": total["opt_outs"],
        "failed_sends": dict(sorted(failures.items())),
        "delivery_rate": total["reached"] / left if left else None,
        "read_rate": total["read"] / left if left else None,
    }


def _active_conversations(
    db: Connection, tables: Tables, in_range: list[ColumnElement[bool]]
) -> dict[str, Any]:
    c, m = tables.conversations, tables.messages
    active_ids = select(m.c.conversation_id).where(*in_range).distinct()
    row = db.execute(
        select(
            func.count(),
            func.count(distinct(c.c.customer_key)),
            func.count(c.c.client_id),
        ).where(c.c.id.in_(active_ids))
    ).one()
    conversations, customers, linked = (int(value or 0) for value in row)
    return {
        "conversations": conversations,
        "customers": customers,
        "linked_conversations": linked,
        "unlinked_conversations": conversations - linked,
    }


def _first_responses(
    db: Connection,
    tables: Tables,
    since: datetime | None,
    until: datetime | None,
    responder: AuthorKind,
) -> DurationSummary:
    m = tables.messages
    first_inbound = (
        select(m.c.conversation_id, func.min(m.c.created_at).label("asked_at"))
        .where(*_in_range(m, since, until), m.c.direction == Direction.INBOUND.value)
        .group_by(m.c.conversation_id)
        .subquery()
    )
    answer = m.alias("answer")
    rows = db.execute(
        select(first_inbound.c.asked_at, func.min(answer.c.created_at))
        .join(answer, answer.c.conversation_id == first_inbound.c.conversation_id)
        .where(
            answer.c.direction == Direction.OUTBOUND.value,
            answer.c.author_kind == responder.value,
            # a reply stored in the same instant as the question still answers it
            answer.c.created_at >= first_inbound.c.asked_at,
            *_in_range(answer, since, until),
        )
        .group_by(first_inbound.c.conversation_id, first_inbound.c.asked_at)
    ).all()
    column_type = m.c.created_at.type
    return DurationSummary.of(
        (_moment(answered, column_type, db) - _moment(asked, column_type, db)).total_seconds()
        for asked, answered in rows
    )


def _moment(value: Any, column_type: Any, db: Connection) -> datetime:
    """Aggregates (min) over a TypeDecorator column may come back as the stored form."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    converted = column_type.process_result_value(value, db.dialect)
    assert isinstance(converted, datetime)
    return converted


def _bucket(db: Connection, created_at: Any) -> ColumnElement[Any]:
    if db.dialect.name == "sqlite":
        epoch = cast(func.strftime("%s", created_at), Integer)
        return epoch / BUCKET_SECONDS
    return cast(func.floor(func.extract("epoch", created_at) / BUCKET_SECONDS), Integer)


def _time_buckets(
    db: Connection, tables: Tables, in_range: list[ColumnElement[bool]], zone: ZoneInfo
) -> tuple[tuple[DayCount, ...], tuple[tuple[int, ...], ...]]:
    m = tables.messages
    bucket = _bucket(db, m.c.created_at).label("bucket")
    rows = db.execute(
        select(m.c.direction, bucket, func.count()).where(*in_range).group_by(m.c.direction, bucket)
    ).all()
    per_day: dict[date, Counter[str]] = defaultdict(Counter)
    grid = [[0] * 24 for _ in range(7)]
    for direction, number, count in rows:
        local = datetime.fromtimestamp(int(number) * BUCKET_SECONDS, UTC).astimezone(zone)
        per_day[local.date()][direction] += count
        if direction == Direction.INBOUND.value:
            grid[local.weekday()][local.hour] += count
    days = tuple(
        DayCount(day, counts[Direction.INBOUND.value], counts[Direction.OUTBOUND.value])
        for day, counts in sorted(per_day.items())
    )
    return days, tuple(tuple(row) for row in grid)
