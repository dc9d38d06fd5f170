"""Folders a test's service may fill, removed when the test process ends.

A service built for a test must not keep files where the suite runs: the media store's
default (``crm_whatsapp_media`` in the working directory) would leave customers' files in
the checkout, and share them between tests that count what was kept.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile


def empty_folder(prefix: str) -> str:
    """A new empty folder, removed at exit."""
    folder = tempfile.mkdtemp(prefix=f"crm-whatsapp-{prefix}-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder
