"""WhatsApp Cloud API: webhook bodies, signatures, the Graph API gateway, a fake Graph API."""
