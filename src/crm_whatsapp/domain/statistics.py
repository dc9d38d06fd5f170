"""The dashboard's figures, and their reference computation over plain domain objects.

``compute_statistics`` is what the in-memory adapter answers and what the SQL adapter's
queries are tested against: one definition of every figure.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.errors import InvalidQueryParameter
from crm_whatsapp.domain.message import AuthorKind, Message, ProcessingState


@dataclass(frozen=True, slots=True)
class DurationSummary:
    """Median and 90th percentile in seconds (linear interpolation, like percentile_cont)."""

    count: int
    median_seconds: float | None
    p90_seconds: float | None

    @classmethod
    def of(cls, seconds: Iterable[float]) -> DurationSummary:
        values = sorted(seconds)
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.9))


@dataclass(frozen=True, slots=True)
class DayCount:
    day: date
    inbound: int
    outbound: int


@dataclass(frozen=True)
class Statistics:
    """Figures for messages created in [since, until); days and hours in ``timezone``.

    A conversation counts when it has a message in the range. First response times are per
    conversation: from its first customer message in the range to the first bot (or agent)
    message after it. Rates are over outbound messages that left us (sent or later, or
    failed); None when there are none. ``heatmap[weekday][hour]`` counts customer messages
    (weekday 0 = Monday).
    """

    since: datetime | None
    until: datetime | None
    timezone: str
    inbound_messages: int = 0
    outbound_messages: int = 0
    bot_messages: int = 0
    agent_messages: int = 0
    conversations: int = 0
    customers: int = 0
    linked_conversations: int = 0
    unlinked_conversations: int = 0
    bot_replies: int = 0
    handoffs: int = 0
    opt_outs: int = 0
    failed_sends: Mapping[str, int] = field(default_factory=dict)
    delivery_rate: float | None = None
    read_rate: float | None = None
    first_response_bot: DurationSummary = DurationSummary(0, None, None)
    first_response_agent: DurationSummary = DurationSummary(0, None, None)
    messages_per_day: tuple[DayCount, ...] = ()
    heatmap: tuple[tuple[int, ...], ...] = tuple(tuple(0 for _ in range(24)) for _ in range(7))


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(sorted_values) - 1)
    weight = position - lower
    return sorted_values[lower] * (1 - weight) + sorted_values[upper] * weight


def zone_named(name: str, parameter: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # "America" is a folder
        raise InvalidQueryParameter(parameter, f"unknown timezone {name!r}") from exc


def check_statistics_range(since: datetime | None, until: datetime | None, timezone: str) -> None:
    """Refuse what no backend can answer: naive moments, an empty range, an unknown zone."""
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise InvalidQueryParameter(name, "needs a timezone (e.g. 2026-01-31T00:00:00Z)")
    if since is not None and until is not None and since >= until:
        raise InvalidQueryParameter("since", "must be before until")
    zone_named(timezone)


def compute_statistics(
    conversations: Iterable[Conversation],
    messages: Iterable[Message],
    since: datetime | None,
    until: datetime | None,
    timezone: str,
) -> Statistics:
    check_statistics_range(since, until, timezone)
    zone = zone_named(timezone)
    in_range = sorted(
        (
            m
            for m in messages
            if (since is None or m.created_at >= since) and (until is None or m.created_at < until)
        ),
        # a bot reply is stored in the same instant as the message it answers: customer first
        key=lambda m: (m.created_at, not m.is_inbound, m.id),
    )
    by_id = {c.id: c for c in conversations}
    active = [by_id[cid] for cid in dict.fromkeys(m.conversation_id for m in in_range)]
    inbound = [m for m in in_range if m.is_inbound]
    outbound = [m for m in in_range if not m.is_inbound]
    rules = Counter(m.processing.rule for m in inbound if m.processing)
    left = [m for m in outbound if m.delivery_status not in (None, DeliveryStatus.PENDING)]
    reached = sum(
        m.delivery_status in (DeliveryStatus.DELIVERED, DeliveryStatus.READ) for m in left
    )
    read = sum(m.delivery_status is DeliveryStatus.READ for m in left)
    failures = Counter(
        m.delivery.last_error.code if m.delivery and m.delivery.last_error else "unknown"
        for m in left
        if m.delivery_status is DeliveryStatus.FAILED
    )
    return Statistics(
        since=since,
        until=until,
        timezone=timezone,
        inbound_messages=len(inbound),
        outbound_messages=len(outbound),
        bot_messages=sum(m.author.kind is AuthorKind.BOT for m in outbound),
        agent_messages=sum(m.author.kind is AuthorKind.AGENT for m in outbound),
        conversations=len(active),
        customers=len({c.customer.key for c in active}),
        linked_conversations=sum(c.is_linked for c in active),
        unlinked_conversations=sum(not c.is_linked for c in active),
        bot_replies=sum(
            m.processing is not None and m.processing.state is ProcessingState.REPLIED
            for m in inbound
        ),
        handoffs=rules["handoff"],
        opt_outs=rules["opt_out"],
        failed_sends=dict(sorted(failures.items())),
        delivery_rate=reached / len(left) if left else None,
        read_rate=read / len(left) if left else None,
        first_response_bot=DurationSummary.of(_first_responses(in_range, AuthorKind.BOT)),
        first_response_agent=DurationSummary.of(_first_responses(in_range, AuthorKind.AGENT)),
        messages_per_day=_per_day(in_range, zone),
        heatmap=_heatmap(inbound, zone),
    )


def _first_responses(messages: Sequence[Message], responder: AuthorKind) -> list[float]:
    first_inbound: dict[str, datetime] = {}
    answered: dict[str, float] = {}
    for m in messages:
        cid = m.conversation_id
        if m.is_inbound:
            first_inbound.setdefault(cid, m.created_at)
        elif m.author.kind is responder and cid in first_inbound and cid not in answered:
            answered[cid] = (m.created_at - first_inbound[cid]).total_seconds()
    return list(answered.values())


def _per_day(messages: Sequence[Message], zone: ZoneInfo) -> tuple[DayCount, ...]:
    inbound: Counter[date] = Counter()
    outbound: Counter[date] = Counter()
    for m in messages:
        day = m.created_at.astimezone(zone).date()
        (inbound if m.is_inbound else outbound)[day] += 1
    days = sorted(set(inbound) | set(outbound))
    return tuple(DayCount(d, inbound[d], outbound[d]) for d in days)


def _heatmap(inbound: Sequence[Message], zone: ZoneInfo) -> tuple[tuple[int, ...], ...]:
    grid = [[0] * 24 for _ in range(7)]
    for m in inbound:
        local = m.created_at.astimezone(zone)
        grid[local.weekday()][local.hour] += 1
    return tuple(tuple(row) for row in grid)
