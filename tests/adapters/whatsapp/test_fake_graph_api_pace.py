"""The fake Graph API at Meta's pace: every answer waits its latency without holding up
the others, and a business number that sends past its throughput gets Meta's 130429.

Timing assertions are one-sided where the machine's load could break them: an answer
never comes *before* its latency, and requests made together finish together far sooner
than one after another would; nothing asserts that an answer comes *on* time.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter
from typing import Any

import httpx
import pytest

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    FakeGraphApiOptions,
    RunningFakeGraphApi,
    running_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.pace import Pace, TokenBucket

BUSINESS = "106540352242922"
OTHER_BUSINESS = "204871926535018"
AUTH = {"Authorization": "Bearer EAAG-fake-pace"}
TEXT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "5215512345678",
    "type": "text",
    "text": {"body": "hola"},
}
READ = {"messaging_product": "whatsapp", "status": "read", "message_id": "wamid.X"}
METAS_THROTTLE = {
    "message": "(#130429) Rate limit hit",
    "type": "OAuthException",
    "code": 130429,
    "error_data": {
        "messaging_product": "whatsapp",
        "details": "Cloud API message throughput has been reached.",
    },
}
EARLY = 0.005
"""A timer may fire this much before its deadline (event loops round to the millisecond)."""


def path(number: str = BUSINESS) -> str:
    return f"/v26.0/{number}/messages"


def post_together(
    fake: RunningFakeGraphApi, bodies: list[tuple[str, Any]]
) -> tuple[list[tuple[httpx.Response, float]], float]:
    """POST every ``(path, body)`` at once over connections of their own; each answer with
    its seconds, and the seconds until the last one came."""

    async def scenario() -> tuple[list[tuple[httpx.Response, float]], float]:
        limits = httpx.Limits(max_connections=len(bodies), max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=fake.base_url, headers=AUTH, limits=limits) as http:

            async def one(target: str, body: Any) -> tuple[httpx.Response, float]:
                started = time.perf_counter()
                response = await http.post(target, json=body)
                return response, time.perf_counter() - started

            began = time.perf_counter()
            answers = await asyncio.gather(*(one(target, body) for target, body in bodies))
            return list(answers), time.perf_counter() - began

    return asyncio.run(scenario())


def test_every_answer_waits_the_latency_and_fifty_at_once_wait_it_together() -> None:
    latency = 0.2
    with running_fake_graph_api(latency_seconds=latency) as fake:
        answers, total = post_together(fake, [(path(), TEXT)] * 50)
        recorded = fake.state.requests()

    assert [response.status_code for response, _ in answers] == [200] * 50
    assert min(seconds for _, seconds in answers) >= latency - EARLY
    assert total < 10 * latency  # one after another: 50 × latency
    assert len(recorded) == 50
    assert all(r["answered_at"] - r["received_at"] >= latency - EARLY for r in recorded)


def test_read_receipts_and_refusals_wait_the_latency_too() -> None:
    latency = 0.15
    with running_fake_graph_api(latency_seconds=latency) as fake:
        answers, _ = post_together(
            fake, [(path(), READ), (path(), {"messaging_product": "sms"}), (path(), TEXT)]
        )

    assert [response.status_code for response, _ in answers] == [200, 400, 200]
    assert all(seconds >= latency - EARLY for _, seconds in answers)


def test_a_message_is_accepted_when_its_answer_leaves_after_the_latency() -> None:
    with running_fake_graph_api(latency_seconds=0.1) as fake:
        post_together(fake, [(path(), TEXT)])
        [request] = fake.state.requests()
        [accepted] = fake.state.accepted()

    assert accepted.accepted_at >= request["received_at"] + 0.1 - EARLY
    assert accepted.accepted_at <= request["answered_at"]


def test_jitter_spreads_latencies_around_the_mean_and_the_seed_repeats_them() -> None:
    def draws(seed: int) -> list[float]:
        pace = Pace(latency=0.25, jitter=0.05, seed=seed)
        return [pace.delay() for _ in range(1000)]

    first = draws(7)

    assert all(0.2 <= delay <= 0.3 for delay in first)
    assert min(first) < 0.21
    assert max(first) > 0.29
    assert abs(sum(first) / len(first) - 0.25) < 0.005
    assert draws(7) == first
    assert draws(8) != first


def test_drawing_latencies_does_not_shift_the_seeded_failures() -> None:
    def statuses(**pace: float) -> list[int]:
        with (
            running_fake_graph_api(fail_rate=0.5, seed=3, slow_seconds=0.0, **pace) as fake,
            httpx.Client(base_url=fake.base_url, headers=AUTH) as http,
        ):
            return [http.post(path(), json=TEXT).status_code for _ in range(20)]

    assert statuses(latency_seconds=0.01, jitter_seconds=0.01) == statuses()


def test_past_its_rate_a_number_gets_metas_130429_and_is_accepted_again_after_refill() -> None:
    rate = 3
    with running_fake_graph_api(send_rate=rate) as fake:
        answers, elapsed = post_together(fake, [(path(), TEXT)] * 20)
        stats_after_burst = fake.state.stats()
        time.sleep(1.5 / rate)  # at least one send's worth refilled
        again, _ = post_together(fake, [(path(), TEXT)])

    statuses = Counter(response.status_code for response, _ in answers)
    assert set(statuses) == {200, 400}
    assert rate <= statuses[200] <= rate + math.ceil(rate * elapsed)  # the burst, then refill
    for response, _ in answers:
        if response.status_code == 400:
            error = response.json()["error"]
            trace = error.pop("fbtrace_id")
            assert error == METAS_THROTTLE
            assert isinstance(trace, str)
            assert trace
    assert (stats_after_burst.accepted, stats_after_burst.throttled) == (
        statuses[200],
        statuses[400],
    )
    assert again[0][0].status_code == 200


def test_each_number_has_a_rate_of_its_own_and_read_receipts_never_spend_it() -> None:
    with running_fake_graph_api(send_rate=1) as fake:
        first, _ = post_together(fake, [(path(), TEXT)])
        second, _ = post_together(fake, [(path(), TEXT)])
        other, _ = post_together(fake, [(path(OTHER_BUSINESS), TEXT)])
        read, _ = post_together(fake, [(path(), READ)])

    assert first[0][0].status_code == 200
    assert second[0][0].json()["error"]["code"] == 130429
    assert other[0][0].status_code == 200
    assert read[0][0].json() == {"success": True}


def test_the_rate_is_checked_on_arrival_and_a_throttle_is_answered_after_the_latency() -> None:
    latency = 0.3
    with running_fake_graph_api(send_rate=1, latency_seconds=latency) as fake:
        answers, _ = post_together(fake, [(path(), TEXT)] * 2)

    # the second arrived while the first was still waiting for its answer
    assert sorted(response.status_code for response, _ in answers) == [200, 400]
    assert all(seconds >= latency - EARLY for _, seconds in answers)


def test_the_stats_count_sends_in_flight_at_most_and_can_start_afresh() -> None:
    with (
        running_fake_graph_api(latency_seconds=0.3) as fake,
        httpx.Client(base_url=fake.base_url, headers=AUTH) as http,
    ):
        post_together(fake, [(path(), TEXT)] * 20 + [(path(), READ)] * 5)
        together = http.get("/__stats").json()
        fake.state.reset()
        for _ in range(2):
            http.post(path(), json=TEXT)
        one_by_one = http.get("/__stats").json()
        cleared = http.delete("/__stats").status_code
        afresh = http.get("/__stats").json()

    assert together == {"accepted": 20, "throttled": 0, "in_flight": 0, "in_flight_max": 20}
    assert one_by_one == {"accepted": 2, "throttled": 0, "in_flight": 0, "in_flight_max": 1}
    assert cleared == 204
    assert afresh == {"accepted": 0, "throttled": 0, "in_flight": 0, "in_flight_max": 0}


def test_a_bucket_holds_one_second_of_sends_and_refills_continuously() -> None:
    bucket = TokenBucket(rate=80, now=100.0)

    burst = sum(bucket.take(100.0) for _ in range(100))
    after_an_eighth = sum(bucket.take(100.125) for _ in range(100))
    after_a_minute = sum(bucket.take(160.0) for _ in range(200))

    assert (burst, after_an_eighth, after_a_minute) == (80, 10, 80)


def test_a_clock_going_back_adds_nothing_to_a_bucket() -> None:
    bucket = TokenBucket(rate=2, now=10.0)
    assert bucket.take(10.0)
    assert bucket.take(10.0)

    assert not bucket.take(9.0)
    assert not bucket.take(10.25)  # half a send since 10.0: the step back gave nothing
    assert bucket.take(10.5)


def test_a_rate_below_one_a_second_still_lets_one_send_through() -> None:
    bucket = TokenBucket(rate=0.5, now=0.0)

    assert [bucket.take(0.0), bucket.take(1.0), bucket.take(2.0)] == [True, False, True]


@pytest.mark.parametrize(
    "options",
    [
        {"latency_seconds": -0.1},
        {"jitter_seconds": -0.1},
        {"latency_seconds": 0.1, "jitter_seconds": 0.2},
        {"send_rate": 0},
        {"send_rate": -80},
    ],
)
def test_a_pace_that_cannot_work_is_refused(options) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies by option
        FakeGraphApiOptions(**options)


def test_the_defaults_keep_the_fake_fast_and_unlimited() -> None:
    options = FakeGraphApiOptions()

    assert (options.latency_seconds, options.jitter_seconds, options.send_rate) == (0, 0, None)
    with (
        running_fake_graph_api() as fake,
        httpx.Client(base_url=fake.base_url, headers=AUTH) as http,
    ):
        statuses = {http.post(path(), json=TEXT).status_code for _ in range(200)}

    assert statuses == {200}
