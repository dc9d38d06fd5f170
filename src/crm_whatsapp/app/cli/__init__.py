"""The ``crm-whatsapp`` command: one module per command group, each getting its objects
from the composition root (``build_container(settings)``) and its settings from
``Settings``, with command-line options on top (``options.py``)."""

from crm_whatsapp.app.cli.main import APP_SECRET_ENV, build_parser, main

__all__ = ["APP_SECRET_ENV", "build_parser", "main"]
