"""In a real browser: an htmx action after the cookies are gone lands on the sign-in page and comes back; reject
asks for confirmation first and does nothing when the member says no."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mccs.directory.models import EntityStatus
from mccs.ledger.models import Transfer
from tests.browser.pages import wait_until_dashboard_settled
from tests.conftest import PASSWORD
from tests.ledger.conftest import propose

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_lost_session_during_htmx_accept_goes_to_sign_in_and_back(page, make_member):
    ann = make_member("ann@example.org", name="Ann", status=EntityStatus.TRADING_ACCEPTED)
    ben = make_member("ben@example.org", name="Ben", status=EntityStatus.TRADING_ACCEPTED)
    propose(ann, ben, 3)
    page.goto("/login")
    sign_in(page, "ben@example.org")
    page.wait_for_url(re.compile(r"/dashboard$"))
    wait_until_dashboard_settled(page)
    page.context.clear_cookies()  # the session and the CSRF cookie are gone
    page.locator("#ledger-panel").get_by_role("button", name="Accept").click()
    page.wait_for_url(re.compile(r"/login\?next=%2Fdashboard$"))
    expect(page.locator("#ledger-panel")).to_have_count(0)  # a whole page, not a panel
    assert Transfer.objects.get().state == "pending"
    sign_in(page, "ben@example.org")
    page.wait_for_url(re.compile(r"/dashboard$"))
    page.locator("#ledger-panel").get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("balance")).to_have_text("3.00 mc")


def test_lost_session_during_favourite_toggle_goes_to_sign_in(page, make_member):
    make_member("ann@example.org", name="Ann", status=EntityStatus.TRADING_ACCEPTED)
    ben = make_member("ben@example.org", name="Ben", status=EntityStatus.TRADING_ACCEPTED)
    page.goto("/login")
    sign_in(page, "ann@example.org")
    page.wait_for_url(re.compile(r"/dashboard$"))
    page.goto(f"/directory/entities/{ben.entity.pk}")
    page.wait_for_selector("html[data-pages-kept]", state="attached")  # the service worker's keeping is done
    page.context.clear_cookies()
    page.get_by_role("button", name="Add to favourites").click()
    page.wait_for_url(re.compile(rf"/login\?next=%2Fdirectory%2Fentities%2F{ben.entity.pk}$"))
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_reject_asks_first(page, make_member):
    ann = make_member("ann@example.org", name="Ann", status=EntityStatus.TRADING_ACCEPTED)
    ben = make_member("ben@example.org", name="Ben", status=EntityStatus.TRADING_ACCEPTED)
    propose(ann, ben, 3)
    page.goto("/login")
    sign_in(page, "ben@example.org")
    page.wait_for_url(re.compile(r"/dashboard$"))
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Reject").click()
    page.wait_for_timeout(300)
    assert questions == ["Reject this transfer? Nothing will move."]
    assert Transfer.objects.get().state == "pending"
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name="Reject").click()
    expect(page.locator("#ledger-panel")).to_contain_text("Transfer rejected.")
    assert Transfer.objects.get().state == "cancelled"


def test_a_failed_htmx_action_is_announced_not_silent(page, make_member):
    make_member("ann@example.org", name="Ann", status=EntityStatus.TRADING_ACCEPTED)
    ben = make_member("ben@example.org", name="Ben", status=EntityStatus.TRADING_ACCEPTED)
    page.goto("/login")
    sign_in(page, "ann@example.org")
    page.wait_for_url(re.compile(r"/dashboard$"))
    page.goto(f"/directory/entities/{ben.entity.pk}")
    status = page.locator("#action-status")
    expect(status).to_be_hidden()
    page.route("**/favorite", lambda route: route.fulfill(status=500, body="boom"))
    page.get_by_role("button", name="Add to favourites").click()
    expect(status).to_be_visible()
    expect(status).to_contain_text("That did not work (error 500). Nothing was changed.")
    page.unroute("**/favorite")
    page.route("**/favorite", lambda route: route.abort())
    page.get_by_role("button", name="Add to favourites").click()
    expect(status).to_contain_text("The server could not be reached")
