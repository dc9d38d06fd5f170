"""docs/agents.md's minting functions (Python, Node.js, PHP) sign tokens the service accepts.

Each is the first fenced block after its heading under "Minting a token in your backend".
The test runs it as a file in its own interpreter (the virtualenv's Python, ``node``,
``php``) with a line that calls it with claims from the environment and prints the token,
then verifies the token with ``AgentTokens``. Without ``node`` or ``php`` the language's
cases skip locally and fail under ``CI=true`` (``.ci/run`` installs Debian's ``php-cli``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import jwt
import pytest

from crm_whatsapp.adapters.http.agent_tokens import AgentTokens
from crm_whatsapp.domain.access import Scope

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "agents.md"
SECRET = "secreto-de-prueba-para-los-ejemplos-0123456789"
SECTION = "## Minting a token in your backend"


@dataclass(frozen=True)
class Language:
    heading: str
    fence: str
    file_name: str
    call: str
    """Appended to the block: calls its function with the AGENT_* variables, prints."""


LANGUAGES = {
    "python": Language(
        "### Python",
        "python",
        "mint.py",
        "\nprint(agent_token(os.environ['AGENT_SUB'], os.environ['AGENT_NAME'],"
        " os.environ['AGENT_SCOPE'], os.environ.get('AGENT_CLIENT_ID'),"
        " float(os.environ['AGENT_HOURS'])))\n",
    ),
    "node": Language(
        "### Node.js",
        "js",
        "mint.mjs",
        "\nconst env = process.env;\nconsole.log(agentToken(env.AGENT_SUB, env.AGENT_NAME,"
        " { scope: env.AGENT_SCOPE, clientId: env.AGENT_CLIENT_ID,"
        " hours: Number(env.AGENT_HOURS) }));\n",
    ),
    "php": Language(
        "### PHP",
        "php",
        "mint.php",
        "\necho agent_token(getenv('AGENT_SUB'), getenv('AGENT_NAME'), getenv('AGENT_SCOPE'),"
        " getenv('AGENT_CLIENT_ID') ?: null, (float) getenv('AGENT_HOURS')), \"\\n\";\n",
    ),
}


@dataclass(frozen=True)
class Claims:
    sub: str
    name: str
    scope: str
    client_id: str | None
    hours: float


CLAIMS = [
    Claims("42", "Íñigo Núñez", "read reply", "1042", 1),
    Claims("agente-7", "Luis Pérez", "read reply manage", None, 8),
    Claims("9", 'Zoë "la jefa" O\'Brien', "read", None, 168),
]


def snippet(language: Language) -> str:
    """The first fenced block after the language's heading, within the minting section."""
    text = GUIDE.read_text(encoding="utf-8")
    assert SECTION in text, f"docs/agents.md has no {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    assert f"\n{language.heading}\n" in section, f"no {language.heading!r} in {SECTION!r}"
    after = section.split(f"\n{language.heading}\n", 1)[1]
    match = re.search(r"^```(\w*)\n(.*?)^```$", after, re.DOTALL | re.MULTILINE)
    assert match, f"no fenced block after {language.heading!r}"
    assert match.group(1) == language.fence, f"the block after {language.heading!r}"
    return match.group(2)


def interpreter(name: str) -> list[str]:
    if name == "python":
        return [sys.executable]
    found = shutil.which(name)
    if found is None:
        package = {"php": "php-cli", "node": "nodejs"}[name]
        message = f"no {name} for the {name} example of docs/agents.md (apt-get install {package})"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    return [found]


def run_snippet(
    name: str, claims: Claims, folder: Path, secret: str | None = SECRET
) -> subprocess.CompletedProcess[str]:
    language = LANGUAGES[name]
    command = interpreter(name)
    script = folder / language.file_name
    script.write_text(snippet(language) + language.call, encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    environment.update(
        AGENT_SUB=claims.sub,
        AGENT_NAME=claims.name,
        AGENT_SCOPE=claims.scope,
        AGENT_HOURS=str(claims.hours),
    )
    environment.pop("AGENT_CLIENT_ID", None)
    if claims.client_id is not None:
        environment["AGENT_CLIENT_ID"] = claims.client_id
    if secret is not None:
        environment["CRM_WHATSAPP_AGENT_TOKEN_SECRET"] = secret
    return subprocess.run(
        [*command, str(script)],
        cwd=folder,
        env=environment,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("claims", CLAIMS, ids=lambda c: c.sub)
@pytest.mark.parametrize("name", LANGUAGES)
def test_the_guide_s_snippet_mints_a_token_the_service_accepts(
    name: str, claims: Claims, tmp_path: Path
) -> None:
    done = run_snippet(name, claims, tmp_path)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout
    token = lines[0]
    access = AgentTokens(SECRET.encode(), leeway_seconds=0).verify(token)
    assert (access.actor.id, access.actor.name) == (claims.sub, claims.name)
    assert access.scopes == frozenset(Scope(s) for s in claims.scope.split())
    assert access.client_id == claims.client_id
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    payload = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert payload["exp"] - payload["iat"] == int(claims.hours * 3600)
    assert ("client_id" in payload) == (claims.client_id is not None)


@pytest.mark.parametrize("name", LANGUAGES)
def test_the_guide_s_snippet_refuses_to_sign_without_the_secret(name: str, tmp_path: Path) -> None:
    """An unset secret must be an error, never a token signed with an empty key."""
    done = run_snippet(name, CLAIMS[0], tmp_path, secret=None)

    assert done.returncode != 0
    assert "eyJ" not in done.stdout


def test_the_guide_names_every_scope_claim_and_setting_and_its_links_exist() -> None:
    text = GUIDE.read_text(encoding="utf-8")
    for scope in Scope:
        assert f"| `{scope.value}` |" in text, f"the scopes table lacks {scope.value}"
    for claim in ("sub", "name", "exp", "iat", "scope", "client_id"):
        assert f"| `{claim}` |" in text, f"the claims table lacks {claim}"
    for setting in ("AGENT_TOKEN_SECRET", "AGENT_TOKEN_LEEWAY_SECONDS", "API_TOKENS"):
        assert f"CRM_WHATSAPP_{setting}" in text
    for option in ("--sub", "--name", "--scope", "--client-id", "--hours"):
        assert option in text
    for target in re.findall(r"\]\((?!https?://|#)([^)#\s]+)", text):
        assert (GUIDE.parent / target).exists(), f"docs/agents.md links to missing {target}"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/agents.md)" in readme
    for setting in ("AGENT_TOKEN_SECRET", "AGENT_TOKEN_LEEWAY_SECONDS"):
        assert f"| `CRM_WHATSAPP_{setting}` |" in readme
