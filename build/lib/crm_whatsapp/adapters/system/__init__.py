"""Production implementations of the Clock and IdGenerator ports."""

from crm_whatsapp.adapters.system.clock import SystemClock
from crm_whatsapp.adapters.system.ids import TimeOrderedIds

__all__ = ["SystemClock", "TimeOrderedIds"]
