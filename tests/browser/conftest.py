"""Real Chromium (Debian's, driven by Playwright) against the real demo service.

Fixtures:
- ``demo``: one ``crm-whatsapp demo`` process for the whole session (history, CRM clients,
  fake Graph API posting status webhooks), token ``browser_kit.API_TOKEN``. Tests add
  their own customers with ``demo.customer_writes(new_wa_id(), ...)`` so they never
  depend on each other.
- ``browser``: Chromium for the test module; ``context``/``page``: a fresh one per test, at
  desktop size, with ``page.problems`` collecting uncaught errors, console errors and CSP
  violations (checked after every test: a page that throws is a failing test).
- ``signed_in_page``: the same, with the token already in sessionStorage.

Without Chromium or the ``playwright`` package the tests skip locally, and fail under
``CI=true``: a green CI means the browser tests ran.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_kit import API_TOKEN, CHROMIUM, CHROMIUM_ARGS, DemoService, start_demo


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Any]:
    """Per module, not per session: Playwright's sync API keeps an event loop running in
    the main thread while it is started, and the suites collected after this directory
    call ``asyncio.run`` there."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="module")
def browser(playwright_instance: Any) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoService]:
    service = start_demo(tmp_path_factory.mktemp("demo"), "--no-stream")
    yield service
    service.stop()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-MX")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context: Any) -> Iterator[Any]:
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console.{message.type}: {message.text}")
            if message.type == "error" and not _expected_console_error(message.text)
            else None
        ),
    )
    page.problems = problems
    yield page
    assert not problems, "the page reported errors:\n" + "\n".join(problems)


def _expected_console_error(text: str) -> bool:
    """Chromium logs every non-2xx fetch as an error; the pages handle those (a 401 sends
    the user to sign in, a 409 is explained), so they are not problems of the page."""
    return "the server responded with a status of" in text


@pytest.fixture
def signed_in_page(context: Any, page: Any) -> Any:
    context.add_init_script(
        f"window.sessionStorage.setItem('crm_whatsapp.token', {json.dumps(API_TOKEN)})"
    )
    return page
