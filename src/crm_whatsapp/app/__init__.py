"""The composition root: settings, the punq container, the ASGI app and the command line."""

from crm_whatsapp.app.asgi import create_app
from crm_whatsapp.app.settings import MissingSetting, Settings

__all__ = ["MissingSetting", "Settings", "create_app"]
