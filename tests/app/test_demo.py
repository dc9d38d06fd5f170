"""``crm-whatsapp demo``'s data, prepared through the composition root like the service."""

from __future__ import annotations

from pathlib import Path

from crm_whatsapp.app import Settings
from crm_whatsapp.app.demo import (
    DemoOptions,
    MessageStream,
    demo_settings,
    prepare_demo_database,
)
from crm_whatsapp.app.demo_data import demo_clients


def test_a_short_history_where_customers_start_in_the_same_minute_is_written(
    tmp_path: Path,
) -> None:
    """Before: two customers starting in the same minute were compared to sort them, and
    ``demo --history-days 1`` (or 2) failed with a TypeError."""
    base = Settings(_env_file=None)  # type: ignore[call-arg]
    settings = demo_settings(base, tmp_path, "demo-token", "http://127.0.0.1:9")

    history = prepare_demo_database(settings, DemoOptions(history_days=1, seed=2026))

    assert history.conversations >= len(demo_clients(seed=2026)) // 2


def test_a_stream_that_never_started_stops_quietly() -> None:
    """``demo --no-stream`` stopped with a traceback: stop() joined a thread never started."""
    stream = MessageStream("http://127.0.0.1:9/webhook", "secret", [], (1.0, 2.0), seed=1)
    stream.stop()
    assert stream.sent == 0
