"""The README's screenshots, taken from ``crm-whatsapp demo`` in headless Chromium.

    python scripts/screenshots.py [--out docs] [--chromium /usr/bin/chromium]

Starts the demo on a free port (history only, no simulated stream, so two runs show the
same data), signs in, and saves ``inbox.png`` (the list with a chat open), ``chat.png``
(phone width) and ``dashboard.png``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

TOKEN = "screenshots-token-2f9c6e1ab7d4"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def start_demo() -> tuple[subprocess.Popen[str], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_WHATSAPP_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "crm_whatsapp.app.cli", "demo", "--port", "0",
         "--token", TOKEN, "--no-stream"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    banner = ""
    for line in process.stdout:
        banner += line
        if line.startswith("Ctrl+C"):
            break
    found = re.search(r"Bandeja:\s+(http://[\d.:]+)/inbox/", banner)
    if found is None:
        process.kill()
        raise SystemExit(f"the demo did not start:\n{banner}")
    return process, found.group(1)


def open_busiest_chat(page: Page) -> str:
    """A conversation with several messages and a picture or a voice note shows the most of
    the chat view (else the first with several messages); its id."""
    rows = page.locator("[data-conversation-id]")
    rows.first.wait_for()
    fallback = None
    for index in range(min(rows.count(), 30)):
        rows.nth(index).click()
        page.locator("[data-message-id]").first.wait_for()
        page.wait_for_timeout(150)
        if page.locator("[data-message-id]").count() < 6:
            continue
        fallback = index if fallback is None else fallback
        if page.locator(".messages .media-image, .messages .media-audio").count():
            break
    else:
        index = fallback or 0
        rows.nth(index).click()
    return str(rows.nth(index).get_attribute("data-conversation-id"))


def signed_in_page(browser: Browser, width: int, height: int) -> Page:
    """A page of a fresh context, signed in, in Mexico City (the demo's timezone)."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        locale="es-MX",
        timezone_id="America/Mexico_City",
        device_scale_factor=1,
    )
    context.add_init_script(f"sessionStorage.setItem('crm_whatsapp.token', '{TOKEN}')")
    return context.new_page()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parents[1] / "docs")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    options = parser.parse_args()
    process, base = start_demo()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=options.chromium, args=ARGS)
            page = signed_in_page(browser, 1280, 760)
            page.goto(f"{base}/inbox/")
            chosen = open_busiest_chat(page)
            page.wait_for_timeout(500)
            page.screenshot(path=options.out / "inbox.png")
            page.goto(f"{base}/inbox/dashboard.html?range=all")
            page.locator("[data-stat='inbound_messages']").wait_for()
            page.wait_for_timeout(500)
            page.screenshot(path=options.out / "dashboard.png", full_page=True)
            page = signed_in_page(browser, 390, 780)
            page.goto(f"{base}/inbox/")
            page.locator(f"[data-conversation-id='{chosen}']").click()
            page.locator("[data-message-id]").first.wait_for()
            page.wait_for_timeout(500)
            page.screenshot(path=options.out / "chat.png")
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
    print(f"screenshots in {options.out}: inbox.png, chat.png, dashboard.png")


if __name__ == "__main__":
    main()
