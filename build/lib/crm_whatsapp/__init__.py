"""crm_whatsapp: connect a business's WhatsApp number (Meta's Cloud API) to its CRM."""

__version__ = "0.1.0"
