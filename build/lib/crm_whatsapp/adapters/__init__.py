"""Adapters: each implements one port of ``crm_whatsapp.domain.ports`` or drives the core."""
