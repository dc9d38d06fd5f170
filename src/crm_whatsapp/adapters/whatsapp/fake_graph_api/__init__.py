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

Files, as Meta holds them (lookup, short-lived download URL, upload checks, media ids
that expire)::

    part = customer_media_message(fake.state, jpeg, "image/jpeg")  # a customer's photo
    fake.state.expire_media(part["image"]["id"])                    # 7 days later

Templates, as Meta keeps them (a Spanish demo catalogue per WABA, listed page by page,
sends checked against it, template webhooks on demand)::

    fake.state.templates.templates()                # DEFAULT_WABA_ID's, Meta's JSON shape
    POST /__templates/oferta_verano/es/status {"status": "PAUSED"}   # signed webhook

From a shell: ``crm-whatsapp fake-graph-api --port 8089 [--latency-ms 250 --rate 80]``.
"""

from crm_whatsapp.adapters.whatsapp.fake_graph_api.app import create_fake_graph_api
from crm_whatsapp.adapters.whatsapp.fake_graph_api.customer_media import (
    customer_media_message,
    customer_media_message_over_http,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.media import (
    MEDIA_RULES,
    FakeMedia,
    MediaRule,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.meta import (
    GRAPH_ERROR_SAMPLES,
    customer_message_webhook_body,
    status_webhook_body,
)
from crm_whatsapp.adapters.whatsapp.fake_graph_api.options import DEFAULT_WABA_ID
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
from crm_whatsapp.adapters.whatsapp.fake_graph_api.template_catalogue import DEMO_TEMPLATES
from crm_whatsapp.adapters.whatsapp.fake_graph_api.templates import (
    TemplateCatalogue,
    TemplateWebhookDelivery,
)

__all__ = [
    "DEFAULT_WABA_ID",
    "DEMO_TEMPLATES",
    "GRAPH_ERROR_SAMPLES",
    "MEDIA_RULES",
    "AcceptedMessage",
    "Failure",
    "FakeGraphApiOptions",
    "FakeGraphApiState",
    "FakeMedia",
    "MediaRule",
    "PaceStats",
    "RunningFakeGraphApi",
    "TemplateCatalogue",
    "TemplateWebhookDelivery",
    "WebhookDelivery",
    "create_fake_graph_api",
    "customer_media_message",
    "customer_media_message_over_http",
    "customer_message_webhook_body",
    "running_asgi_app",
    "running_fake_graph_api",
    "serve_fake_graph_api",
    "status_webhook_body",
]
