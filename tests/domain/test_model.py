"""Customer identity, conversations and messages: the small rules the use cases rely on."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import InvalidCustomerIdentity, InvalidStateTransition
from crm_whatsapp.domain.identity import ClientMatch, ClientRef, CustomerIdentity
from crm_whatsapp.domain.message import (
    Author,
    Direction,
    Message,
    MessageKind,
    Processing,
    ProcessingState,
    TemplateMessage,
)
from crm_whatsapp.domain.phone import PhoneNumber
from crm_whatsapp.testing import customer_identities

T0 = datetime(2026, 3, 10, 12, tzinfo=UTC)


def inbound(sent_at: datetime, text: str = "hola", message_id: str = "m-1") -> Message:
    return Message(
        id=message_id,
        conversation_id="c-1",
        direction=Direction.INBOUND,
        kind=MessageKind.TEXT,
        created_at=sent_at,
        author=Author.customer(),
        text=text,
        whatsapp_timestamp=sent_at,
        processing=Processing(),
    )


def conversation() -> Conversation:
    return Conversation.start("c-1", "1", CustomerIdentity.from_wa_id("5491123456789"), T0)


class TestCustomerIdentity:
    def test_a_customer_needs_a_wa_id_or_a_business_scoped_user_id(self) -> None:
        with pytest.raises(InvalidCustomerIdentity):
            CustomerIdentity()

    def test_a_customer_known_only_by_the_business_scoped_id_has_no_phone(self) -> None:
        customer = CustomerIdentity(user_id="MX.1234567890")
        assert customer.phone is None
        assert customer.key == "bsuid:MX.1234567890"
        assert customer.describe() == "usuario MX.1234567890"

    def test_the_business_scoped_id_decides_sameness_across_a_change_of_number(self) -> None:
        before = CustomerIdentity.from_wa_id("5491123456789", "AR.77")
        after = CustomerIdentity.from_wa_id("5491198765432", "AR.77")
        stranger = CustomerIdentity.from_wa_id("5491123456789", "AR.78")
        assert before.is_same_customer(after)
        assert not before.is_same_customer(stranger)

    def test_without_business_scoped_ids_the_wa_id_decides(self) -> None:
        a = CustomerIdentity.from_wa_id("5491123456789")
        assert a.is_same_customer(CustomerIdentity.from_wa_id("5491123456789", "AR.1"))
        assert not a.is_same_customer(CustomerIdentity(user_id="AR.1"))

    def test_the_newer_webhook_wins_when_merging_ids(self) -> None:
        old = CustomerIdentity.from_wa_id("5491123456789", "AR.77")
        new_number = CustomerIdentity.from_wa_id("5491198765432")
        merged = old.merged_with(new_number)
        assert merged.wa_id == "5491198765432"
        assert merged.user_id == "AR.77"
        assert merged.phone == PhoneNumber.from_wa_id("5491198765432")
        assert CustomerIdentity(user_id="AR.77").merged_with(old) == old

    @given(customer_identities(), customer_identities())
    def test_sameness_is_symmetric(self, a: CustomerIdentity, b: CustomerIdentity) -> None:
        assert a.is_same_customer(b) == b.is_same_customer(a)
        assert a.is_same_customer(a)


class TestClientMatch:
    def test_one_candidate_is_the_client_and_several_are_ambiguous(self) -> None:
        ana, luis = ClientRef("1", "Ana"), ClientRef("2", "Luis")
        assert ClientMatch((ana,)).client == ana
        assert ClientMatch().client is None
        assert ClientMatch((ana, luis)).is_ambiguous
        assert ClientMatch((ana, luis)).client is None

    def test_client_placeholders_include_name_id_and_extra_fields(self) -> None:
        assert ClientRef("7", "Ana", {"ciudad": "Lima"}).placeholders() == {
            "nombre": "Ana",
            "name": "Ana",
            "cliente_id": "7",
            "ciudad": "Lima",
        }


class TestConversation:
    def test_the_service_window_is_open_for_24_hours_after_the_last_customer_message(self) -> None:
        c = conversation().with_inbound(inbound(T0))
        assert c.service_window_open(T0 + timedelta(hours=23, minutes=59))
        assert not c.service_window_open(T0 + timedelta(hours=24))
        assert c.service_window_closes_at == T0 + timedelta(hours=24)
        assert not conversation().service_window_open(T0)

    def test_a_late_arriving_older_message_neither_shrinks_the_window_nor_changes_the_preview(
        self,
    ) -> None:
        c = conversation().with_inbound(inbound(T0, "nuevo"))
        c = c.with_inbound(inbound(T0 - timedelta(hours=2), "viejo", "m-0"))
        assert c.last_inbound_at == T0
        assert c.last_preview == "nuevo"
        assert c.unread_count == 2

    def test_display_name_prefers_client_then_profile_then_number(self) -> None:
        c = conversation()
        assert c.display_name == "+5491123456789"
        c = c.with_inbound(inbound(T0), profile_name="Caro")
        assert c.display_name == "Caro"
        assert c.linked_to(ClientRef("9", "Carolina Díaz"), manually=False).display_name == (
            "Carolina Díaz"
        )

    def test_unlinking_by_hand_remembers_the_choice(self) -> None:
        c = conversation().linked_to(ClientRef("9", "Caro"), manually=False).unlinked()
        assert (c.client_id, c.client_linked_manually) == (None, True)

    def test_take_over_handoff_and_give_back(self) -> None:
        c = conversation().taken_over_by("Laura")
        assert (c.bot_paused, c.assigned_agent) == (True, "Laura")
        assert conversation().handed_off().bot_paused
        assert conversation().handed_off().assigned_agent is None
        assert not c.given_back_to_bot().bot_paused

    @given(st.lists(st.integers(0, 3600), max_size=20), st.integers(1, 3600))
    def test_the_bot_remembers_only_replies_inside_the_flood_window(
        self, offsets: list[int], window_seconds: int
    ) -> None:
        window = timedelta(seconds=window_seconds)
        c = conversation()
        moments = [T0 + timedelta(seconds=s) for s in sorted(offsets)]
        for at in moments:
            c = c.with_bot_reply(at, window)
        if moments:
            last = moments[-1]
            assert all(at > last - window for at in c.recent_bot_replies[:-1])
            assert c.bot_replies_since(last - window) == sum(at > last - window for at in moments)


class TestMessage:
    def test_an_inbound_message_is_processed_once(self) -> None:
        replied = inbound(T0).with_processing(ProcessingState.REPLIED, rule="greeting_known")
        with pytest.raises(InvalidStateTransition, match="already replied"):
            replied.with_processing(ProcessingState.SKIPPED, "flood_limit")

    def test_previews_are_one_line_and_short(self) -> None:
        long = inbound(T0, "línea uno\nlínea dos " + "x" * 100)
        assert "\n" not in long.preview()
        assert len(long.preview()) == 80
        assert long.preview().endswith("…")

    def test_previews_of_templates_and_media_say_what_they_are(self) -> None:
        template = replace(
            inbound(T0, ""), text=None, template=TemplateMessage("bienvenida", "es", ("Ana",))
        )
        assert template.preview() == "[plantilla bienvenida: Ana]"
        assert replace(inbound(T0), kind=MessageKind.IMAGE, text=None).preview() == "[image]"
