"""Graph API failures translated into ``GatewayError``: may the outbox try again?

Meta answers a failed send with an HTTP status and a JSON body such as::

    {"error": {"message": "(#131047) Re-engagement message", "type": "OAuthException",
               "code": 131047, "error_data": {"messaging_product": "whatsapp",
               "details": "Message failed to send because more than 24 hours have passed
               since the customer last replied to this number."},
               "fbtrace_id": "AbCdEf..."}}

The error *code* decides, not the HTTP status: Meta uses 400 both for a throttle that
will pass (130429) and for a recipient that will never receive anything (131026). The
status decides only for codes we do not know: a 5xx is Meta's side failing (retry), any
other 4xx is our request being wrong (retrying the same request cannot help), except 429
which is a throttle by definition.

Transport failures split on whether the request may have reached Meta. Connecting failed
(refused, connect timeout, no free connection in the pool): nothing was sent, so a retry
is safe. The request was sent but no answer came (read/write timeout, dropped
connection): Meta may have accepted the message, so the outcome is unknown and a retry
may deliver it twice (the outbox's at-least-once rule counts it).

The messages here are shown to the people using the inbox (in Spanish); the Graph code
goes to ``GatewayError.error_code`` so that code can branch on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from crm_whatsapp.domain.errors import GatewayError

MAX_DETAIL_LENGTH = 300
"""Meta's own explanation is appended to ours, cut so a huge HTML error page cannot bloat
a stored delivery error."""


@dataclass(frozen=True, slots=True)
class GraphErrorKind:
    """What we know about one Graph error code."""

    retryable: bool
    description: str


GRAPH_ERROR_CODES: Mapping[int, GraphErrorKind] = {
    # Throttles and temporary failures on Meta's side: the same request will work later.
    1: GraphErrorKind(True, "Error desconocido en la API de WhatsApp; se reintentará."),
    2: GraphErrorKind(True, "El servicio de WhatsApp no está disponible temporalmente."),
    4: GraphErrorKind(
        True, "La aplicación superó su límite de llamadas a la API de Meta; se reintentará."
    ),
    80007: GraphErrorKind(
        True,
        "La cuenta de WhatsApp Business alcanzó su límite de uso de la API; se reintentará.",
    ),
    130429: GraphErrorKind(
        True,
        "Se superó el límite de mensajes por segundo del número de WhatsApp; se reintentará.",
    ),
    131000: GraphErrorKind(True, "WhatsApp no pudo enviar el mensaje por un error interno."),
    131016: GraphErrorKind(True, "El servicio de WhatsApp está sobrecargado; se reintentará."),
    131056: GraphErrorKind(
        True,
        "Se enviaron demasiados mensajes a este cliente en poco tiempo; se reintentará.",
    ),
    133004: GraphErrorKind(True, "El servidor de WhatsApp no está disponible temporalmente."),
    # Final: the request or the recipient is wrong; sending it again cannot succeed.
    10: GraphErrorKind(False, "La aplicación no tiene permiso para enviar con este número."),
    100: GraphErrorKind(False, "La solicitud a la API de WhatsApp tiene un parámetro inválido."),
    190: GraphErrorKind(
        False, "El token de acceso de WhatsApp venció o no es válido; hay que renovarlo."
    ),
    368: GraphErrorKind(
        False, "El número fue bloqueado temporalmente por infringir las políticas de WhatsApp."
    ),
    131026: GraphErrorKind(
        False,
        "No se pudo entregar el mensaje: el número no usa WhatsApp o no puede recibirlo.",
    ),
    131030: GraphErrorKind(
        False,
        "El número del cliente no está en la lista de destinatarios permitidos de la cuenta "
        "de prueba.",
    ),
    131047: GraphErrorKind(
        False,
        "Pasaron más de 24 horas desde el último mensaje del cliente: solo se puede enviar "
        "una plantilla aprobada para retomar la conversación.",
    ),
    131051: GraphErrorKind(False, "WhatsApp no admite este tipo de mensaje."),
    131052: GraphErrorKind(False, "WhatsApp no pudo descargar el archivo que envió el cliente."),
    131053: GraphErrorKind(
        False,
        "WhatsApp no aceptó el archivo: su tipo o su tamaño no están permitidos, o ya no "
        "está disponible.",
    ),
    131062: GraphErrorKind(
        False,
        "Este tipo de mensaje no se puede enviar a un cliente identificado solo por su "
        "identificador de usuario (BSUID).",
    ),
    132000: GraphErrorKind(
        False,
        "La cantidad de parámetros no coincide con la que espera la plantilla aprobada.",
    ),
    132001: GraphErrorKind(False, "La plantilla no existe en ese idioma o no está aprobada."),
    132012: GraphErrorKind(
        False, "El formato de los parámetros no coincide con el de la plantilla aprobada."
    ),
    132015: GraphErrorKind(False, "La plantilla está en pausa por su calidad."),
    132016: GraphErrorKind(False, "La plantilla está desactivada."),
    132018: GraphErrorKind(
        False,
        "Un parámetro de la plantilla tiene saltos de línea, tabuladores o más de cuatro "
        "espacios seguidos.",
    ),
}

RETRYABLE_HTTP_STATUSES = frozenset({429})

REDACTED = "***"

OBJECT_MISSING_SUBCODE = 33
"""Graph's subcode for "Object with ID ... does not exist" (with code 100)."""

LOOKUP = "la consulta del archivo"
DOWNLOAD = "la descarga del archivo"
UPLOAD = "la subida del archivo"
"""What was under way when a file's transfer failed, as the messages say it."""


def classify_graph_error(status_code: int, error_json: object) -> GatewayError:
    """The ``GatewayError`` for an unsuccessful Graph API answer.

    ``error_json`` is the decoded body (any JSON value), or the raw text when the body was
    not JSON (a proxy's HTML page, an empty body): both are handled.
    """
    error = _error_object(error_json)
    code = _int_or_none(error.get("code"))
    kind = GRAPH_ERROR_CODES.get(code) if code is not None else None
    server_side = status_code >= 500
    if kind is not None:
        retryable = kind.retryable or server_side
        description = kind.description
    else:
        retryable = server_side or status_code in RETRYABLE_HTTP_STATUSES
        description = (
            "La API de WhatsApp falló temporalmente; se reintentará."
            if retryable
            else "La API de WhatsApp rechazó el mensaje."
        )
    where = f"código {code}, HTTP {status_code}" if code is not None else f"HTTP {status_code}"
    detail = _detail(error, error_json)
    message = f"{description} ({where})" + (f": {detail}" if detail else "")
    return GatewayError(
        message,
        retryable=retryable,
        error_code=str(code) if code is not None else f"http_{status_code}",
    )


def classify_transport_error(error: httpx.TransportError) -> GatewayError:
    """The ``GatewayError`` for a request that got no HTTP answer at all."""
    if isinstance(error, httpx.ConnectTimeout):
        return GatewayError(
            "No se pudo conectar con la API de WhatsApp a tiempo; el mensaje no se envió y "
            "se reintentará.",
            retryable=True,
            error_code="connect_timeout",
        )
    if isinstance(error, httpx.PoolTimeout):
        return GatewayError(
            "No hubo una conexión libre hacia la API de WhatsApp a tiempo; el mensaje no se "
            "envió y se reintentará.",
            retryable=True,
            error_code="pool_timeout",
        )
    if isinstance(error, httpx.ConnectError | httpx.ProxyError):
        return GatewayError(
            "No se pudo conectar con la API de WhatsApp; el mensaje no se envió y se "
            f"reintentará ({_exception_text(error)}).",
            retryable=True,
            error_code="connection_error",
        )
    if isinstance(error, httpx.UnsupportedProtocol):
        return GatewayError(
            "La dirección configurada para la API de WhatsApp no es válida.",
            retryable=False,
            error_code="invalid_base_url",
        )
    if isinstance(error, httpx.TimeoutException):
        return GatewayError(
            "La API de WhatsApp no respondió a tiempo después de recibir el mensaje: puede "
            "que se haya enviado; se reintentará y podría llegar dos veces.",
            retryable=True,
            error_code="timeout",
            outcome_unknown=True,
        )
    return GatewayError(
        "Se perdió la conexión con la API de WhatsApp antes de recibir su respuesta: puede "
        "que el mensaje se haya enviado; se reintentará y podría llegar dos veces "
        f"({_exception_text(error)}).",
        retryable=True,
        error_code="connection_lost",
        outcome_unknown=True,
    )


def unreadable_success(status_code: int, body: object) -> GatewayError:
    """Meta said yes (2xx) but the answer carries no message id.

    The message was most likely accepted, yet without its wamid we cannot match the status
    webhooks to it, so this counts as an unknown outcome: retried, at least once.
    """
    detail = _truncate(body if isinstance(body, str) else repr(body))
    return GatewayError(
        "La API de WhatsApp aceptó la solicitud pero no devolvió el identificador del "
        f"mensaje (HTTP {status_code}); se reintentará: {detail}",
        retryable=True,
        error_code="missing_message_id",
        outcome_unknown=True,
    )


def media_lookup_error(status_code: int, answer: object) -> GatewayError:
    """Meta refused to look a media id up: code 100 with subcode 33 is a customer's file
    Meta no longer keeps (7 days after the message), or an id that never was: final."""
    error = classify_graph_error(status_code, answer)
    if error.error_code == "100" and graph_error_subcode(answer) == OBJECT_MISSING_SUBCODE:
        return GatewayError(
            "WhatsApp ya no tiene este archivo: Meta guarda los archivos de los clientes "
            f"7 días después del mensaje (código 100, HTTP {status_code}).",
            retryable=False,
            error_code="100",
        )
    return error


def media_transfer_error(error: httpx.TransportError, during: str) -> GatewayError:
    """A request that got no answer. Unlike a send, nothing here can happen twice for
    the customer (a lookup or a download reads; a repeated upload only leaves an unused
    media id), so the outcome is never "unknown". No exception text: httpx's may carry
    the URL."""
    base = classify_transport_error(error)
    if isinstance(error, httpx.UnsupportedProtocol):
        message = f"La dirección usada para {during} no es válida."
        code = "invalid_media_url" if during == DOWNLOAD else base.error_code
    elif base.outcome_unknown:
        message = f"Se cortó la comunicación con WhatsApp durante {during}; se reintentará."
        code = base.error_code
    else:
        message = f"No se pudo conectar con WhatsApp para {during}; se reintentará."
        code = base.error_code
    return GatewayError(
        f"{message} ({type(error).__name__})", retryable=base.retryable, error_code=code
    )


def scrubbed(error: GatewayError, *secrets: str) -> GatewayError:
    """The same error with each secret (the access token, a download URL) cut out of its
    text, should Meta, a proxy or an exception message ever have echoed one."""
    text = str(error)
    hidden = text
    for secret in secrets:
        if secret:
            hidden = hidden.replace(secret, REDACTED)
    if hidden == text:
        return error
    return GatewayError(
        hidden,
        retryable=error.retryable,
        error_code=error.error_code,
        outcome_unknown=error.outcome_unknown,
    )


def graph_error_subcode(error_json: object) -> int | None:
    """The ``error_subcode`` of a Graph error answer, if it has one."""
    return _int_or_none(_error_object(error_json).get("error_subcode"))


def _error_object(error_json: object) -> Mapping[str, Any]:
    if isinstance(error_json, Mapping):
        inner = error_json.get("error")
        if isinstance(inner, Mapping):
            return inner
    return {}


def _detail(error: Mapping[str, Any], error_json: object) -> str:
    """Meta's own words: ``error_data.details`` (the precise one), else ``message``."""
    data = error.get("error_data")
    if isinstance(data, Mapping) and isinstance(data.get("details"), str):
        return _truncate(data["details"])
    if isinstance(error.get("message"), str):
        return _truncate(error["message"])
    if isinstance(error_json, str):
        return _truncate(error_json)
    return ""


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _truncate(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_DETAIL_LENGTH:
        return text
    return text[: MAX_DETAIL_LENGTH - 1] + "…"


def _exception_text(error: Exception) -> str:
    return _truncate(str(error)) or type(error).__name__
