"""The bot's rules from a TOML, YAML or JSON file, validated with pydantic.

Top-level keys are the fields of ``BotRules`` with the same English names; keys left out
keep the built-in Spanish texts. ``false`` (or ``null`` in YAML and JSON) turns an answer
off; durations are seconds or texts like ``"10m"`` and ``"1h30m"``; opening hours are
written per weekday (``lunes = "09:00-18:00"``). Every problem, from a missing file to a
regex that does not compile, is one ``InvalidRulesFile`` naming the file, the key and what to
fix. The full format is in ``docs/library.md`` ("Bot rules in a file").
"""

from crm_whatsapp.adapters.rules_file.loading import (
    InvalidRulesFile,
    bot_rules_from_mapping,
    load_bot_rules,
)

__all__ = ["InvalidRulesFile", "bot_rules_from_mapping", "load_bot_rules"]
