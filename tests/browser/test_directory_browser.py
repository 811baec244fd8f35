"""A member finds a business with a misspelt word, marks it as a favourite and writes to it; a real SMTP server on
loopback receives the message, and the page never shows the receiver's address."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mccs.directory.models import Entity
from tests.conftest import PASSWORD, deliver_outbox


@pytest.mark.django_db(transaction=True)
def test_search_favourite_and_contact(page, make_member, smtp_server):
    make_member(
        "farm@example.org", name="Green Farm", status="tradingAccepted", offers=["organic-vegetables"]
    )
    make_member("other@example.org", name="Plumb Bob", status="accepted", offers=["plumbing"])
    me = make_member("me@example.org", name="Corner Cafe", status="accepted", wants=["vegetables"])

    page.goto("/login")
    page.get_by_label("Email").fill(me.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.goto("/directory")
    page.get_by_label("Offering").fill("vegetalbes")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#results")
    expect(results).to_contain_text("1 member found")
    expect(results).not_to_contain_text("Plumb Bob")
    expect(results).to_contain_text("Matched: organic-vegetables ≈ vegetalbes (similar spelling)")
    results.get_by_role("link", name="Green Farm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Green Farm")

    page.get_by_role("button", name="Add to favourites").click()
    expect(page.get_by_role("button", name=re.compile("Favourite"))).to_be_visible()
    assert Entity.objects.get(pk=me.entity.pk).favorites.filter(name="Green Farm").exists()

    page.get_by_label("Your message").fill("Hello! Could you deliver vegetables to our cafe on Fridays?")
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("status")).to_contain_text("Your message was sent")
    assert "farm@example.org" not in page.content()

    deliver_outbox()
    mail = smtp_server.wait_for(lambda m: "sent you a message" in m.subject)
    assert mail.envelope_to == ["farm@example.org"]
    assert mail.message["Reply-To"] == "me@example.org"
    assert mail.subject == "Corner Cafe sent you a message through MCCS"
    assert "Could you deliver vegetables to our cafe on Fridays?" in mail.text
