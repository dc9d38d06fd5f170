"""The pure core: conversations, messages, phone identity, the bot policy and the use cases.

Imports only the standard library and ``phonenumbers``; everything with I/O lives in
``crm_whatsapp.adapters`` behind the Protocols of ``crm_whatsapp.domain.ports``.
"""
