"""Playwright driving Debian's chromium against pytest-django's live server."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(request, browser, live_server, settings):
    """A phone-sized page. A test (or its parameters) may name the browser's language with ``locale``, which
    chromium sends as Accept-Language; without it the browser is English."""
    settings.BASE_URL = live_server.url
    params = request.node.callspec.params if hasattr(request.node, "callspec") else {}
    language = {"locale": params["locale"]} if "locale" in params else {}
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, **language
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", lambda message: _note_csp_violation(page, message))
    yield page
    context.close()
    # Every page that any browser test visits must work under the Content-Security-Policy (ADR 0051): a refused
    # inline script or style, eval, or a resource from elsewhere fails the test that met it.
    assert not csp_violations(page), "\n".join(csp_violations(page))


def _note_csp_violation(page, message) -> None:
    if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
        csp_violations(page).append(f"{page.url}: {message.text}")


def csp_violations(page) -> list[str]:
    """The Content-Security-Policy violations chromium reported on this page's console so far."""
    if not hasattr(page, "_mccs_csp_violations"):
        page._mccs_csp_violations = []
    return page._mccs_csp_violations
