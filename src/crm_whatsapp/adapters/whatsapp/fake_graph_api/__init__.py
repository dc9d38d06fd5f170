"""A fake of Meta's Graph API messages endpoint, for tests and for trying the service
without a Meta account: it accepts what Meta accepts, answers like Meta (successes,
Graph errors, throttles, slow answers), records every request and posts signed status
webhooks (sent, delivered, read) for the messages it accepted.

In a test::

    with running_fake_graph_api(fail_rate=0.3, seed=1) as fake:
        ...  # point GraphApiSettings(base_url=fake.base_url) at it
        fake.state.requests()

At Meta's pace (a quarter of a second per answer, 80 sends a second per number)::

    with running_fake_graph_api(latency_seconds=0.25, send_rate=80) as fake:
        ...
        fake.state.stats()  # accepted, throttled (130429), sends in flight at most

From a shell: ``crm-whatsapp fake-graph-api --port 8089 [--latency-ms 250 --rate 80]``.
"""

from crm_whatsapp.adapters.whatsapp.fake_graph_api.app import create_fake_graph_api
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (
    GRAPH_ERROR_SAMPLES,
    status_webhook_body,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.pace import PaceStats
from crm_whatsapp.adapters.whatsapp.fake_graph_api.runner import (
    RunningFakeGraphApi,
    running_asgi_app,
    running_fake_graph_api,
    serve_fake_graph_api,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.state import (
    AcceptedMessage,
    Failure,
    FakeGraphApiOptions,
    FakeGraphApiState,
    WebhookDelivery,
)

__all__ = [
    "GRAPH_ERROR_SAMPLES",
    "AcceptedMessage",
    "Failure",
    "FakeGraphApiOptions",
    "FakeGraphApiState",
    "PaceStats",
    "RunningFakeGraphApi",
    "WebhookDelivery",
    "create_fake_graph_api",
    "running_asgi_app",
    "running_fake_graph_api",
    "serve_fake_graph_api",
    "status_webhook_body",
]
