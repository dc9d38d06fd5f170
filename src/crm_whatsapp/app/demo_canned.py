"""The demo team's canned responses ("respuestas rápidas"): what the agents of a small
Mexican shop answer all day, typed in the inbox as ``/saludo``, ``/pago_pendiente``…

They quote the placeholders every deployment offers (``{nombre}``, ``{perfil}``,
``{cliente_id}``), so a chat with a known client fills them and a stranger's names what
is missing.
"""

from __future__ import annotations

from crm_whatsapp.app.demo_team import AGENTS, DEMO_AGENT
from crm_whatsapp.domain.use_cases import Dependencies
from crm_whatsapp.domain.use_cases.canned_responses import create_canned_response

CANNED_RESPONSES: tuple[tuple[str, str, str], ...] = (
    (
        "saludo",
        "Saludo",
        "¡Hola {perfil}! Gracias por escribirnos. ¿En qué te puedo ayudar?",
    ),
    (
        "pago_pendiente",
        "Pago pendiente",
        "Hola {nombre}, te recordamos que tu pedido sigue con el pago pendiente. Puedes "
        "pagar con transferencia o en tienda; al pagar, envíanos el comprobante por aquí "
        "indicando tu número de cliente ({cliente_id}).",
    ),
    (
        "horario",
        "Horario de atención",
        "Atendemos de lunes a viernes de 9:00 a 19:00 y los sábados de 10:00 a 14:00 "
        "(hora del centro de México).",
    ),
    (
        "envio",
        "Envíos",
        "Enviamos a todo México con paquetería: de 2 a 5 días hábiles. El envío es gratis "
        "en compras desde $999; te mandamos la guía en cuanto salga tu pedido.",
    ),
    (
        "factura",
        "Factura",
        "Con gusto te facturamos. Compártenos tu RFC, razón social, código postal, régimen "
        "fiscal y uso del CFDI, y te la enviamos por correo en menos de 24 horas.",
    ),
    (
        "despedida",
        "Despedida",
        "Gracias por tu preferencia, {nombre}. Si necesitas algo más, aquí estamos. ¡Que "
        "tengas un excelente día!",
    ),
)
"""(shortcut, title, text)."""


def seed_canned_responses(deps: Dependencies) -> int:
    """Store the demo's canned responses, as the team's agents saved them; how many."""
    authors = (DEMO_AGENT, *AGENTS)
    for number, (shortcut, title, text) in enumerate(CANNED_RESPONSES):
        create_canned_response(deps, shortcut, text, title, authors[number % len(authors)])
    return len(CANNED_RESPONSES)
