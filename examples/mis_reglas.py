"""The bot rules of a (fictional) shop: what a CRM team writes for its own bot."""

from __future__ import annotations

from datetime import time

from crm_whatsapp.domain.message import TemplateMessage
from crm_whatsapp.domain.policy import BotRules, BusinessHours, KeywordRule, OpeningHours

PALABRAS_CLAVE = {
    "horario": ("horario", "horarios", "a que hora abren"),
    "envios": ("envio", "envios", "paqueteria"),
    "precios": ("precio", "precios", "cuanto cuesta"),
}

REGLAS = BotRules(
    rules=(
        KeywordRule(
            "horario",
            keywords=PALABRAS_CLAVE["horario"],
            reply="Abrimos de lunes a viernes de 9 a 18 h y los sábados de 9 a 14 h.",
        ),
        KeywordRule(
            "envios",
            keywords=PALABRAS_CLAVE["envios"],
            reply="Enviamos a todo México en 2 a 5 días hábiles.",
        ),
        KeywordRule(
            "precios",
            keywords=PALABRAS_CLAVE["precios"],
            template=TemplateMessage("lista_de_precios", "es_MX", ("{nombre}",)),
            priority=1,
        ),
        KeywordRule("pedido", patterns=(r"pedido\s*#?\d{4,}",), reply="Buscamos tu pedido…"),
    ),
    business_hours=BusinessHours(
        timezone="America/Mexico_City",
        weekly={day: (OpeningHours(time(9), time(18)),) for day in range(5)},
    ),
)
