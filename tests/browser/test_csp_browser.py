"""The Content-Security-Policy (ADR 0051) in a real browser: chromium enforces it, and the pages that lean on
scripts — htmx panels and actions, the API docs' Swagger UI, the Django admin — still work under it. (Every other
page is covered by the whole-site check and by the ``page`` fixture, which fails any browser test that meets a
violation.)"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mccs.directory.models import EntityStatus
from mccs.users.services import admin_create_or_reset
from tests.browser.conftest import csp_violations
from tests.browser.test_ledger_browser import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_chromium_enforces_the_policy(page):
    """The canary: an inline script and an inline style added to a page are refused and reported — so the
    absence of reports elsewhere means something."""
    page.goto("/login")
    ran = page.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.inlineRan = true';
          document.head.appendChild(script);
          const style = document.createElement('style');
          style.textContent = 'body { display: none }';
          document.head.appendChild(style);
          return window.inlineRan === true;
        }"""
    )
    assert ran is False
    expect(page.locator("body")).to_be_visible()
    page.wait_for_timeout(200)
    seen = list(csp_violations(page))
    assert any("inline script" in v for v in seen) and any("inline style" in v for v in seen), seen
    csp_violations(page).clear()  # provoked on purpose


def test_htmx_panels_and_actions_work_without_inline_styles(page, make_member):
    ann = make_member(
        "ann@example.org",
        name="Ann's Apples",
        status=EntityStatus.TRADING_ACCEPTED,
        offers=["apples"],
        wants=["bread"],
    )
    ben = make_member(
        "ben@example.org",
        name="Ben's Bakery",
        status=EntityStatus.TRADING_ACCEPTED,
        offers=["bread"],
        wants=["apples"],
    )
    sign_in(page, ann.email)
    # The matches panel is loaded by htmx after the page (hx-trigger="load").
    expect(page.get_by_text("Ben's Bakery").first).to_be_visible()
    # htmx was told (meta htmx-config) not to add its indicator <style>; mccs.css has those rules.
    assert page.evaluate("document.querySelectorAll('style').length") == 0
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False
    page.goto(f"/directory/entities/{ben.entity.pk}")
    page.get_by_role("button", name="Add to favourites").click()
    expect(page.get_by_role("button", name="Favourite — remove")).to_be_visible()
    assert not csp_violations(page), csp_violations(page)


def test_the_api_docs_work_under_the_policy(page, db):
    page.goto("/api/v1/docs")
    operation = page.locator(".swagger-ui .opblock").first
    # Swagger UI fetches and renders the whole OpenAPI document first: on a busy machine that takes more than
    # expect's 5 s. Under a policy it violated, it would never render at all.
    expect(operation).to_be_visible(timeout=30_000)
    operation.locator(".opblock-summary").click()
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    assert not csp_violations(page), csp_violations(page)


def test_the_django_admin_works_under_the_policy(page):
    admin_create_or_reset(email="admin@example.org", password=PASSWORD)
    page.goto("/django-admin/login/")
    page.locator("#id_username").fill("admin@example.org")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("input[type=submit]").click()
    page.goto("/django-admin/users/user/")
    expect(page.locator("#result_list")).to_be_visible()
    page.goto("/django-admin/users/user/add/")
    expect(page.locator("#user_form")).to_be_visible()
    assert not csp_violations(page), csp_violations(page)
