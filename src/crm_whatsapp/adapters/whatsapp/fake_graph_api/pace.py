"""How fast the fake answers and how much it lets through: Meta's round trip (a latency
with jitter) and Meta's throughput limit per business number (a token bucket), with the
counters a benchmark reads back (``GET /__stats``).

Meta takes about a quarter of a second to answer a send and allows 80 messages a second
per business number by default (1,000 on the upgraded tier). A fake that answers in a
millisecond and never says no hides how a sender behaves at that pace, so both can be
switched on; tests and the demo keep them off.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PaceStats:
    """What the fake counted since it started (or since its counters were reset)."""

    accepted: int
    """Messages accepted (answered with a wamid)."""
    throttled: int
    """Sends answered 130429 because their number had used up its throughput."""
    in_flight: int
    """Sends received and not answered yet."""
    in_flight_max: int
    """The most sends that were waiting for their answer at the same time."""


class TokenBucket:
    """One business number's throughput as Meta's limiter behaves: ``rate`` sends a
    second, refilled continuously, holding at most one second of them (so a burst of
    ``rate`` passes at once); full at first."""

    def __init__(self, rate: float, now: float) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self._tokens = self.capacity
        self._updated = now

    def take(self, now: float) -> bool:
        """Spend one send if the number has one left at ``now`` (monotonic seconds)."""
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._updated = max(self._updated, now)
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


class Pace:
    """The latency drawn for each answer, a bucket per business number, and the counters.

    Safe to use from any thread: the server's event loop writes while a test reads.
    ``rate`` None means no limit. Latencies come from a generator of their own, seeded
    with ``seed``, so that drawing them does not shift the seeded sequence of failures.
    """

    def __init__(
        self,
        latency: float = 0.0,
        jitter: float = 0.0,
        rate: float | None = None,
        seed: int | None = None,
    ) -> None:
        if latency < 0 or jitter < 0:
            raise ValueError("latency and jitter must not be negative")
        if jitter > latency:
            raise ValueError("jitter must not exceed the latency")
        if rate is not None and rate <= 0:
            raise ValueError("the send rate must be positive")
        self.latency = latency
        self.jitter = jitter
        self.rate = rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._accepted = 0
        self._throttled = 0
        self._in_flight = 0
        self._in_flight_max = 0

    def delay(self) -> float:
        """Seconds to wait before answering: ``latency`` ± up to ``jitter``, uniformly."""
        if self.jitter == 0:
            return self.latency
        with self._lock:
            return self.latency + self._rng.uniform(-self.jitter, self.jitter)

    def admit(self, phone_number_id: str) -> bool:
        """Whether the number may send now (spending its share); False counts a throttle."""
        if self.rate is None:
            return True
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(phone_number_id)
            if bucket is None:
                bucket = self._buckets[phone_number_id] = TokenBucket(self.rate, now)
            if bucket.take(now):
                return True
            self._throttled += 1
            return False

    def send_started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._in_flight_max = max(self._in_flight_max, self._in_flight)

    def send_answered(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def count_accepted(self) -> None:
        with self._lock:
            self._accepted += 1

    def stats(self) -> PaceStats:
        with self._lock:
            return PaceStats(self._accepted, self._throttled, self._in_flight, self._in_flight_max)

    def reset_counters(self) -> None:
        """Start counting afresh (between a benchmark's rounds); sends still in flight stay
        counted, and the buckets keep what they hold, as Meta's would."""
        with self._lock:
            self._accepted = self._throttled = 0
            self._in_flight_max = self._in_flight
