"""The SendRateLimiter port: Meta's per-number throughput, in time slots.

``SlotRateLimiter`` paces sends; where the slots are counted is a ``RateSlots`` store: in
memory for one process (``MemoryRateSlots``), or in the database for every worker that
shares it (``crm_whatsapp.adapters.sql.rate_slots.SqlRateSlots``).
"""

from crm_whatsapp.adapters.rate_limit.limiter import MemoryRateSlots, RateSlots, SlotRateLimiter
from crm_whatsapp.adapters.rate_limit.rates import DEFAULT_SEND_RATE, SendRates, SlotShape

__all__ = [
    "DEFAULT_SEND_RATE",
    "MemoryRateSlots",
    "RateSlots",
    "SendRates",
    "SlotRateLimiter",
    "SlotShape",
]
