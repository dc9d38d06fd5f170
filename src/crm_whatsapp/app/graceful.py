"""Stopping with live event streams open.

An event stream never ends by itself, and uvicorn waits for open responses before it
stops: a browser tab with the inbox open would hold ``crm-whatsapp serve`` up forever. So
the server ends every live stream as soon as it is told to stop (each client reconnects to
whichever instance is up), and ``--graceful-seconds`` bounds the wait for anything else.
"""

from __future__ import annotations

import weakref
from types import FrameType

import uvicorn

from crm_whatsapp.adapters.events import LocalEventHub

_hubs: weakref.WeakSet[LocalEventHub] = weakref.WeakSet()


def end_streams_on_shutdown(hub: LocalEventHub) -> None:
    """Let a stopping ``GracefulServer`` of this process end the hub's streams."""
    _hubs.add(hub)


class GracefulServer(uvicorn.Server):
    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        for hub in list(_hubs):
            hub.close_all()
        super().handle_exit(sig, frame)
