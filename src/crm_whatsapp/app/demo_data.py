"""What the demo is made of: a CRM's client table as people fill it in, and what customers write.

The numbers are typed the way CRM users type them (spaces, dashes, brackets, national and
international forms, a landline beside a mobile), so the demo shows the phone index at
work: the webhook brings ``5215512345678`` and the client row says ``(55) 1234-5678``.
Everything is fictitious; the generator is seeded, so two demos tell the same story.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm_whatsapp.adapters.whatsapp.fake_graph_api.options import DEFAULT_WABA_ID
from crm_whatsapp.app.demo_files import FILE_OF_KIND, CustomerFiles

DEMO_PHONE_NUMBER_ID = "106540352242922"
DEMO_DISPLAY_NUMBER = "15550783881"
DEMO_BUSINESS_ACCOUNT_ID = DEFAULT_WABA_ID

_FIRST_NAMES = (
    "María", "José", "Guadalupe", "Juan", "Fernanda", "Luis", "Sofía", "Carlos", "Valentina",
    "Miguel", "Ximena", "Jorge", "Camila", "Alejandro", "Daniela", "Ricardo", "Regina",
    "Francisco", "Andrea", "Eduardo", "Paola", "Héctor", "Renata", "Arturo", "Lucía",
)  # fmt: skip
_LAST_NAMES = (
    "Hernández", "García", "Martínez", "López", "González", "Pérez", "Rodríguez", "Sánchez",
    "Ramírez", "Cruz", "Flores", "Gómez", "Morales", "Vázquez", "Reyes", "Jiménez", "Torres",
    "Díaz", "Gutiérrez", "Ruiz", "Mendoza", "Aguilar", "Ortiz", "Castillo", "Núñez",
)  # fmt: skip
_AREA_CODES = ("55", "33", "81", "222", "442", "999")


@dataclass(frozen=True, slots=True)
class DemoClient:
    """A row of the demo CRM's ``clientes`` table and the wa_id WhatsApp would send."""

    id: int
    name: str
    phone: str | None
    mobile: str | None
    email: str
    wa_id: str


def _mexican_mobile(rng: random.Random) -> tuple[str, str]:
    """A 10-digit Mexican mobile as (national digits, wa_id with the legacy ``1``)."""
    area = rng.choice(_AREA_CODES)
    rest = "".join(rng.choice("0123456789") for _ in range(10 - len(area)))
    national = area + rest
    return national, "521" + national


def _typed(national: str, style: int) -> str:
    """The same number as different people type it into a CRM."""
    a, b, c = national[:2], national[2:6], national[6:]
    return (
        f"{a} {b} {c}",
        f"({a}) {b}-{c}",
        f"+52 1 {a} {b} {c}",
        national,
        f"+52 {national}",
        f"044 {a} {b} {c}",
        f"52-{a}-{b}-{c}",
    )[style % 7]


def demo_clients(count: int = 50, seed: int = 2026) -> list[DemoClient]:
    """``count`` clients with Spanish names and numbers in assorted formats.

    One client in ten has only a landline (which WhatsApp never writes from), one in five
    has their WhatsApp number in the second phone column.
    """
    rng = random.Random(seed)
    clients: list[DemoClient] = []
    used: set[str] = set()
    for index in range(count):
        name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)} {rng.choice(_LAST_NAMES)}"
        national, wa_id = _mexican_mobile(rng)
        while wa_id in used:
            national, wa_id = _mexican_mobile(rng)
        used.add(wa_id)
        typed = _typed(national, index)
        landline = f"({national[:2]}) 5{national[3:6]}-{national[6:]}"
        if index % 10 == 9:
            phone, mobile = landline, None
        elif index % 5 == 1:
            phone, mobile = landline, typed
        else:
            phone, mobile = typed, None
        email = f"{name.split(maxsplit=1)[0].lower()}.{index}@ejemplo.mx"
        clients.append(DemoClient(index + 1, name, phone, mobile, email, wa_id))
    return clients


def unknown_customers(count: int = 15, seed: int = 7) -> list[tuple[str, str]]:
    """People who write but are not in the CRM: (wa_id, WhatsApp profile name)."""
    rng = random.Random(seed)
    names = ("Pau", "Chuy 🌵", "Mamá de Leo", "Tienda La Esperanza", "Ing. Robles", "Kari")
    customers = []
    for index in range(count):
        _, wa_id = _mexican_mobile(rng)
        customers.append((wa_id, f"{names[index % len(names)]}"))
    return customers


TEXTS = (
    "Hola, buenas tardes",
    "¿Tienen disponible la talla M en azul?",
    "¿A qué hora abren mañana?",
    "Quisiera saber el estado de mi pedido 48213",
    "¿Hacen envíos a Guadalajara?",
    "Gracias por la información 🙏",
    "¿Aceptan pago con tarjeta?",
    "El producto llegó dañado, ¿cómo hago la devolución?",
    "¿Cuánto cuesta el envío express?",
    "Perfecto, muchas gracias",
    "¿Me pueden mandar la factura?",
    "¿Siguen teniendo la promoción del 2x1?",
)
HANDOFF_TEXT = "Quiero hablar con un asesor, por favor"
OPT_OUT_TEXT = "BAJA"
AGENT_TEXTS = (
    "Hola, soy {agent}. Ya revisé tu pedido: sale hoy por la tarde.",
    "Claro, te envío la factura a tu correo en un momento.",
    "Sí, la promoción sigue vigente hasta el domingo.",
)


def customer_message(
    kind: str, rng: random.Random, files: CustomerFiles | None = None
) -> dict[str, Any]:
    """The ``type``-specific part of a Meta message object, e.g. ``{"type": "text", ...}``.

    A photo, a document or a voice note is one of the committed demo files, held by
    ``files`` where the service will fetch it; without ``files`` (a server that is not
    the demo's) the customer writes a text instead."""
    file = FILE_OF_KIND.get(kind)
    if file is not None and files is not None:
        caption = filename = None
        if kind == "image":
            caption = rng.choice(("Así llegó la caja", "Este es el modelo que quiero", ""))
        elif kind == "document":
            caption = rng.choice(("La cotización que me mandaron", ""))
            filename = rng.choice(("cotizacion.pdf", "Cotización marzo.pdf", "cotizacion_2.pdf"))
        return files(file, caption=caption or None, filename=filename)
    if kind == "location":
        return {
            "type": "location",
            "location": {
                "latitude": round(19.4326 + rng.uniform(-0.1, 0.1), 5),
                "longitude": round(-99.1332 + rng.uniform(-0.1, 0.1), 5),
                "name": "Mi domicilio",
                "address": "Av. Insurgentes Sur 1234, CDMX",
            },
        }
    return {"type": "text", "text": {"body": rng.choice(TEXTS)}}


def message_webhook_body(
    *, wa_id: str, profile_name: str | None, wamid: str, timestamp: int, part: Mapping[str, Any]
) -> dict[str, Any]:
    """The envelope Meta posts when a customer writes anything (``part`` from
    ``customer_message``), for the demo's phone number."""
    contact: dict[str, Any] = {"wa_id": wa_id}
    if profile_name:
        contact["profile"] = {"name": profile_name}
    message = {"from": wa_id, "id": wamid, "timestamp": str(timestamp), **part}
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": DEMO_BUSINESS_ACCOUNT_ID,
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": DEMO_DISPLAY_NUMBER,
                                "phone_number_id": DEMO_PHONE_NUMBER_ID,
                            },
                            "contacts": [contact],
                            "messages": [message],
                        },
                    }
                ],
            }
        ],
    }
