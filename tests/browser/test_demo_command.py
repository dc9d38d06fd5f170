"""``crm-whatsapp demo``: a living service with nothing to configure (no browser needed)."""

from __future__ import annotations

import re
from pathlib import Path

from browser_kit import API_TOKEN, new_wa_id, start_demo, wait_until

from crm_whatsapp.app.demo_data import demo_clients
from crm_whatsapp.domain.phone import PhoneNumber


def test_every_client_with_a_mobile_is_found_by_the_number_whatsapp_sends() -> None:
    """The demo CRM types numbers in assorted formats; the phone index must still match."""
    clients = demo_clients()
    assert len(clients) == 50
    formats = set()
    for client in clients:
        typed = [PhoneNumber.parse(t, "MX") for t in (client.phone, client.mobile) if t]
        sent = PhoneNumber.from_wa_id(client.wa_id)
        found = any(sent.lookup_keys() & phone.lookup_keys() for phone in typed)
        only_a_landline = client.id % 10 == 0
        assert found != only_a_landline, client
        formats.add(re.sub(r"\d", "9", client.mobile or client.phone or ""))
    assert len(formats) >= 6


def test_the_demo_has_history_live_customers_status_ticks_and_takes_signed_webhooks(
    tmp_path: Path,
) -> None:
    demo = start_demo(tmp_path, "--every", "0.3")
    try:
        assert f"/inbox/#token={API_TOKEN}" in demo.banner
        stats = demo.api("/estadisticas")
        assert stats["conversations"] >= 60
        assert stats["linked_conversations"] >= 40
        assert stats["unlinked_conversations"] >= 15
        assert stats["handoffs"] > 0
        assert stats["agent_messages"] > 0
        assert len(stats["messages_per_day"]) >= 10
        before = stats["inbound_messages"]

        # simulated customers keep writing, and the bot answers them
        wait_until(lambda: demo.api("/estadisticas")["inbound_messages"] >= before + 5, 20)

        # a webhook signed with the CRM_WHATSAPP_APP_SECRET of the environment is stored,
        # the bot's reply goes to the fake Graph API, whose status webhooks turn it "read"
        wa_id = new_wa_id()
        demo.customer_writes(wa_id, "Hola, ¿abren el domingo?", profile_name="Prueba")
        conversation = wait_until(lambda: demo.api(f"/numero/{wa_id}")["items"], 10)[0]

        def reply_read() -> bool:
            messages = demo.messages(conversation["id"])
            return any(
                m["direction"] == "outbound" and (m["delivery"] or {}).get("status") == "read"
                for m in messages
            )

        wait_until(reply_read, 15)
    finally:
        output = demo.stop()
    folder = re.search(r"Datos:\s+(\S+)", demo.banner)
    assert folder is not None
    assert not Path(folder.group(1)).exists(), "the demo's temporary folder outlived it"
    assert "Traceback" not in output, output
