"""``crm-whatsapp agents token``: an agent token signed from a shell, as the host CRM's
backend signs one (docs/agents.md), for a standalone deployment, the demo or a quick test.

The secret is ``CRM_WHATSAPP_AGENT_TOKEN_SECRET``, read through the settings (environment
or ``.env``) like every other command's; never from an option, so it stays out of the
shell's history and the process list. The token is the only line on stdout, so
``TOKEN=$(crm-whatsapp agents token --sub 42 --name "Ana López")`` works; what it grants
and until when go to stderr.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import UTC, datetime, timedelta

from crm_whatsapp.app.cli.options import settings_with
from crm_whatsapp.app.settings import ENV_PREFIX, MIN_AGENT_SECRET_BYTES

SECRET_ENV = ENV_PREFIX + "AGENT_TOKEN_SECRET"
MAX_HOURS = 168
"""Seven days, the longest an agent token may live (``agent_tokens.MAX_LIFETIME``)."""
MAX_CLAIM_LENGTH = 200
DEFAULT_SCOPE = "read reply"
MAKE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"


class AgentTokenOptionError(ValueError):
    """An option the token cannot be signed with; the message names the option."""


def add_agents_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    agents = commands.add_parser(
        "agents", help=f"tokens de agente (JWT firmados con ${SECRET_ENV})"
    )
    actions = agents.add_subparsers(dest="agents_command", metavar="ACTION", required=True)
    token = actions.add_parser(
        "token",
        help="firma un token para un agente y lo imprime (solo el token, en stdout)",
        description=(
            f"Firma un token de agente con ${SECRET_ENV} (del entorno o de .env; nunca "
            "como opción) y lo imprime solo, en una línea de stdout. Véase docs/agents.md."
        ),
    )
    token.add_argument("--sub", required=True, help="el id del agente en tu CRM (claim sub)")
    token.add_argument("--name", required=True, help="su nombre, como lo verá el equipo")
    token.add_argument(
        "--scope",
        default=DEFAULT_SCOPE,
        help=f'permisos separados por espacios: read, reply, manage ("{DEFAULT_SCOPE}")',
    )
    token.add_argument(
        "--client-id",
        default=None,
        help="solo las conversaciones de este cliente del CRM (el token de una ficha de cliente)",
    )
    token.add_argument(
        "--hours",
        type=float,
        default=8.0,
        help=f"vigencia en horas: más de 0 y hasta {MAX_HOURS} (7 días); por omisión 8",
    )
    agents.set_defaults(run=run_agents)


def run_agents(args: argparse.Namespace) -> int:
    from crm_whatsapp.adapters.http.agent_tokens import AgentTokens  # noqa: PLC0415
    from crm_whatsapp.domain.access import parse_scopes  # noqa: PLC0415
    from crm_whatsapp.domain.errors import InvalidActor  # noqa: PLC0415

    sub = _claim("--sub", args.sub)
    name = _claim("--name", args.name)
    client_id = None if args.client_id is None else _claim("--client-id", args.client_id)
    lifetime = _lifetime(args.hours)
    try:
        scopes = parse_scopes(args.scope)
    except InvalidActor as exc:
        raise AgentTokenOptionError(f"--scope: {exc.problem}") from None
    settings = settings_with()
    if settings.agent_token_secret is None:
        raise AgentTokenOptionError(
            f"{SECRET_ENV} is not set (in the environment or .env): it signs the tokens, "
            f"at least {MIN_AGENT_SECRET_BYTES} bytes; make one with: {MAKE_SECRET}"
        )
    secret = settings.secret("agent_token_secret").encode()
    issued = datetime.now(UTC)
    tokens = AgentTokens(secret, settings.agent_token_leeway_seconds)
    token = tokens.mint(
        sub, name, scopes=scopes, client_id=client_id, lifetime=lifetime, now=issued
    )
    print(token)
    granted = " ".join(sorted(s.value for s in scopes))
    only = f", client {client_id} only" if client_id is not None else ""
    expires = datetime.fromtimestamp(int((issued + lifetime).timestamp()), UTC)
    print(
        f"crm-whatsapp agents token: {name} (sub {sub}), scope {granted!r}{only}, "
        f"expires {expires:%Y-%m-%d %H:%M:%S} UTC",
        file=sys.stderr,
    )
    return 0


def _claim(option: str, value: str) -> str:
    """As the service will read it: text of 1 to 200 characters, without edge spaces."""
    text = value.strip()
    if not text or len(text) > MAX_CLAIM_LENGTH:
        raise AgentTokenOptionError(f"{option}: must be text of 1 to {MAX_CLAIM_LENGTH} characters")
    return text


def _lifetime(hours: float) -> timedelta:
    if not (math.isfinite(hours) and 0 < hours <= MAX_HOURS):
        raise AgentTokenOptionError(
            f"--hours: must be more than 0 and at most {MAX_HOURS} (7 days), not {hours:g}"
        )
    lifetime = timedelta(hours=hours)
    if lifetime < timedelta(seconds=1):
        raise AgentTokenOptionError("--hours: the token would expire within a second")
    return lifetime
