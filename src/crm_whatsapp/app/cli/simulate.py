"""``crm-whatsapp simulate``: post a signed customer message to a running server, as Meta would.

Try the whole loop (webhook → bot → Graph API) without a Meta account: point the service's
``GRAPH_API_URL`` at ``crm-whatsapp fake-graph-api`` and simulate customers writing.

``--attach photo|voice|pdf`` sends one of the demo's files instead of a text. The file must
be where the server fetches it, so it goes to the fake Graph API named by
``--fake-graph-api`` first; against a real deployment (Meta holds its customers' files, and
nobody else can add one) there is no such option, and only texts are sent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import httpx

from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (
    JsonObject,
    customer_message_webhook_body,
    new_wamid,
)
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign
from crm_whatsapp.app.cli.options import refuse_secret_option, settings_with
from crm_whatsapp.app.demo_files import PHOTO, QUOTE, VOICE_NOTE, held_by_fake_at
from crm_whatsapp.domain.errors import InvalidPhoneNumber
from crm_whatsapp.domain.phone import PhoneNumber

DEFAULT_PHONE_NUMBER_ID = "106540352242922"
ATTACHMENTS = {"photo": PHOTO, "voice": VOICE_NOTE, "pdf": QUOTE}


def add_simulate_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulate = commands.add_parser(
        "simulate",
        help="envía a un servidor un mensaje de cliente firmado, como lo haría Meta",
        description=(
            "Construye el webhook que Meta enviaría cuando un cliente escribe TEXTO desde "
            "NUMERO, lo firma con el secreto de la app (la variable CRM_WHATSAPP_APP_SECRET, "
            "del entorno o de .env; nunca en la línea de comandos, que cualquier usuario ve "
            "con ps) y lo envía a la URL del webhook."
        ),
    )
    simulate.add_argument(
        "--to",
        required=True,
        metavar="URL",
        help="URL del webhook, p. ej. http://127.0.0.1:8000/webhook",
    )
    simulate.add_argument(
        "--from",
        dest="sender",
        required=True,
        metavar="NUMERO",
        help="número del cliente en cualquier formato con código de país (+52 55 1234 5678)",
    )
    simulate.add_argument(
        "text",
        metavar="TEXTO",
        nargs="?",
        default=None,
        help="lo que escribe el cliente (con --attach, el pie de la foto o del PDF)",
    )
    simulate.add_argument(
        "--attach",
        choices=sorted(ATTACHMENTS),
        default=None,
        help="envía una foto, una nota de voz o un PDF de la demo en vez de un texto "
        "(solo con --fake-graph-api)",
    )
    simulate.add_argument(
        "--fake-graph-api",
        metavar="URL",
        default=None,
        help="la API Graph falsa de la que el servidor descarga los archivos "
        "(crm-whatsapp fake-graph-api; su CRM_WHATSAPP_GRAPH_API_URL): guarda el de --attach",
    )
    simulate.add_argument("--name", default=None, help="nombre de perfil de WhatsApp")
    simulate.add_argument(
        "--phone-number-id",
        default=None,
        help="id del número del negocio (o CRM_WHATSAPP_PHONE_NUMBER_ID)",
    )
    refuse_secret_option(simulate, "--app-secret", "app_secret")
    simulate.set_defaults(run=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    settings = settings_with(phone_number_id=args.phone_number_id)
    secret = settings.secret("app_secret")
    if not secret:
        print(
            "crm-whatsapp simulate: set CRM_WHATSAPP_APP_SECRET (in the environment or .env) "
            "to the server's app secret",
            file=sys.stderr,
        )
        return 2
    try:
        wa_id = PhoneNumber.parse(args.sender).digits
    except InvalidPhoneNumber as exc:
        print(f"crm-whatsapp simulate: --from: {exc}", file=sys.stderr)
        return 2
    part = _message_part(args)
    if part is None:
        return 2
    phone_number_id = settings.phone_number_id or DEFAULT_PHONE_NUMBER_ID
    wamid = new_wamid(wa_id)
    body = json.dumps(
        customer_message_webhook_body(
            wa_id=wa_id,
            part=part,
            wamid=wamid,
            timestamp=int(time.time()),
            phone_number_id=phone_number_id,
            profile_name=args.name,
        ),
        ensure_ascii=False,
    ).encode()
    try:
        response = httpx.post(
            args.to,
            content=body,
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, secret)},
            timeout=30,
        )
    except httpx.HTTPError as exc:
        print(f"crm-whatsapp simulate: cannot reach {args.to}: {exc}", file=sys.stderr)
        return 1
    print(f"{response.status_code} {response.text.strip()}")
    print(f"wamid: {wamid}")
    return 0 if response.is_success else 1


def _message_part(args: argparse.Namespace) -> JsonObject | None:
    """The text, or the attached file once the fake Graph API holds it; None after saying
    on stderr why neither can be sent."""
    if args.attach is None:
        if args.text is None:
            print("crm-whatsapp simulate: say what the customer writes (TEXT)", file=sys.stderr)
            return None
        return {"type": "text", "text": {"body": args.text}}
    if args.fake_graph_api is None:
        print(
            "crm-whatsapp simulate: --attach needs --fake-graph-api URL, the fake Graph API "
            "the server downloads files from (a real deployment gets files only from Meta)",
            file=sys.stderr,
        )
        return None
    file = ATTACHMENTS[args.attach]
    try:
        return held_by_fake_at(args.fake_graph_api)(
            file, caption=args.text, filename=file.name if file.kind == "document" else None
        )
    except httpx.HTTPError as exc:
        print(
            f"crm-whatsapp simulate: the fake Graph API at {args.fake_graph_api} did not "
            f"take the file: {exc}",
            file=sys.stderr,
        )
        return None
