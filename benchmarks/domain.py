"""How fast the pure core is, and whether the in-memory adapters stay O(1) per message.

Prints throughput of phone parsing and matching, of ``decide`` with few and many keyword
rules, and the cost per message of ``receive_inbound`` over the in-memory adapters when the
store holds few or many messages (the ratio should stay near 1).

    python benchmarks/domain.py [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from crm_whatsapp.adapters.memory import build_in_memory
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.message import Author, Direction, Message, MessageKind, Processing
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.domain.policy import BotRules, KeywordRule, decide
from crm_whatsapp.domain.use_cases import receive_inbound
from crm_whatsapp.testing import NOW, text_from

CRM_FORMS = [
    ("+52 (55) 1234-5678", None),
    ("55 1234 5678", "MX"),
    ("011 15 2345-6789", "AR"),
    ("+55 11 98765-4321", None),
    ("0034 612 34 56 78", None),
    ("(11) 8765-4321", "BR"),
]


def rate(operation: Callable[[], object], repeat: int) -> float:
    """Operations per second: the median of five timed batches."""
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            operation()
        samples.append(repeat / (time.perf_counter() - start))
    return statistics.median(samples)


def phone_rates(repeat: int) -> None:
    forms = iter(CRM_FORMS * (repeat * 6))
    parse = rate(lambda: PhoneNumber.parse(*next(forms)), repeat)
    whatsapp = PhoneNumber.from_wa_id("5215512345678")
    crm = PhoneNumber.parse("+52 55 1234 5678")
    match = rate(lambda: whatsapp.matches(crm), repeat)
    print(f"PhoneNumber.parse (CRM formats)      {parse:>12,.0f} /s")
    print(f"PhoneNumber.matches                  {match:>12,.0f} /s")


def decide_rates(repeat: int) -> None:
    conversation = replace(
        Conversation.start("c", "1", CustomerIdentity.from_wa_id("5215512345678"), NOW),
        last_inbound_at=NOW - timedelta(minutes=5),
    )
    message = Message(
        id="m",
        conversation_id="c",
        direction=Direction.INBOUND,
        kind=MessageKind.TEXT,
        created_at=NOW,
        author=Author.customer(),
        text="Hola, quisiera saber el precio del envío a Monterrey por favor",
        whatsapp_timestamp=NOW,
        processing=Processing(),
    )
    client = ClientRef("1", "Ana López")
    few = BotRules(rules=(KeywordRule("precio", keywords=("precio",), reply="$99"),))
    many = BotRules(
        rules=tuple(
            KeywordRule(f"r{i}", keywords=(f"palabra{i}", f"otra {i}"), reply="x")
            for i in range(100)
        )
    )
    one = rate(lambda: decide(conversation, message, client, NOW, few), repeat)
    hundred = rate(lambda: decide(conversation, message, client, NOW, many), repeat)
    print(f"decide, 1 keyword rule               {one:>12,.0f} /s")
    print(f"decide, 100 keyword rules, no match  {hundred:>12,.0f} /s   ratio {one / hundred:.1f}x")


def ingest_cost(preload: int, measured: int) -> float:
    """Microseconds per received message once the store already holds ``preload``."""
    setup = build_in_memory(now=NOW)
    for i in range(preload):
        receive_inbound(setup.deps, text_from(f"52155{i % 5000:08d}", "hola", NOW))
    start = time.perf_counter()
    for i in range(measured):
        receive_inbound(setup.deps, text_from(f"52156{i % 5000:08d}", "precio", NOW))
    return (time.perf_counter() - start) / measured * 1e6


def ingest_rates(small: int, large: int, measured: int) -> None:
    few = ingest_cost(small, measured)
    lots = ingest_cost(large, measured)
    print(f"receive_inbound, {small:>6,} stored       {few:>12,.0f} µs/message")
    print(
        f"receive_inbound, {large:>6,} stored       {lots:>12,.0f} µs/message   "
        f"ratio {lots / few:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    quick = parser.parse_args().quick
    phone_rates(500 if quick else 5_000)
    decide_rates(500 if quick else 5_000)
    ingest_rates(500, 5_000 if quick else 50_000, 500 if quick else 2_000)


if __name__ == "__main__":
    main()
