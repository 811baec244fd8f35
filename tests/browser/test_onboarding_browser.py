"""The whole path of a newcomer and the administrator who lets them trade, in a real browser on a phone:
sign up → listed → ask to trade → granted from the queue → first payment, accepted by the payee."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mccs.directory.models import EntityStatus
from mccs.ledger.models import Transfer
from mccs.users.services import admin_create_or_reset
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def sign_in(page, email: str, landing: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(landing))


def sign_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))


def test_sign_up_to_first_payment(page, make_member):
    admin_create_or_reset(email="boss@example.org", password=PASSWORD)
    make_member("shop@example.org", name="Corner Shop", status=EntityStatus.TRADING_ACCEPTED)

    page.goto("/signup")
    page.get_by_label("Your email").fill("new@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Business or organisation name").fill("Newcomer Noodles")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    expect(page.get_by_test_id("membership-status")).to_have_text("Waiting to be listed")
    expect(page.get_by_role("link", name="Pay or request payment")).to_have_count(0)
    sign_out(page)

    sign_in(page, "boss@example.org", r"/admin/$")  # administrators start at the queue
    row = page.locator(".queue-item", has_text="Newcomer Noodles")
    row.get_by_role("button", name="List only").click()
    expect(page.locator(".queue-item", has_text="Newcomer Noodles")).to_contain_text(
        "is now: Listed, not trading yet"
    )
    sign_out(page)

    sign_in(page, "new@example.org", r"/dashboard$")
    expect(page.get_by_test_id("membership-status")).to_have_text("Listed, not trading yet")
    page.get_by_role("button", name="Ask to trade").click()
    expect(page.locator(".messages")).to_contain_text("You have asked to trade")
    expect(page.get_by_test_id("membership-status")).to_have_text("Listed, asked to trade")
    sign_out(page)

    sign_in(page, "boss@example.org", r"/admin/$")
    row = page.locator(".queue-item", has_text="Newcomer Noodles")
    expect(row).to_contain_text("applied to trade")
    row.get_by_role("button", name="Accept for trading").click()
    expect(page.locator(".queue-item", has_text="Newcomer Noodles")).to_contain_text("is now: Trading")
    sign_out(page)

    sign_in(page, "new@example.org", r"/dashboard$")
    expect(page.locator("#membership")).to_have_count(0)
    page.get_by_role("link", name="Pay or request payment").click()
    page.get_by_label("Member (name or account number)").fill("Corner")
    page.get_by_label("Amount").fill("7,50")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    expect(page.locator(".messages")).to_contain_text("You offered to pay Corner Shop 7.50 mc")
    sign_out(page)

    sign_in(page, "shop@example.org", r"/dashboard$")
    panel = page.locator("#ledger-panel")
    expect(panel).to_contain_text("Newcomer Noodles wants to pay you 7.50")
    panel.get_by_role("button", name="Accept").click()
    expect(page.get_by_test_id("balance")).to_have_text("7.50 mc")
    assert Transfer.objects.get().state == "completed"
