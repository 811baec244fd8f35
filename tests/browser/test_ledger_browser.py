"""A member requests a payment, the other accepts it on the dashboard, and both statements show it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from mccs.directory.models import EntityStatus
from tests.conftest import PASSWORD


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/dashboard$"))


def sign_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))


def running_balances(page) -> list[str]:
    return [cell.strip() for cell in page.get_by_test_id("running-balance").all_inner_texts()]


def test_request_payment_accept_on_dashboard_and_statements(page, make_member, transactional_db):
    make_member("ann@example.org", name="Ann's Apples", status=EntityStatus.TRADING_ACCEPTED)
    make_member("ben@example.org", name="Ben's Bakery", status=EntityStatus.TRADING_ACCEPTED)

    sign_in(page, "ann@example.org")
    page.get_by_role("link", name="Pay or request payment").click()
    page.get_by_label("Request a payment").check()
    page.get_by_label("Member (name or account number)").fill("Ben's")
    page.get_by_label("Amount").fill("42.50")
    page.get_by_label("Description (optional)").fill("Two crates of apples")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    expect(page.get_by_text("You asked Ben's Bakery to pay you 42.50")).to_be_visible()
    expect(page.locator("#ledger-panel")).to_contain_text("You requested 42.50 mc from Ben's Bakery")
    sign_out(page)

    sign_in(page, "ben@example.org")
    panel = page.locator("#ledger-panel")
    expect(panel).to_contain_text("Ann's Apples requests 42.50 mc from you")
    expect(page.get_by_test_id("balance")).to_have_text("0.00 mc")
    panel.get_by_role("button", name="Accept").click()  # htmx swaps the panel in place
    expect(panel).to_contain_text("Transfer accepted")
    expect(page.get_by_test_id("balance")).to_have_text("-42.50 mc")
    expect(page.get_by_test_id("available")).to_have_text("457.50 mc")
    expect(panel).to_contain_text("No pending transfers.")
    page.get_by_role("link", name="Statement").click()
    expect(page.get_by_role("cell", name="Two crates of apples")).to_be_visible()
    assert running_balances(page) == ["-42.50"]
    sign_out(page)

    sign_in(page, "ann@example.org")
    expect(page.get_by_test_id("balance")).to_have_text("42.50 mc")
    page.goto("/transfers")
    expect(page.get_by_role("cell", name="Ben's Bakery")).to_be_visible()
    assert running_balances(page) == ["42.50"]
