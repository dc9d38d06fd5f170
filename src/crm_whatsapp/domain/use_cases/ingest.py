"""Drain stored webhook deliveries: read them, apply every item, quarantine what fails.

The webhook only stores the raw body (acknowledged means durable). This processor takes the
oldest unprocessed deliveries in one unit of work, and for each item of each body opens a
savepoint: an item that raises is taken back alone and quarantined with its raw JSON, and
its neighbours are stored. The deliveries are marked processed in the same transaction, so a
processor killed mid-batch leaves them unprocessed and the next pass does the whole batch
again; wamids make that idempotent. Events are published only after the commit.

A storage failure is not an item's fault: it ends the pass and nothing is quarantined for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from crm_whatsapp.domain.delivery import StatusUpdate
from crm_whatsapp.domain.errors import StorageUnavailable
from crm_whatsapp.domain.events import Event
from crm_whatsapp.domain.ingest import (
    ChannelEvent,
    IngestReport,
    MessageEcho,
    PreferenceUpdate,
    Quarantined,
    QuarantineEntry,
    QuarantineState,
    RawDelivery,
    ReadItem,
    StoredChannelEvent,
    Understood,
)
from crm_whatsapp.domain.message import IncomingMessage
from crm_whatsapp.domain.ports import UnitOfWork, WebhookReader
from crm_whatsapp.domain.use_cases.channel import store_echo, store_preference
from crm_whatsapp.domain.use_cases.dependencies import Dependencies
from crm_whatsapp.domain.use_cases.inbound import inbound_events, store_inbound
from crm_whatsapp.domain.use_cases.status import store_status_update
from crm_whatsapp.domain.use_cases.templates import apply_template_update

DEFAULT_BATCH = 50
"""Deliveries per transaction: large enough that a commit (one fsync) serves many webhooks,
small enough that a batch holds the database for tens of milliseconds, not seconds."""
ITEM_BUDGET = 1000
"""Items per transaction: a batch stops after the delivery that reaches it, so that a few
deliveries of thousands of items never hold the database for seconds."""
REASON_LIMIT = 500


@dataclass(frozen=True, slots=True)
class _Applied:
    report: IngestReport
    events: list[Event]
    done: tuple[int, ...] = ()
    """The deliveries read whole (the rest of a claimed batch waits for the next pass)."""


def process_deliveries(
    deps: Dependencies, reader: WebhookReader, batch: int = DEFAULT_BATCH
) -> IngestReport:
    """One batch of the oldest unprocessed deliveries; an empty report when none wait.

    The batch is first applied as it is, without a savepoint per item (they cost two
    statements each, a fifth of a batch's time); only if an item fails is the transaction
    rolled back and the batch applied again with every item in a savepoint, so that the
    failing one is quarantined alone. Should even that fail (a bug, not an item), the
    deliveries are done one by one, and one that fails alone is quarantined whole: no
    delivery can block the ones behind it.
    """
    for isolated in (False, True):
        try:
            return _process_batch(deps, reader, batch, isolated=isolated)
        except StorageUnavailable:
            raise
        except Exception:  # an item failed: again, more carefully
            continue
    return _one_by_one(deps, reader, batch)


def _process_batch(
    deps: Dependencies, reader: WebhookReader, batch: int, *, isolated: bool
) -> IngestReport:
    with deps.unit_of_work() as uow:
        deliveries = uow.deliveries.claim(batch)
        if not deliveries:
            return IngestReport()
        applied = _apply_deliveries(uow, deps, reader, deliveries, isolated=isolated)
        uow.deliveries.finish(applied.done, deps.clock.now())
        uow.commit()
    deps.events.publish(applied.events)
    return applied.report


def _one_by_one(deps: Dependencies, reader: WebhookReader, batch: int) -> IngestReport:
    total = IngestReport()
    for _ in range(batch):
        try:
            with deps.unit_of_work() as uow:
                deliveries = uow.deliveries.claim(1)
                if not deliveries:
                    break
                applied = _apply_deliveries(uow, deps, reader, deliveries)
                uow.deliveries.finish([deliveries[0].id], deps.clock.now())
                uow.commit()
        except StorageUnavailable:
            raise
        except Exception as exc:  # this delivery alone fails: keep it whole, go on
            total += _quarantine_whole(deps, exc)
            continue
        deps.events.publish(applied.events)
        total += applied.report
    return total


def _quarantine_whole(deps: Dependencies, failure: Exception) -> IngestReport:
    with deps.unit_of_work() as uow:
        deliveries = uow.deliveries.claim(1)
        if not deliveries:
            return IngestReport()
        delivery = deliveries[0]
        _quarantine(
            uow,
            deps,
            Quarantined.holding("body", _reason(failure), _text_of(delivery.body), delivery.body),
            delivery.received_at,
            delivery.id,
        )
        uow.deliveries.finish([delivery.id], deps.clock.now())
        uow.commit()
    return IngestReport(deliveries=1, quarantined=1)


def apply_body(
    deps: Dependencies, reader: WebhookReader, body: bytes, received_at: datetime
) -> IngestReport:
    """One body read and applied in its own unit of work, without the journal: for hosts
    that receive webhooks their own way, and for the demo's history. Quarantine included."""
    with deps.unit_of_work() as uow:
        applied = _apply_deliveries(uow, deps, reader, [RawDelivery(0, received_at, body)])
        uow.commit()
    deps.events.publish(applied.events)
    return applied.report


def drain_deliveries(
    deps: Dependencies, reader: WebhookReader, batch: int = DEFAULT_BATCH
) -> IngestReport:
    """Batches until none wait (tests, the CLI, and a worker catching up)."""
    total = IngestReport()
    while (report := process_deliveries(deps, reader, batch)).deliveries:
        total += report
    return total


def prune_deliveries(deps: Dependencies, keep: timedelta, batch: int = 1000) -> int:
    """Delete processed deliveries older than ``keep``; quarantined items keep their own
    copy, so nothing unread is lost."""
    before = deps.clock.now() - keep
    total = 0
    while True:
        with deps.unit_of_work() as uow:
            removed = uow.deliveries.prune_processed(before, batch)
            uow.commit()
        total += removed
        if removed < batch:
            return total


def replay_quarantine(
    deps: Dependencies, reader: WebhookReader, entry_ids: Sequence[str] | None = None
) -> tuple[IngestReport, int]:
    """Read every open quarantined item again (after an upgrade, or a setting changed).

    An item that now reads is applied and marked replayed in the same transaction, so a
    replay run twice stores it once; one that still fails keeps its place with the new
    reason. Returns what was applied and how many stayed in quarantine.
    """
    total, still_open, after = IngestReport(), 0, None
    wanted = set(entry_ids) if entry_ids is not None else None
    while True:
        with deps.unit_of_work() as uow:
            entries = uow.deliveries.quarantined(QuarantineState.OPEN, 100, after)
            if not entries:
                break
            after = entries[-1].id
            events: list[Event] = []
            for entry in entries:
                if wanted is not None and entry.id not in wanted:
                    continue
                applied, reason = _replay_one(uow, deps, reader, entry)
                total += applied.report
                events.extend(applied.events)
                if reason is not None:
                    still_open += 1
            uow.commit()
        deps.events.publish(events)
    return total, still_open


def _replay_one(
    uow: UnitOfWork, deps: Dependencies, reader: WebhookReader, entry: QuarantineEntry
) -> tuple[_Applied, str | None]:
    now = deps.clock.now()
    items = reader.read(entry.replay_body, entry.created_at).items
    failure = next((i.value for i in items if isinstance(i.value, Quarantined)), None)
    if failure is not None:
        reason = failure.reason
        uow.deliveries.update_quarantined(
            replace(entry, reason=reason, attempts=entry.attempts + 1)
        )
        return _Applied(IngestReport(), []), reason
    report, events = IngestReport(), []
    for item in items:
        outcome = _apply_item(uow, deps, item, entry.created_at)
        report += outcome.report
        events.extend(outcome.events)
    if report.quarantined:  # applying failed again: still open, with the reason
        uow.deliveries.update_quarantined(replace(entry, attempts=entry.attempts + 1))
        return _Applied(IngestReport(), []), "applying the item failed again"
    uow.deliveries.update_quarantined(
        replace(
            entry,
            state=QuarantineState.REPLAYED,
            attempts=entry.attempts + 1,
            replayed_at=now,
        )
    )
    return _Applied(report, events), None


def _apply_deliveries(
    uow: UnitOfWork,
    deps: Dependencies,
    reader: WebhookReader,
    deliveries: Sequence[RawDelivery],
    *,
    isolated: bool = True,
) -> _Applied:
    report, events, done, items = IngestReport(), [], [], 0
    for delivery in deliveries:
        if items >= ITEM_BUDGET:
            break
        report += IngestReport(deliveries=1)
        delivery_id = delivery.id or None
        read = reader.read(delivery.body, delivery.received_at).items
        items += len(read)
        for item in read:
            outcome = _apply_item(
                uow, deps, item, delivery.received_at, delivery_id, isolated=isolated
            )
            report += outcome.report
            events.extend(outcome.events)
        done.append(delivery.id)
    return _Applied(report, events, tuple(done))


def _apply_item(
    uow: UnitOfWork,
    deps: Dependencies,
    item: ReadItem,
    received_at: datetime,
    delivery_id: int | None = None,
    *,
    isolated: bool = True,
) -> _Applied:
    """One item; ``isolated``: in its own savepoint, quarantined instead if it raises."""
    if isinstance(item.value, Quarantined):
        _quarantine(uow, deps, item.value, received_at, delivery_id)
        return _Applied(IngestReport(quarantined=1), [])
    if not isolated:
        return _apply(uow, deps, item.value, received_at)
    try:
        with uow.savepoint():
            return _apply(uow, deps, item.value, received_at)
    except StorageUnavailable:
        raise
    except Exception as exc:  # any failure of one item is that item's alone
        _quarantine(uow, deps, item.source.quarantined(_reason(exc)), received_at, delivery_id)
        return _Applied(IngestReport(quarantined=1), [])


def _apply(
    uow: UnitOfWork, deps: Dependencies, item: Understood, received_at: datetime
) -> _Applied:
    if isinstance(item, IncomingMessage):
        outcome = store_inbound(uow, deps, item, received_at)
        if outcome.duplicate:
            return _Applied(IngestReport(duplicates=1), [])
        return _Applied(IngestReport(messages=1), inbound_events(outcome))
    if isinstance(item, StatusUpdate):
        _, events = store_status_update(uow, item, received_at)
        return _Applied(IngestReport(statuses=1), events)
    if isinstance(item, PreferenceUpdate):
        return _Applied(IngestReport(other=1), store_preference(uow, deps, item, received_at))
    if isinstance(item, MessageEcho):
        return _Applied(IngestReport(other=1), store_echo(uow, deps, item, received_at))
    if isinstance(item, ChannelEvent):
        uow.deliveries.add_channel_event(StoredChannelEvent(deps.ids.new_id(), item, received_at))
        if item.template_update is not None:
            apply_template_update(uow, item.template_update, received_at)
        return _Applied(IngestReport(other=1), [])
    raise TypeError(f"no handler for {type(item).__name__}")


def _quarantine(
    uow: UnitOfWork,
    deps: Dependencies,
    item: Quarantined,
    received_at: datetime,
    delivery_id: int | None,
) -> None:
    """Keep the item; should even that fail for its content, keep where it was and why
    (the delivery itself still holds the bytes until it is pruned)."""
    raw, replay_body = item.contents()
    entry = QuarantineEntry(
        id=deps.ids.new_id(),
        delivery_id=delivery_id,
        location=item.location,
        reason=item.reason,
        raw=raw,
        replay_body=replay_body,
        created_at=received_at,
        field=item.field,
        business_number_id=item.business_number_id,
    )
    try:
        with uow.savepoint():
            uow.deliveries.quarantine(entry)
    except StorageUnavailable:
        raise
    except Exception as exc:
        uow.deliveries.quarantine(
            replace(
                entry,
                location=item.location[:200],
                reason=f"{item.reason[:200]} (its raw JSON could not be kept: {_reason(exc)})",
                raw="",
                replay_body=b"",
                field=None,
                business_number_id=None,
            )
        )


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:REASON_LIMIT]


def _text_of(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")
