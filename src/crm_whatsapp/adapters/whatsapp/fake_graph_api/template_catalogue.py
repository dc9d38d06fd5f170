"""The templates the fake starts with: what a small Spanish-speaking business with a CRM
would have had approved (payment reminders, appointments, invoices, codes, promotions),
plus the states a catalogue really has (one paused, one disabled, one rejected, one
pending) and a few English ones, so that the demo and the tests meet Meta's variety.

Each entry is in Meta's shape, as ``GET /{waba-id}/message_templates`` lists it; the
helpers below only spare repeating the keys. The ids are filled in by the catalogue.
"""

from __future__ import annotations

from typing import Any

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import JsonObject

SAMPLE_IMAGE = "https://scontent.whatsapp.net/v/t61.29466-34/promocion_mensual.jpg"
SAMPLE_DOCUMENT = "https://scontent.whatsapp.net/v/t61.29466-34/factura_F-10234.pdf"


def _template(
    name: str,
    language: str,
    category: str,
    *components: JsonObject,
    status: str = "APPROVED",
    named: bool = False,
    **extra: Any,
) -> JsonObject:
    return {
        "name": name,
        "parameter_format": "NAMED" if named else "POSITIONAL",
        "components": list(components),
        "language": language,
        "status": status,
        "category": category,
        **extra,
    }


def _text_header(text: str, *example: str) -> JsonObject:
    header: JsonObject = {"type": "HEADER", "format": "TEXT", "text": text}
    if example:
        header["example"] = {"header_text": list(example)}
    return header


def _media_header(kind: str, sample_url: str) -> JsonObject:
    return {"type": "HEADER", "format": kind, "example": {"header_handle": [sample_url]}}


def _body(text: str, *example: str) -> JsonObject:
    body: JsonObject = {"type": "BODY", "text": text}
    if example:
        body["example"] = {"body_text": [list(example)]}
    return body


def _named_body(text: str, **example: str) -> JsonObject:
    named = [{"param_name": name, "example": value} for name, value in example.items()]
    return {"type": "BODY", "text": text, "example": {"body_text_named_params": named}}


def _footer(text: str) -> JsonObject:
    return {"type": "FOOTER", "text": text}


def _buttons(*buttons: JsonObject) -> JsonObject:
    return {"type": "BUTTONS", "buttons": list(buttons)}


def _quick_reply(text: str) -> JsonObject:
    return {"type": "QUICK_REPLY", "text": text}


def _url(text: str, url: str, example: str | None = None) -> JsonObject:
    button: JsonObject = {"type": "URL", "text": text, "url": url}
    if example is not None:
        button["example"] = [example]
    return button


def _phone(text: str, phone_number: str) -> JsonObject:
    return {"type": "PHONE_NUMBER", "text": text, "phone_number": phone_number}


def _copy_code(example: str) -> JsonObject:
    return {"type": "COPY_CODE", "text": "Copiar código", "example": example}


FOOTER = _footer("Atención a clientes · Lun a vie de 9 a 18 h")

DEMO_TEMPLATES: tuple[JsonObject, ...] = (
    _template(
        "bienvenida",
        "es",
        "UTILITY",
        _body("¡Hola! Gracias por escribirnos. Un asesor le atenderá en unos minutos."),
        FOOTER,
    ),
    _template(
        "recordatorio_pago",
        "es",
        "UTILITY",
        _body(
            "Hola {{1}}, le recordamos que su pago de {{2}} vence el {{3}}. Puede pagarlo "
            "en línea con el botón de abajo.",
            "Ana",
            "$1,250.00 MXN",
            "15 de marzo",
        ),
        FOOTER,
        _buttons(
            _url(
                "Pagar",
                "https://pagos.ejemplo.com/factura/{{1}}",
                "https://pagos.ejemplo.com/factura/F-10234",
            )
        ),
    ),
    _template(
        "confirmacion_cita",
        "es",
        "UTILITY",
        _text_header("Confirmación de cita"),
        _named_body(
            "Hola {{nombre}}, su cita es el {{fecha}} a las {{hora}}. ¿Nos confirma su asistencia?",
            nombre="Ana",
            fecha="martes 12 de marzo",
            hora="10:30",
        ),
        _buttons(_quick_reply("Confirmar"), _quick_reply("Cambiar cita")),
        named=True,
    ),
    _template(
        "factura_disponible",
        "es",
        "UTILITY",
        _media_header("DOCUMENT", SAMPLE_DOCUMENT),
        _body(
            "Hola {{1}}, su factura {{2}} ya está disponible. Se la enviamos adjunta en "
            "este mensaje.",
            "Ana",
            "F-10234",
        ),
        FOOTER,
    ),
    _template(
        "codigo_verificacion",
        "es",
        "AUTHENTICATION",
        _body("{{1}} es su código de verificación. Por su seguridad, no lo comparta.", "482913"),
        _footer("Este código caduca en 10 minutos."),
        _buttons(_copy_code("482913")),
    ),
    _template(
        "promocion_mensual",
        "es",
        "MARKETING",
        _media_header("IMAGE", SAMPLE_IMAGE),
        _named_body(
            "¡Hola {{nombre}}! Este mes tiene {{descuento}} de descuento en toda la tienda. "
            "Oferta válida hasta fin de mes.",
            nombre="Ana",
            descuento="15 %",
        ),
        _footer("Responda BAJA para no recibir promociones."),
        _buttons(
            _url("Ver la tienda", "https://tienda.ejemplo.com/ofertas"),
            _quick_reply("No me interesa"),
        ),
        named=True,
    ),
    _template(
        "encuesta_satisfaccion",
        "es",
        "MARKETING",
        _body("Hola {{1}}, ¿cómo calificaría la atención que recibió hoy?", "Ana"),
        _buttons(_quick_reply("Excelente"), _quick_reply("Buena"), _quick_reply("Mejorable")),
    ),
    _template(
        "envio_en_camino",
        "es",
        "UTILITY",
        _text_header("Pedido {{1}} en camino", "P-5531"),
        _body(
            "Hola {{1}}, su pedido salió hoy con {{2}}. Número de guía: {{3}}.",
            "Ana",
            "Estafeta",
            "7700123456",
        ),
        _buttons(
            _url(
                "Rastrear envío",
                "https://envios.ejemplo.com/rastreo/{{1}}",
                "https://envios.ejemplo.com/rastreo/7700123456",
            ),
            _phone("Llamar", "+525512345678"),
        ),
    ),
    _template(
        "seguimiento_pedido",
        "es",
        "UTILITY",
        _body("Hola, le escribe {{1}} sobre su pedido. ¿Tiene alguna duda?", "Laura"),
    ),
    _template(
        "oferta_verano",
        "es",
        "MARKETING",
        _body(
            "¡{{1}}, llegó el verano! Hasta {{2}} de descuento en productos seleccionados.",
            "Ana",
            "30 %",
        ),
        status="PAUSED",
        quality_score={"score": "RED"},
    ),
    _template(
        "liquidacion_invierno",
        "es",
        "MARKETING",
        _body("Últimos días de liquidación: {{1}} de descuento en abrigos.", "40 %"),
        status="DISABLED",
        quality_score={"score": "RED"},
    ),
    _template(
        "aviso_mantenimiento",
        "es",
        "UTILITY",
        _body("{{1}}{{2}} mantenimiento del sistema.", "El lunes", " habrá"),
        status="REJECTED",
        rejected_reason="INVALID_FORMAT",
    ),
    _template(
        "cumpleanos_cliente",
        "es",
        "MARKETING",
        _named_body(
            "¡Feliz cumpleaños, {{nombre}}! Le regalamos {{regalo}} en su próxima compra.",
            nombre="Ana",
            regalo="un 20 % de descuento",
        ),
        status="PENDING",
        named=True,
    ),
    _template(
        "recordatorio_cita",
        "es_MX",
        "UTILITY",
        _body(
            "Hola {{1}}, le recordamos su cita del {{2}}. Si necesita cambiarla, responda a "
            "este mensaje.",
            "Ana",
            "martes 10:00",
        ),
    ),
    _template(
        "lista_de_precios",
        "es_MX",
        "MARKETING",
        _body(
            "Hola {{1}}, le compartimos nuestra lista de precios actualizada. ¿Le interesa "
            "algún producto?",
            "Ana López",
        ),
    ),
    _template(
        "seguimiento",
        "es_MX",
        "MARKETING",
        _body(
            "Hola {{1}}, ¿pudo revisar nuestra propuesta? Quedamos atentos a sus comentarios.",
            "Ana",
        ),
    ),
    _template(
        "bienvenida",
        "en_US",
        "UTILITY",
        _body("Hello! Thanks for contacting us. An agent will be with you in a few minutes."),
    ),
    _template(
        "appointment_reminder",
        "en_US",
        "UTILITY",
        _body(
            "Hi {{1}}, this is a reminder of your appointment on {{2}} at {{3}}.",
            "Ann",
            "March 12",
            "10:30 AM",
        ),
        _buttons(_quick_reply("Confirm"), _quick_reply("Reschedule")),
    ),
)
"""18 templates in ``es``, ``es_MX`` and ``en_US``: one page at Meta's default limit (25)."""
