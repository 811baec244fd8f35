"""QR codes and pay links (issue 12, item 10): a member's "get paid" QR code, decoded from a screenshot, takes
another member to a pay form with the payee and amount filled in; member pages have pay and request actions; the
payee field suggests members as you type."""

from __future__ import annotations

import io
import os
import re

import pytest
from playwright.sync_api import expect

from mccs.directory.models import EntityStatus
from mccs.ledger.models import Transfer
from tests.browser.test_ledger_browser import sign_in, sign_out

if os.environ.get("MCCS_REQUIRE_BROWSER"):  # CI installs libzbar0: a missing one must fail, not skip
    from PIL import Image
    from pyzbar.pyzbar import decode
else:
    Image = pytest.importorskip("PIL.Image", reason="Pillow is not installed")
    decode = pytest.importorskip("pyzbar.pyzbar", reason="libzbar0 (Debian) is not installed").decode


def decoded_qr(locator) -> str:
    """What a phone camera would read: the QR code as drawn on screen, decoded by zbar."""
    image = Image.open(io.BytesIO(locator.screenshot()))
    found = decode(image)
    assert len(found) == 1, found
    return found[0].data.decode()


def test_get_paid_qr_code_leads_another_member_to_a_filled_in_pay_form(page, make_member, transactional_db):
    make_member("ann@example.org", name="Ann's Apples", status=EntityStatus.TRADING_ACCEPTED)
    ben = make_member("ben@example.org", name="Ben's Bakery", status=EntityStatus.TRADING_ACCEPTED)
    number = ben.entity.account.number

    sign_in(page, ben.email)
    qr = page.get_by_test_id("get-paid-qr").locator("svg")
    expect(qr).to_be_visible()
    assert page.get_by_role("img", name="QR code to pay Ben's Bakery").count() == 1
    link = decoded_qr(qr)
    assert link == page.get_by_test_id("pay-link").inner_text()
    assert link.endswith(f"/transfers/new?to={number}")
    page.screenshot(path="/tmp/pwa-dashboard-qr-390.png", full_page=True)

    # A code for one sale: amount and description set by Ben.
    page.get_by_role("link", name="Ask for a specific amount").click()
    page.get_by_label("Amount (optional)").fill("7,40")
    page.get_by_label("Description (optional)").fill("Two loaves")
    page.get_by_role("button", name="Make the code").click()
    sale_link = decoded_qr(page.get_by_test_id("get-paid-qr").locator("svg"))
    assert "amount=7.40" in sale_link and "description=Two+loaves" in sale_link
    sign_out(page)

    # Ann follows the link (signing in on the way) and finds the form filled in.
    page.goto(sale_link)
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_label("Email").fill("ann@example.org")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/transfers/new\?"))
    expect(page.get_by_test_id("payee")).to_contain_text("Ben's Bakery")
    expect(page.get_by_label("Member (name or account number)")).to_have_value(number)
    expect(page.get_by_label("Amount")).to_have_value("7.40")
    expect(page.get_by_label("Description (optional)")).to_have_value("Two loaves")
    expect(page.get_by_label("Pay someone")).to_be_checked()
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"/dashboard$"))
    transfer = Transfer.objects.get()
    assert (transfer.payer.entity.name, transfer.payee.entity.name, transfer.amount) == (
        "Ann's Apples",
        "Ben's Bakery",
        740,
    )


def test_member_page_pay_and_request_actions_and_payee_suggestions(page, make_member, transactional_db):
    make_member("ann@example.org", name="Ann's Apples", status=EntityStatus.TRADING_ACCEPTED)
    ben = make_member("ben@example.org", name="Ben's Bakery", status=EntityStatus.TRADING_ACCEPTED)
    make_member("bea@example.org", name="Bea's Bikes", status=EntityStatus.TRADING_ACCEPTED)
    sign_in(page, "ann@example.org")

    page.goto(f"/directory/entities/{ben.entity.pk}")
    page.get_by_role("link", name="Request a payment").click()
    expect(page.get_by_label("Request a payment")).to_be_checked()
    expect(page.get_by_label("Member (name or account number)")).to_have_value(ben.entity.account.number)
    page.goto(f"/directory/entities/{ben.entity.pk}")
    page.get_by_role("link", name="Pay", exact=True).click()
    expect(page.get_by_label("Pay someone")).to_be_checked()

    page.goto("/transfers/new")
    page.get_by_label("Member (name or account number)").press_sequentially("Be", delay=30)
    options = page.locator("#payee-options option")
    expect(options).to_have_count(2)
    assert sorted(options.all_inner_texts()) == ["Bea's Bikes", "Ben's Bakery"]
    page.get_by_label("Member (name or account number)").press_sequentially("n", delay=30)
    expect(options).to_have_count(1)
    expect(options).to_have_attribute("value", ben.entity.account.number)
