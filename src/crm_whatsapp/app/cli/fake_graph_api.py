"""``crm-whatsapp fake-graph-api``: Meta's Graph API imitated, for trying the service out."""

from __future__ import annotations

import argparse
import functools
import json
import sys
from typing import Any

from crm_whatsapp.app.cli.options import refuse_secret_option, settings_with
from crm_whatsapp.app.settings import ENV_PREFIX

APP_SECRET_ENV = ENV_PREFIX + "APP_SECRET"


def add_fake_graph_api_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    fake = commands.add_parser(
        "fake-graph-api",
        help="una API Graph de Meta falsa para pruebas (acepta mensajes, falla a propósito)",
        description=(
            "Sirve una imitación del endpoint de mensajes de la API Graph de Meta: registra "
            "cada solicitud (GET /__requests), falla una fracción de ellas a propósito y, "
            "con --status-webhook, envía webhooks de estado firmados (sent, delivered, read). "
            "Con --latency-ms y --rate contesta al ritmo de Meta (unos 250 ms por envío, 80 "
            "envíos por segundo por número); GET /__stats cuenta los aceptados, los frenados "
            "(130429) y los envíos en curso a la vez. También guarda archivos como Meta: "
            "consulta del identificador, enlace de descarga que vence (--media-url-ttl), "
            "subidas con los tipos y tamaños de WhatsApp e identificadores que vencen "
            "(--media-id-ttl); POST /__media agrega el archivo de un cliente. Conoce las "
            "plantillas de la cuenta de WhatsApp Business (--waba-id) como Meta: las lista "
            "por páginas (GET /{versión}/{waba}/message_templates), revisa cada envío contra "
            "ellas (132000, 132001, 132012, 132015) y, con POST /__templates/{nombre}/{idioma}"
            "/status, cambia una y envía el webhook firmado de Meta."
        ),
    )
    fake.add_argument("--port", type=int, required=True, help="puerto (0: uno libre)")
    fake.add_argument("--host", default="127.0.0.1", help="dirección (por omisión 127.0.0.1)")
    fake.add_argument(
        "--fail-rate", type=_fraction, default=0.0, help="fracción de solicitudes que fallan"
    )
    fake.add_argument(
        "--seed", type=int, default=None, help="semilla para repetir los fallos y las demoras"
    )
    fake.add_argument(
        "--slow-seconds",
        type=_non_negative,
        default=30.0,
        help="demora de las respuestas lentas (más que el timeout del cliente)",
    )
    fake.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0.0,
        help="milisegundos que tarda cada respuesta, sin frenar a las demás (Meta: unos 250)",
    )
    fake.add_argument(
        "--jitter-ms",
        type=_non_negative,
        default=0.0,
        help="variación al azar de esa demora, ± milisegundos (repetible con --seed)",
    )
    fake.add_argument(
        "--rate",
        type=_positive,
        default=None,
        help=(
            "envíos por segundo por número de WhatsApp Business; pasado ese ritmo responde "
            "como Meta, con el error 130429 (por omisión, sin límite)"
        ),
    )
    fake.add_argument(
        "--media-url-ttl",
        type=_positive,
        default=300.0,
        metavar="SECONDS",
        help="segundos que vale un enlace de descarga de un archivo (Meta: unos 300)",
    )
    fake.add_argument(
        "--media-id-ttl",
        type=_positive,
        default=7 * 24 * 3600.0,
        metavar="SECONDS",
        help=(
            "segundos que vale el identificador de un archivo desde que la API falsa lo "
            "recibió (Meta: 7 días para los de los clientes); después responde el error 100"
        ),
    )
    fake.add_argument(
        "--waba-id",
        default=None,
        help="la cuenta de WhatsApp Business de todos los números (por omisión 102290129340398)",
    )
    fake.add_argument(
        "--templates",
        metavar="FILE",
        type=_templates_file,
        default=None,
        help=(
            "archivo JSON con una lista de plantillas en la forma de Meta, en lugar del "
            "catálogo de demostración en español"
        ),
    )
    fake.add_argument(
        "--status-webhook",
        metavar="URL",
        help=(
            "a dónde enviar los webhooks, firmados con el secreto de la app de la variable "
            f"{APP_SECRET_ENV} (del entorno o de .env)"
        ),
    )
    refuse_secret_option(fake, "--app-secret", "app_secret")
    fake.add_argument(
        "--status-delay",
        type=_non_negative,
        default=0.5,
        help="segundos entre un estado y el siguiente (sent, delivered, read)",
    )
    fake.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="detalle del registro del servidor",
    )

    fake.set_defaults(run=functools.partial(run_fake_graph_api, fake))


def run_fake_graph_api(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from crm_whatsapp.adapters.whatsapp.fake_graph_api import (  # noqa: PLC0415 - heavy
        FakeGraphApiOptions,
        TemplateCatalogue,
        serve_fake_graph_api,
    )

    if args.jitter_ms > args.latency_ms:
        parser.error("--jitter-ms must not exceed --latency-ms")
    secret = None
    if args.status_webhook:
        secret = settings_with().secret("app_secret") or None
        if not secret:
            parser.error(f"--status-webhook needs the {APP_SECRET_ENV} variable (the app secret)")
    options = FakeGraphApiOptions(
        fail_rate=args.fail_rate,
        seed=args.seed,
        slow_seconds=args.slow_seconds,
        status_webhook_url=args.status_webhook,
        app_secret=secret,
        status_delays=(args.status_delay,) * 3,
        latency_seconds=args.latency_ms / 1000,
        jitter_seconds=args.jitter_ms / 1000,
        send_rate=args.rate,
        media_url_lifetime_seconds=args.media_url_ttl,
        media_id_lifetime_seconds=args.media_id_ttl,
        templates=args.templates,
        **({"waba_id": args.waba_id} if args.waba_id else {}),
    )
    if args.templates is not None:
        try:
            TemplateCatalogue(options.waba_id, args.templates)
        except ValueError as exc:
            parser.error(f"--templates: {exc}")

    def announce(base_url: str) -> None:
        webhooks = f", status webhooks to {args.status_webhook}" if args.status_webhook else ""
        latency = f"latency {args.latency_ms:g}" + (
            f" ± {args.jitter_ms:g}" if args.jitter_ms else ""
        )
        rate = f"{args.rate:g} sends/s per number" if args.rate else "no send rate limit"
        print(
            f"Fake Graph API listening on {base_url} (fail rate {args.fail_rate}, "
            f"{latency} ms, {rate}, templates of WABA {options.waba_id}{webhooks})",
            flush=True,
        )

    try:
        serve_fake_graph_api(
            options, host=args.host, port=args.port, log_level=args.log_level, announce=announce
        )
    except OSError as exc:
        print(f"crm-whatsapp fake-graph-api: cannot listen: {exc}", file=sys.stderr)
        return 1
    return 0


def _templates_file(path: str) -> tuple[dict[str, Any], ...]:
    try:
        with open(path, encoding="utf-8") as file:
            templates = json.load(file)
    except (OSError, ValueError) as exc:
        raise argparse.ArgumentTypeError(f"cannot read {path}: {exc}") from exc
    if not isinstance(templates, list) or not all(isinstance(t, dict) for t in templates):
        raise argparse.ArgumentTypeError(f"{path} must hold a JSON array of templates")
    return tuple(templates)


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _positive(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number")
    return value
