"""The bot's decisions, rule by rule, with the default Spanish texts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from crm_whatsapp.domain.conversation import Conversation
from crm_whatsapp.domain.errors import InvalidBotRules
from crm_whatsapp.domain.identity import ClientRef, CustomerIdentity
from crm_whatsapp.domain.message import (
    Author,
    Direction,
    Message,
    MessageKind,
    Processing,
    TemplateMessage,
)
from crm_whatsapp.domain.policy import (
    BotRules,
    BusinessHours,
    Decision,
    Effect,
    FloodLimit,
    HandOff,
    KeywordRule,
    NoReply,
    OpeningHours,
    ReplyTemplate,
    ReplyText,
    SkipReason,
    decide,
)

NOW = datetime(2026, 3, 10, 17, 0, tzinfo=UTC)  # Tuesday 11:00 in Mexico City
ANA = ClientRef("42", "Ana López", {"plan": "Oro"})
PRICES = KeywordRule("precios", keywords=("precio", "precios", "cuanto cuesta"), reply="Desde $99")


def conversation(**changes: object) -> Conversation:
    base = Conversation.start(
        "c-1", "106540352242922", CustomerIdentity.from_wa_id("5215512345678"), NOW
    )
    base = replace(base, last_inbound_at=NOW - timedelta(minutes=5), profile_name="Anita")
    return replace(base, **changes)  # type: ignore[arg-type]


def message(
    text: str | None = "hola", kind: MessageKind = MessageKind.TEXT, **changes: object
) -> Message:
    base = Message(
        id="m-1",
        conversation_id="c-1",
        direction=Direction.INBOUND,
        kind=kind,
        created_at=NOW,
        author=Author.customer(),
        text=text,
        wamid="wamid.1",
        whatsapp_timestamp=NOW - timedelta(seconds=3),
        processing=Processing(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_a_known_client_writing_for_the_first_time_is_greeted_by_name() -> None:
    decision = decide(conversation(last_inbound_at=None), message("Hola"), ANA, NOW, BotRules())
    assert decision == ReplyText(
        "¡Hola Ana López! Gracias por escribirnos. ¿En qué podemos ayudarte?", "greeting_known"
    )


def test_an_unknown_number_gets_the_unknown_greeting() -> None:
    decision = decide(conversation(last_inbound_at=None), message("Hola"), None, NOW, BotRules())
    assert isinstance(decision, ReplyText)
    assert decision.rule == "greeting_unknown"
    assert "ASESOR" in decision.text


def test_greetings_come_again_only_after_a_long_silence() -> None:
    rules = BotRules(fallback_reply=None)
    recent = conversation(last_inbound_at=NOW - timedelta(hours=1))
    assert decide(recent, message("hola"), ANA, NOW, rules) == NoReply(SkipReason.NO_RULE_MATCHED)
    old = conversation(last_inbound_at=NOW - timedelta(hours=13))
    assert decide(old, message("hola"), ANA, NOW, rules).rule == "greeting_known"


def test_placeholders_come_from_client_fields_profile_and_number() -> None:
    rules = BotRules(greeting_known="{nombre} ({plan}) alias {perfil} de {numero}{desconocido}")
    decision = decide(conversation(last_inbound_at=None), message(), ANA, NOW, rules)
    assert decision == ReplyText("Ana López (Oro) alias Anita de +5215512345678", "greeting_known")


def test_placeholders_cannot_reach_python_attributes() -> None:
    rules = BotRules(greeting_known="{nombre.__class__} {0} {")
    decision = decide(conversation(last_inbound_at=None), message(), ANA, NOW, rules)
    assert decision == ReplyText("{nombre.__class__} {0} {", "greeting_known")


@pytest.mark.parametrize("text", ["precios", "¿Cuánto cuesta?", "PRECIO por favor", "Precíos!!"])
def test_keywords_match_whole_words_in_any_case_and_accent(text: str) -> None:
    rules = BotRules(rules=(PRICES,))
    assert decide(conversation(), message(text), None, NOW, rules) == ReplyText(
        "Desde $99", "keyword:precios"
    )


def test_a_keyword_inside_another_word_does_not_match() -> None:
    rules = BotRules(rules=(PRICES,), fallback_reply=None)
    decision = decide(conversation(), message("aprecio mucho"), None, NOW, rules)
    assert decision == NoReply(SkipReason.NO_RULE_MATCHED)


def test_the_rule_with_higher_priority_wins_and_equal_priorities_keep_file_order() -> None:
    low = KeywordRule("low", keywords=("envio",), reply="bajo")
    high = KeywordRule("high", patterns=(r"envio.*\d+",), reply="alto", priority=5)
    second = KeywordRule("second", keywords=("envio",), reply="segundo")
    rules = BotRules(rules=(low, second, high))
    assert decide(conversation(), message("Envío 123"), None, NOW, rules).rule == "keyword:high"
    assert decide(conversation(), message("envío"), None, NOW, rules).rule == "keyword:low"


def test_a_template_rule_answers_with_its_template_and_filled_parameters() -> None:
    rule = KeywordRule(
        "factura",
        keywords=("factura",),
        template=TemplateMessage("factura_lista", "es_MX", ("{nombre}",)),
    )
    decision = decide(conversation(), message("mi factura"), ANA, NOW, BotRules(rules=(rule,)))
    assert decision == ReplyTemplate(
        TemplateMessage("factura_lista", "es_MX", ("Ana López",)), "keyword:factura"
    )


@pytest.mark.parametrize("text", ["BAJA", "stop", "Baja.", " STOP! "])
def test_an_opt_out_keyword_is_confirmed_once_and_opts_the_customer_out(text: str) -> None:
    decision = decide(conversation(), message(text), None, NOW, BotRules())
    assert isinstance(decision, ReplyText)
    assert decision.rule == "opt_out"
    assert decision.effects == {Effect.OPT_OUT}


def test_a_sentence_that_merely_contains_baja_is_not_an_opt_out() -> None:
    decision = decide(conversation(), message("la señal está baja"), None, NOW, BotRules())
    assert Effect.OPT_OUT not in decision.effects


def test_an_opted_out_customer_gets_no_answer() -> None:
    opted_out = conversation(opted_out=True)
    for text in ("hola", "precios", "BAJA", "asesor"):
        decision = decide(opted_out, message(text), ANA, NOW, BotRules(rules=(PRICES,)))
        assert isinstance(decision, NoReply)
        assert decision.reason is SkipReason.OPTED_OUT


def test_an_opt_in_keyword_brings_an_opted_out_customer_back() -> None:
    decision = decide(conversation(opted_out=True), message("Alta"), None, NOW, BotRules())
    assert decision == ReplyText(
        "¡Listo! Volverás a recibir nuestros mensajes.", "opt_in", frozenset({Effect.OPT_IN})
    )


def test_an_opt_out_while_an_agent_has_the_chat_is_honoured_silently() -> None:
    decision = decide(conversation(bot_paused=True), message("BAJA"), None, NOW, BotRules())
    assert decision == NoReply(SkipReason.BOT_PAUSED, "opt_out", frozenset({Effect.OPT_OUT}))


@pytest.mark.parametrize("text", ["Quiero hablar con un ASESÓR", "agente", "¿Hay algún humano?"])
def test_handoff_keywords_pause_the_bot_with_one_answer(text: str) -> None:
    decision = decide(conversation(), message(text), None, NOW, BotRules(rules=(PRICES,)))
    assert decision == HandOff(
        "Enseguida te atiende una persona de nuestro equipo. Gracias por esperar."
    )


def test_the_bot_stays_silent_once_an_agent_has_taken_over() -> None:
    decision = decide(conversation(bot_paused=True), message("precios"), None, NOW, BotRules())
    assert decision == NoReply(SkipReason.BOT_PAUSED)


def test_media_is_acknowledged() -> None:
    decision = decide(conversation(), message(None, MessageKind.IMAGE), None, NOW, BotRules())
    assert decision.rule == "media_ack"


def test_a_media_caption_is_not_read_as_keywords() -> None:
    decision = decide(
        conversation(), message("precios", MessageKind.IMAGE), None, NOW, BotRules(rules=(PRICES,))
    )
    assert decision.rule == "media_ack"


@pytest.mark.parametrize(
    "kind", [MessageKind.REACTION, MessageKind.SYSTEM, MessageKind.UNSUPPORTED]
)
def test_reactions_system_notices_and_unsupported_messages_get_no_answer(kind: MessageKind) -> None:
    assert decide(conversation(), message(None, kind), None, NOW, BotRules()) == NoReply(
        SkipReason.NOT_ANSWERABLE
    )


def test_the_bot_never_answers_its_own_messages() -> None:
    own = message("hola", direction=Direction.OUTBOUND, author=Author.bot())
    assert decide(conversation(), own, None, NOW, BotRules()) == NoReply(SkipReason.OWN_MESSAGE)


def test_messages_older_than_the_maximum_age_get_no_answer() -> None:
    rules = BotRules(max_message_age=timedelta(minutes=30))
    late = message("precios", whatsapp_timestamp=NOW - timedelta(minutes=31))
    assert decide(conversation(), late, None, NOW, rules) == NoReply(SkipReason.TOO_OLD)


def test_the_flood_limit_silences_the_bot_within_its_window() -> None:
    rules = BotRules(flood_limit=FloodLimit(max_replies=2, window=timedelta(minutes=10)))
    busy = conversation(recent_bot_replies=(NOW - timedelta(minutes=9), NOW - timedelta(minutes=1)))
    assert decide(busy, message("hola"), None, NOW, rules) == NoReply(SkipReason.FLOOD_LIMIT)
    calmer = conversation(
        recent_bot_replies=(NOW - timedelta(minutes=11), NOW - timedelta(minutes=1))
    )
    assert isinstance(decide(calmer, message("hola"), None, NOW, rules), ReplyText)


class TestBusinessHours:
    HOURS = BusinessHours(
        timezone="America/Mexico_City",
        weekly={1: (OpeningHours(time(9), time(14)), OpeningHours(time(16), time(19)))},
        closed_dates=frozenset({date(2026, 3, 17)}),
    )

    def decide_at(self, now: datetime, notice_at: datetime | None = None) -> Decision:
        rules = BotRules(business_hours=self.HOURS, rules=(PRICES,))
        conv = conversation(after_hours_notice_at=notice_at)
        return decide(conv, message("precios", whatsapp_timestamp=now), None, now, rules)

    def test_inside_opening_hours_the_rules_answer(self) -> None:
        assert self.decide_at(datetime(2026, 3, 10, 16, 0, tzinfo=UTC)).rule == "keyword:precios"

    def test_at_lunch_time_the_after_hours_notice_goes_out(self) -> None:
        decision = self.decide_at(datetime(2026, 3, 10, 20, 30, tzinfo=UTC))  # 14:30 local
        assert isinstance(decision, ReplyText)
        assert decision.rule == "after_hours"
        assert decision.effects == {Effect.AFTER_HOURS_NOTICE}

    def test_the_notice_goes_out_once_per_period_then_the_rules_answer(self) -> None:
        now = datetime(2026, 3, 11, 1, 30, tzinfo=UTC)  # Tuesday 19:30 local
        assert self.decide_at(now, now - timedelta(hours=2)).rule == "keyword:precios"
        assert self.decide_at(now, now - timedelta(hours=13)).rule == "after_hours"

    def test_holidays_are_closed_all_day(self) -> None:
        assert self.decide_at(datetime(2026, 3, 17, 17, 0, tzinfo=UTC)).rule == "after_hours"


class TestRulesValidation:
    def test_a_bad_regex_names_the_rule_and_the_pattern(self) -> None:
        with pytest.raises(InvalidBotRules, match=r"rules\['pedido'\]\.patterns.*\[0-9"):
            KeywordRule("pedido", patterns=("[0-9",), reply="x")

    def test_a_rule_needs_exactly_one_answer(self) -> None:
        with pytest.raises(
            InvalidBotRules, match="exactly one answer: reply, template or interactive"
        ):
            KeywordRule("x", keywords=("a",))
        with pytest.raises(
            InvalidBotRules, match="exactly one answer: reply, template or interactive"
        ):
            KeywordRule("x", keywords=("a",), reply="r", template=TemplateMessage("t"))

    def test_a_rule_needs_something_to_match(self) -> None:
        with pytest.raises(InvalidBotRules, match="at least one keyword, pattern or reply id"):
            KeywordRule("x", reply="r")

    def test_a_keyword_of_punctuation_only_is_refused(self) -> None:
        with pytest.raises(InvalidBotRules, match="no letters or digits"):
            KeywordRule("x", keywords=("¿?",), reply="r")

    def test_opt_in_and_opt_out_keywords_must_differ(self) -> None:
        with pytest.raises(InvalidBotRules, match="opt_in_keywords"):
            BotRules(opt_in_keywords=("Baja",))

    def test_the_maximum_age_stays_inside_the_service_window(self) -> None:
        with pytest.raises(InvalidBotRules, match="max_message_age"):
            BotRules(max_message_age=timedelta(hours=25))

    def test_rule_names_are_unique(self) -> None:
        with pytest.raises(InvalidBotRules, match="duplicate rule names"):
            BotRules(rules=(PRICES, PRICES))

    def test_an_unknown_timezone_is_refused(self) -> None:
        with pytest.raises(InvalidBotRules, match="Mars/Olympus"):
            BusinessHours(timezone="Mars/Olympus")

    def test_opening_hours_must_open_before_they_close(self) -> None:
        with pytest.raises(InvalidBotRules, match="before closing"):
            OpeningHours(time(18), time(9))

    def test_flood_limit_needs_at_least_one_reply(self) -> None:
        with pytest.raises(InvalidBotRules, match=r"flood_limit\.max_replies"):
            FloodLimit(max_replies=0)


def test_a_request_for_a_person_is_honoured_silently_when_the_bot_may_not_speak() -> None:
    rules = BotRules(flood_limit=FloodLimit(max_replies=1))
    flooded = conversation(recent_bot_replies=(NOW - timedelta(minutes=1),))
    assert decide(flooded, message("asesor"), None, NOW, rules) == NoReply(
        SkipReason.FLOOD_LIMIT, "handoff", frozenset({Effect.HAND_OFF})
    )
    late = message("quiero un humano", whatsapp_timestamp=NOW - timedelta(hours=2))
    assert decide(conversation(), late, None, NOW, rules) == NoReply(
        SkipReason.TOO_OLD, "handoff", frozenset({Effect.HAND_OFF})
    )
