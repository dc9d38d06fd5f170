"""How fast each business number may send, and the time slots that rate is counted in.

Meta allows 80 messages/s per number by default and 1,000/s on the upgraded tier. A rate
is kept as a count per short slot (100 ms when the rate allows several sends in one), so
that sends spread over the second instead of leaving in one burst when it starts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_SEND_RATE = 80.0
"""Meta's default throughput per business number, in messages per second."""
SHORTEST_SLOT_MS = 100


@dataclass(frozen=True, slots=True)
class SlotShape:
    """A rate as ``cap`` sends per slot of ``length_ms``."""

    length_ms: int
    cap: int

    @classmethod
    def for_rate(cls, per_second: float) -> SlotShape:
        if not per_second > 0 or not math.isfinite(per_second):
            raise ValueError(f"a send rate must be a positive number, not {per_second!r}")
        length_ms = max(SHORTEST_SLOT_MS, math.ceil(1000 / per_second))
        return cls(length_ms, max(1, math.floor(per_second * length_ms / 1000)))

    def slot_of(self, epoch_ms: int) -> int:
        """The start (ms since the epoch) of the slot ``epoch_ms`` falls in."""
        return epoch_ms - epoch_ms % self.length_ms


@dataclass(frozen=True, slots=True)
class SendRates:
    """Sends per second for each business number; ``default`` for the ones not listed."""

    default: float = DEFAULT_SEND_RATE
    per_number: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for rate in (self.default, *self.per_number.values()):
            SlotShape.for_rate(rate)

    def of(self, business_number_id: str) -> float:
        return self.per_number.get(business_number_id, self.default)

    def shape(self, business_number_id: str) -> SlotShape:
        return SlotShape.for_rate(self.of(business_number_id))

    @classmethod
    def parse(cls, text: str) -> SendRates:
        """``"80"``, ``"106540352242922=1000"`` or both, comma-separated: a bare number is
        the default for every number, ``id=rate`` overrides it for one."""
        default = DEFAULT_SEND_RATE
        per_number: dict[str, float] = {}
        for raw in text.split(","):
            item = raw.strip()
            if not item:
                continue
            number, sep, rate_text = item.rpartition("=")
            rate = _rate(rate_text, item)
            if not sep:
                default = rate
            elif not number.strip().isdigit():
                raise ValueError(f"{item!r}: the business number id must be digits")
            else:
                per_number[number.strip()] = rate
        return cls(default, per_number)


def _rate(text: str, item: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        raise ValueError(f"{item!r}: the rate must be a number of messages per second") from None
    if not rate > 0 or not math.isfinite(rate):
        raise ValueError(f"{item!r}: the rate must be a positive number of messages per second")
    return rate
