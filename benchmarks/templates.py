"""Templates at Meta's pace: syncing a large catalogue, and what checking a send costs.

1. **Sync.** The fake Graph API answers every page after Meta's ~250 ms (``latency``), so
   a sync's time is pages × latency; ours asks 100 templates a page. The script syncs the
   same catalogue of N templates with 100 and with 25 a page (the Graph API's default)
   and prints seconds, pages and the ratio.
2. **Checking a send.** ``agent_reply`` with a template, on one SQLite file in process:
   unchecked (no catalogue synced) and checked against a synced catalogue of N templates
   (one primary-key read and the pure check), interleaved in rounds; CPU milliseconds a
   send and the ratio. Meta is not called here: the outbox is not running.

    python benchmarks/templates.py [--quick] [--templates N] [--sends N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from crm_whatsapp.adapters.memory import FixedClock, InMemoryClientLookup
from crm_whatsapp.adapters.sql import Database
from crm_whatsapp.adapters.sql.unit_of_work import SqlUnitOfWork
from crm_whatsapp.adapters.system import TimeOrderedIds
from crm_whatsapp.adapters.whatsapp.fake_graph_api.options import DEFAULT_WABA_ID
from crm_whatsapp.adapters.whatsapp.fake_graph_api.runner import running_fake_graph_api
from crm_whatsapp.adapters.whatsapp.graph_api import (
    GraphApiGateway,
    GraphApiSettings,
    template_catalog,
)
from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.identity import CustomerIdentity
from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.template_ports import FetchedCatalogue
from crm_whatsapp.domain.use_cases import Dependencies, agent_reply
from crm_whatsapp.domain.use_cases.templates import store_catalogue

WABA = DEFAULT_WABA_ID
TOKEN = "benchmark-access-token"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def catalogue(count: int) -> list[dict[str, object]]:
    return [
        {
            "name": f"aviso_{i:05d}",
            "language": "es",
            "status": "APPROVED",
            "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hola {{1}}, tu pedido {{2}} está listo."}],
        }
        for i in range(count)
    ]


async def timed_sync(base_url: str, page_size: int) -> tuple[float, FetchedCatalogue]:
    template_catalog.PAGE_SIZE = page_size
    async with GraphApiGateway(GraphApiSettings(TOKEN, base_url=base_url)) as gateway:
        started = time.perf_counter()
        fetched = await gateway.fetch_templates(WABA)
        return time.perf_counter() - started, fetched


def sync_figures(count: int, latency_ms: float) -> FetchedCatalogue:
    with running_fake_graph_api(latency_seconds=latency_ms / 1000) as fake:
        answer = httpx.post(
            f"{fake.base_url}/__templates",
            json={"waba_id": WABA, "replace": True, "templates": catalogue(count)},
        )
        answer.raise_for_status()
        print(f"sync of {count} templates, the fake answering every page after {latency_ms:g} ms")
        print(f"{'a page':>8} {'pages':>6} {'seconds':>8}")
        rows = {}
        fetched = None
        for size in (100, 25):
            seconds, fetched = asyncio.run(timed_sync(fake.base_url, size))
            rows[size] = seconds
            print(f"{size:>8} {fetched.pages:>6} {seconds:>8.2f}")
        print(f"25 a page / 100 a page: {rows[25] / rows[100]:.2f}x")
        assert fetched is not None
        return fetched


def dependencies(folder: Path) -> tuple[Dependencies, Database]:
    database = Database(f"sqlite:///{folder / 'bench.db'}")
    database.migrate()
    deps = Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(database),
        clients=InMemoryClientLookup(),
        clock=FixedClock(NOW),
        ids=TimeOrderedIds(),
    )
    return deps, database


def conversations(deps: Dependencies, count: int) -> list[str]:
    ids = []
    with deps.unit_of_work() as uow:
        for i in range(count):
            customer = CustomerIdentity.from_wa_id(f"52155{i:08d}")
            started = Conversation.start(deps.ids.new_id(), "106540352242922", customer, NOW)
            ids.append(uow.conversations.get_or_start(started).id)
        uow.commit()
    return ids


def send_figures(fetched: FetchedCatalogue, sends: int, rounds: int) -> None:
    names = [t.name for t in fetched.templates]
    with (
        tempfile.TemporaryDirectory() as unchecked_dir,
        tempfile.TemporaryDirectory() as checked_dir,
    ):
        unchecked, _ = dependencies(Path(unchecked_dir))
        checked, _ = dependencies(Path(checked_dir))
        report = store_catalogue(checked, fetched)
        targets = {
            "unchecked": (unchecked, conversations(unchecked, sends * rounds)),
            "checked": (checked, conversations(checked, sends * rounds)),
        }
        cpu = dict.fromkeys(targets, 0.0)
        for r in range(rounds):
            order = list(targets) if r % 2 == 0 else list(reversed(targets))
            for name in order:
                deps, ids = targets[name]
                batch = ids[r * sends : (r + 1) * sends]
                started = time.process_time()
                for i, conversation_id in enumerate(batch):
                    template = TemplateMessage(names[i % len(names)], "es", ("Ana", f"P-{i}"))
                    agent_reply(deps, conversation_id, "Laura", template=template)
                cpu[name] += time.process_time() - started
        total = sends * rounds
        print(f"\ncatalogue of {report.templates} templates; {total} sends each, {rounds} rounds")
        print(f"{'':>10} {'CPU ms a send':>14}")
        for name, seconds in cpu.items():
            print(f"{name:>10} {seconds / total * 1000:>14.3f}")
        print(f"checked / unchecked: {cpu['checked'] / cpu['unchecked']:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few seconds: 300 templates")
    parser.add_argument("--templates", type=int, default=None)
    parser.add_argument("--sends", type=int, default=None, help="sends a round for each")
    parser.add_argument("--latency-ms", type=float, default=250.0, help="Meta's pace (250)")
    options = parser.parse_args()
    count = options.templates or (300 if options.quick else 2000)
    sends = options.sends or (50 if options.quick else 300)
    print(
        f"{platform.python_implementation()} {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} cores, {datetime.now(UTC):%Y-%m-%d}"
    )
    fetched = sync_figures(count, options.latency_ms)
    send_figures(fetched, sends, rounds=4)


if __name__ == "__main__":
    main()
