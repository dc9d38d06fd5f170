"""The in-process hub: use cases publish from any thread, every open inbox receives in
order, a slow reader is told it lagged instead of holding memory, nothing raises."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence

import pytest

from crm_whatsapp.adapters.events import EventSubscription, Lagged, LocalEventHub
from crm_whatsapp.domain.delivery import DeliveryStatus
from crm_whatsapp.domain.events import (
    ConversationChanged,
    DeliveryStatusChanged,
    Event,
    MessageStored,
)
from crm_whatsapp.domain.ports import EventPublisher

TIMEOUT = 5.0


def changed(n: int) -> ConversationChanged:
    return ConversationChanged(f"c{n}")


async def read(subscription: EventSubscription, count: int) -> list[Event | Lagged | None]:
    return [await subscription.next(TIMEOUT) for _ in range(count)]


def test_the_hub_is_an_event_publisher() -> None:
    publisher: EventPublisher = LocalEventHub()
    publisher.publish([changed(1)])  # nobody listens: nothing happens, nothing raises


def test_every_subscriber_receives_every_event_in_order() -> None:
    events: list[Event] = [
        MessageStored("c1", "m1"),
        DeliveryStatusChanged("c1", "m1", DeliveryStatus.SENT),
        ConversationChanged("c1"),
    ]

    async def scenario() -> None:
        hub = LocalEventHub()
        subscriptions = [hub.subscribe() for _ in range(3)]
        assert hub.subscriber_count == 3
        hub.publish(events[:2])
        hub.publish(events[2:])
        for subscription in subscriptions:
            assert await read(subscription, 3) == events

    asyncio.run(scenario())


def test_events_published_from_many_threads_all_arrive_in_each_threads_order() -> None:
    threads, per_thread = 8, 500

    async def scenario() -> None:
        hub = LocalEventHub()
        async with hub.subscribe(max_queued=threads * per_thread) as subscription:

            def publish_all(thread: int) -> None:
                for n in range(per_thread):
                    hub.publish([MessageStored(f"t{thread}", f"{n}")])

            publishers = [
                threading.Thread(target=publish_all, args=(thread,)) for thread in range(threads)
            ]
            for publisher in publishers:
                publisher.start()
            received = await read(subscription, threads * per_thread)
            for publisher in publishers:
                publisher.join(TIMEOUT)
            assert await subscription.next(0.05) is None

        by_thread: dict[str, list[int]] = {}
        for event in received:
            assert isinstance(event, MessageStored)
            by_thread.setdefault(event.conversation_id, []).append(int(event.message_id))
        assert by_thread == {f"t{thread}": list(range(per_thread)) for thread in range(threads)}

    asyncio.run(scenario())


def test_a_waiting_reader_wakes_as_soon_as_another_thread_publishes() -> None:
    async def scenario() -> float:
        hub = LocalEventHub()
        subscription = hub.subscribe()
        timer = threading.Timer(0.05, hub.publish, args=([changed(1)],))
        timer.start()
        started = time.monotonic()
        assert await subscription.next(TIMEOUT) == changed(1)
        return time.monotonic() - started

    assert asyncio.run(scenario()) < 1.0


def test_a_full_queue_drops_its_events_and_says_lagged_once_then_resumes() -> None:
    async def scenario() -> None:
        hub = LocalEventHub()
        subscription = hub.subscribe(max_queued=3)
        for n in range(1, 6):  # 1..3 fill the queue, 4 overflows it, 5 comes after the gap
            hub.publish([changed(n)])
        assert await subscription.next(TIMEOUT) == Lagged()
        assert await subscription.next(TIMEOUT) == changed(5)
        hub.publish([changed(6)])
        assert await subscription.next(TIMEOUT) == changed(6)
        assert await subscription.next(0.05) is None

    asyncio.run(scenario())


def test_a_slow_reader_never_holds_more_than_its_limit() -> None:
    async def scenario() -> None:
        hub = LocalEventHub()
        subscription = hub.subscribe(max_queued=10)
        hub.publish([changed(n) for n in range(10_005)])
        received = [await subscription.next(TIMEOUT)]
        while (item := await subscription.next(0.05)) is not None:
            received.append(item)
        lagged, *tail = received
        assert lagged == Lagged()
        assert 0 < len(tail) <= 10
        assert tail == [changed(n) for n in range(10_005 - len(tail), 10_005)]

    asyncio.run(scenario())


def test_mark_lagged_tells_every_subscriber_to_refetch() -> None:
    async def scenario() -> None:
        hub = LocalEventHub()
        first, second = hub.subscribe(), hub.subscribe()
        hub.publish([changed(1)])
        hub.mark_lagged()
        hub.publish([changed(2)])
        for subscription in (first, second):
            assert await read(subscription, 2) == [Lagged(), changed(2)]

    asyncio.run(scenario())


def test_next_returns_none_when_nothing_arrives_in_time() -> None:
    async def scenario() -> float:
        hub = LocalEventHub()
        subscription = hub.subscribe()
        started = time.monotonic()
        assert await subscription.next(0.1) is None
        return time.monotonic() - started

    assert 0.09 <= asyncio.run(scenario()) < 1.0


def test_a_closed_subscription_receives_nothing_more() -> None:
    async def scenario() -> None:
        hub = LocalEventHub()
        kept = hub.subscribe()
        async with hub.subscribe() as closed:
            hub.publish([changed(1)])
            assert await closed.next(TIMEOUT) == changed(1)
        assert closed.closed
        assert hub.subscriber_count == 1
        hub.publish([changed(2)])
        with pytest.raises(RuntimeError, match="closed"):
            await closed.next(0.05)
        assert await read(kept, 2) == [changed(1), changed(2)]

    asyncio.run(scenario())


def test_closing_wakes_a_pending_reader() -> None:
    async def scenario() -> None:
        hub = LocalEventHub()
        subscription = hub.subscribe()
        asyncio.get_running_loop().call_later(0.05, subscription.close)
        with pytest.raises(RuntimeError, match="closed"):
            await subscription.next(TIMEOUT)
        assert hub.subscriber_count == 0

    asyncio.run(scenario())


def test_a_subscription_whose_loop_closed_is_dropped_silently() -> None:
    hub = LocalEventHub()

    async def open_and_leave() -> None:
        hub.subscribe()

    asyncio.run(open_and_leave())
    assert hub.subscriber_count == 1
    hub.publish([changed(1)])
    assert hub.subscriber_count == 0


def test_subscribing_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        LocalEventHub().subscribe()


def test_listeners_run_in_the_publishing_thread_for_every_publish() -> None:
    hub = LocalEventHub()
    calls: list[tuple[str, Sequence[Event]]] = []
    remove = hub.add_listener(
        lambda events: calls.append((threading.current_thread().name, events))
    )
    publisher = threading.Thread(target=hub.publish, args=([changed(1)],), name="worker-1")
    publisher.start()
    publisher.join(TIMEOUT)
    hub.deliver([changed(2), changed(3)])
    remove()
    hub.publish([changed(4)])
    assert calls == [("worker-1", (changed(1),)), ("MainThread", (changed(2), changed(3)))]


def test_a_failing_listener_is_logged_and_breaks_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(events: Sequence[Event]) -> None:
        raise ValueError("listener bug")

    async def scenario() -> None:
        hub = LocalEventHub()
        received: list[Sequence[Event]] = []
        hub.add_listener(broken)
        hub.add_listener(received.append)
        subscription = hub.subscribe()
        with caplog.at_level(logging.ERROR, logger="crm_whatsapp.events"):
            hub.publish([changed(1)])
        assert received == [(changed(1),)]
        assert await subscription.next(TIMEOUT) == changed(1)

    asyncio.run(scenario())
    assert "listener bug" in caplog.text
    assert all(record.name == "crm_whatsapp.events" for record in caplog.records)


def test_publishing_nothing_wakes_nobody() -> None:
    hub = LocalEventHub()
    calls: list[Sequence[Event]] = []
    hub.add_listener(calls.append)
    hub.publish([])
    assert calls == []


def test_close_all_ends_every_pending_reader_from_another_thread() -> None:
    async def scenario() -> None:
        hub = LocalEventHub()
        readers = [hub.subscribe() for _ in range(3)]
        pending = [asyncio.ensure_future(r.next(TIMEOUT)) for r in readers]
        await asyncio.sleep(0.01)
        threading.Thread(target=hub.close_all).start()
        results = await asyncio.gather(*pending, return_exceptions=True)
        assert all(isinstance(r, RuntimeError) for r in results)
        assert all(r.closed for r in readers)
        assert hub.subscriber_count == 0

    asyncio.run(scenario())
