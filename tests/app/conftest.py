"""Fixtures of the command-line and composition-root tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm_whatsapp.adapters.whatsapp.fake_graph_api import (
    RunningFakeGraphApi,
    running_fake_graph_api,
)


@pytest.fixture
def fake_graph() -> Iterator[RunningFakeGraphApi]:
    """The fake Graph API on a loopback port, standing in for Meta."""
    with running_fake_graph_api() as fake:
        yield fake
