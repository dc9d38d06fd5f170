"""What the operation wrapper costs a request, next to a bare Starlette endpoint, in one run.

Every CRM endpoint runs through ``adapters/http/endpoint.py``: the token check, the declared
parameters, the threadpool, the declared response model. This script calls, in process over
ASGI (no sockets, so the figures are the server's own CPU), on one SQLite file:

- ``GET /api/v1/conversaciones-whatsapp/{id}`` through the wrapper, and the same query and
  the same JSON from a bare endpoint mounted beside it (no token, no parameter checks);
- ``GET /api/v1/conversaciones-whatsapp?limit=20`` (a page: ten declared parameters);
- ``POST /webhook`` (signature, parsing, storing one message with its pending reply; the
  outbox is off, so sending is not measured).

``one conversation`` is also asked with an agent token (a JWT the host CRM signs), to show
what per-agent identities cost next to the static service token: with the same token each
time (verified once, then remembered until it expires) and with a new token each time
(verified in full by PyJWT: HMAC-SHA256 and the claims; the tokens are minted before the
clock starts).

The ``one conversation`` rows are interleaved in rounds so that none always runs first;
the script prints CPU milliseconds per request and the wrapper/bare ratio. The CPU
is the whole process's, the httpx client's share included: the same in both rows, so the
difference is the wrapper's own cost and the ratio understates it.

    python benchmarks/http_overhead.py [--quick] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from crm_whatsapp import Settings, create_app
from crm_whatsapp.adapters.http import API, ApiContext
from crm_whatsapp.adapters.http.agent_tokens import AgentTokens
from crm_whatsapp.adapters.http.schemas import conversation_out
from crm_whatsapp.adapters.whatsapp.webhook import SIGNATURE_HEADER, sign

APP_SECRET = "benchmark-app-secret"
TOKEN = "benchmark-api-token-0123456789"
AGENT_SECRET = "benchmark-agent-token-secret-0123456789abcdef"
NUMBER_ID = "106540352242922"
Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def webhook_body(index: int) -> bytes:
    wa_id = f"52155{index % 500:08d}"
    message = {
        "from": wa_id,
        "id": f"wamid.BENCH{index}",
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": "Hola, ¿cuánto cuesta el envío a Monterrey?"},
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": NUMBER_ID},
        "contacts": [{"profile": {"name": "Ana"}, "wa_id": wa_id}],
        "messages": [message],
    }
    change = {"field": "messages", "value": value}
    entry = {"id": "102290129340398", "changes": [change]}
    return json.dumps({"object": "whatsapp_business_account", "entry": [entry]}).encode()


def bare_one(context: ApiContext) -> Callable[[Request], Awaitable[Response]]:
    async def one(request: Request) -> Response:
        conversation = await run_in_threadpool(
            context.queries.conversation, request.path_params["conversation_id"]
        )
        out = conversation_out(conversation, context.deps.clock.now())
        return JSONResponse(out.model_dump(mode="json"))

    return one


async def cpu_per_request(client: httpx.AsyncClient, call: Call, count: int) -> float:
    start = time.process_time()
    for _ in range(count):
        answer = await call(client)
        assert answer.status_code < 300, answer.text
    return 1000 * (time.process_time() - start) / count


async def measure(requests: int, folder: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite:///{folder / 'overhead.db'}",
        app_secret=APP_SECRET,
        verify_token="benchmark-verify-token",
        access_token="benchmark-access-token",
        api_tokens=TOKEN,
        agent_token_secret=AGENT_SECRET,
        outbox_in_process=False,
    )
    service = create_app(settings)
    context: ApiContext = service.state.context
    both = Starlette(
        routes=[
            Route("/bare/{conversation_id}", bare_one(context)),
            Mount("/", app=service),
        ]
    )
    auth = {"Authorization": f"Bearer {TOKEN}"}
    minting = AgentTokens(AGENT_SECRET.encode())
    agent_auth = {"Authorization": f"Bearer {minting.mint('laura', 'Laura Gómez')}"}
    fresh = iter(
        {"Authorization": f"Bearer {minting.mint(f'agent-{n}', 'Agente')}"}
        for n in range(requests + 100)
    )
    bodies = iter(webhook_body(i) for i in range(10**9))

    async def post_webhook(client: httpx.AsyncClient) -> httpx.Response:
        body = next(bodies)
        headers = {SIGNATURE_HEADER: sign(body, APP_SECRET), "Content-Type": "application/json"}
        return await client.post("/webhook", content=body, headers=headers)

    async with service.router.lifespan_context(service):
        transport = httpx.ASGITransport(app=both)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for _ in range(600):  # 500 conversations, some with two messages
                await post_webhook(client)
            one_id = (await client.get(API, headers=auth)).json()["items"][0]["id"]

            async def wrapped(c: httpx.AsyncClient) -> httpx.Response:
                return await c.get(f"{API}/{one_id}", headers=auth)

            async def as_agent(c: httpx.AsyncClient) -> httpx.Response:
                return await c.get(f"{API}/{one_id}", headers=agent_auth)

            async def new_agent(c: httpx.AsyncClient) -> httpx.Response:
                return await c.get(f"{API}/{one_id}", headers=next(fresh))

            async def bare(c: httpx.AsyncClient) -> httpx.Response:
                return await c.get(f"/bare/{one_id}")

            async def page(c: httpx.AsyncClient) -> httpx.Response:
                return await c.get(API, params={"limit": 20}, headers=auth)

            for call in (wrapped, as_agent, new_agent, bare, page, post_webhook):  # warm-up
                await cpu_per_request(client, call, 50)
            rounds = 4
            calls = {"wrapped": wrapped, "agent": as_agent, "new": new_agent, "bare": bare}
            totals = dict.fromkeys(calls, 0.0)
            for index in range(rounds):
                names = list(calls)
                order = names[index % 4 :] + names[: index % 4]  # each leads in turn
                for name in order:
                    totals[name] += await cpu_per_request(client, calls[name], requests // rounds)
            one_wrapped, one_bare = totals["wrapped"] / rounds, totals["bare"] / rounds
            one_agent, one_new = totals["agent"] / rounds, totals["new"] / rounds
            page_cost = await cpu_per_request(client, page, requests // 2)
            webhook_cost = await cpu_per_request(client, post_webhook, requests // 2)
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{requests} requests per row (in process, over ASGI)\n"
    )
    print("| request | CPU ms/request |")
    print("|---|---|")
    print(f"| one conversation, through the operation wrapper | {one_wrapped:.3f} |")
    print(f"| one conversation, with an agent token (verified, remembered) | {one_agent:.3f} |")
    print(f"| one conversation, a new agent token each time (verified in full) | {one_new:.3f} |")
    print(f"| one conversation, bare Starlette endpoint | {one_bare:.3f} |")
    print(f"| a page of 20 conversations (10 declared parameters) | {page_cost:.3f} |")
    print(f"| POST /webhook, one text message stored with its reply | {webhook_cost:.3f} |")
    print(
        f"\nratio wrapper/bare: {one_wrapped / one_bare:.2f} "
        f"(the wrapper adds {one_wrapped - one_bare:.3f} ms to a request)"
    )
    print(
        f"ratio agent token/service token: {one_agent / one_wrapped:.2f} remembered, "
        f"{one_new / one_wrapped:.2f} verified in full "
        f"(a full verification adds {one_new - one_wrapped:.3f} ms to a request)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 requests per row")
    parser.add_argument("--requests", type=int, default=None, help="per row (default 2000)")
    options = parser.parse_args()
    requests = options.requests or (200 if options.quick else 2000)
    with tempfile.TemporaryDirectory() as folder:
        asyncio.run(measure(requests, Path(folder)))


if __name__ == "__main__":
    main()
