"""The GET that Meta sends when a webhook URL is subscribed: echo the challenge, or refuse.

Meta calls ``?hub.mode=subscribe&hub.verify_token=<ours>&hub.challenge=<random>`` and
expects the challenge back as the plain-text body of a 200. Anyone can call the URL, so the
token is compared in constant time and a refusal (``VerificationRefused``) is answered with
403 by the HTTP layer. The challenge is echoed only as ``text/plain``: it comes from the
caller, and served as HTML it would be a reflected script.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from crm_whatsapp.adapters.whatsapp.webhook.errors import VerificationRefused

MAX_CHALLENGE_LENGTH = 1024
"""Meta's challenges are short numbers; anything huge is not Meta."""


def answer_verification(params: Mapping[str, str], verify_token: str) -> str:
    """The ``hub.challenge`` to answer with, if the request is a genuine subscription."""
    if not verify_token:
        raise ValueError("the webhook verify token is empty; set it before serving webhooks")
    if params.get("hub.mode") != "subscribe":
        raise VerificationRefused("hub.mode is not 'subscribe'")
    given = params.get("hub.verify_token", "").encode("utf-8")
    if not hmac.compare_digest(given, verify_token.encode("utf-8")):
        raise VerificationRefused("hub.verify_token does not match")
    challenge = params.get("hub.challenge", "")
    if not challenge:
        raise VerificationRefused("hub.challenge is missing")
    if len(challenge) > MAX_CHALLENGE_LENGTH:
        raise VerificationRefused(f"hub.challenge is longer than {MAX_CHALLENGE_LENGTH}")
    return challenge
