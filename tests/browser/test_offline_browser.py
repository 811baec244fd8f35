"""Installable and offline (issue 12, item 9): the kept pages open offline, payments wait on the device and are
sent through the public API exactly once when the connection returns, however often the page is reloaded."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from mccs.directory.models import EntityStatus
from mccs.ledger.models import Transfer
from tests.browser.pages import wait_until_dashboard_settled
from tests.browser.test_ledger_browser import sign_in

KEPT = "caches.open('mccs-pages').then(c => c.match('/transfers/new')).then(r => !!r)"


def wait_until_kept(page) -> None:
    """The service worker controls the page and has kept the member's pages (the pay form too)."""
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(KEPT)


def outbox_states(page) -> list[str]:
    return page.locator("#outbox li").evaluate_all("items => items.map(i => i.dataset.state)")


def test_manifest_icons_and_service_worker_are_served(page, live_server, transactional_db):
    page.goto("/")
    manifest_href = page.locator('link[rel="manifest"]').get_attribute("href")
    assert page.locator('meta[name="theme-color"]').get_attribute("content") == "#1f6f50"
    manifest = page.request.get(manifest_href)
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = json.loads(manifest.text())
    assert data["display"] == "standalone" and data["start_url"] == "/dashboard"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        response = page.request.get(icon["src"])
        assert response.ok, icon
        if icon["type"] == "image/png":
            assert response.body()[:8] == b"\x89PNG\r\n\x1a\n"
    worker = page.request.get("/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "/offline" in worker.text()


def test_offline_payments_are_queued_and_sent_exactly_once(page, make_member, transactional_db):
    ann = make_member("ann@example.org", name="Ann's Apples", status=EntityStatus.TRADING_ACCEPTED)
    ben = make_member("ben@example.org", name="Ben's Bakery", status=EntityStatus.TRADING_ACCEPTED)
    context = page.context

    sign_in(page, ann.email)
    page.goto("/dashboard")
    wait_until_kept(page)
    page.goto("/transfers")  # the statement is kept when it is seen
    balance_online = page.locator("main").inner_text()

    context.set_offline(True)
    # The kept pages open offline and say they are a saved copy.
    page.goto("/dashboard")
    expect(page.locator("#offline-note")).to_be_visible()
    expect(page.get_by_test_id("balance")).to_have_text("0.00 mc")
    page.goto("/transfers")
    expect(page.locator("#offline-note")).to_be_visible()
    assert "Ann" not in page.locator("#offline-note").inner_text()
    assert page.locator("h1").inner_text() in balance_online
    page.goto("/directory")  # never kept: the offline page says so
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()

    # Form 1: pay Ben by account number, the European way; the button pressed twice is still one payment.
    page.goto("/transfers/new")
    expect(page.locator("#offline-note")).to_be_visible()
    page.get_by_label("Member (name or account number)").fill(ben.entity.account.number)
    page.get_by_label("Amount").fill("12,50")
    page.get_by_label("Description (optional)").fill("Bread for the week")
    page.get_by_role("button", name="Send").dblclick()
    expect(page.locator("#pay-form-status")).to_contain_text("kept on this device")
    expect(page.locator("#outbox")).to_contain_text("waiting on this device")
    assert outbox_states(page) == ["queued"]

    # Form 2: a payment request by name. Form 3: more than Ann's limit allows — refused later, with the reason.
    page.get_by_label("Request a payment").check()
    page.get_by_label("Member (name or account number)").fill("Ben's Bakery")
    page.get_by_label("Amount").fill("3.20")
    page.get_by_role("button", name="Send").click()
    page.get_by_label("Pay someone").check()
    page.get_by_label("Member (name or account number)").fill(ben.entity.account.number)
    page.get_by_label("Amount").fill("9999")
    page.get_by_role("button", name="Send").click()
    assert outbox_states(page) == ["queued", "queued", "queued"]

    page.screenshot(path="/tmp/pwa-offline-queue-390.png", full_page=True)
    for _ in range(3):  # reloading offline keeps the queue and sends nothing
        page.reload()
        expect(page.locator("#outbox li")).to_have_count(3)
    assert Transfer.objects.count() == 0

    # A second tab is open too when the connection returns: both try to send the same queue.
    other = context.new_page()
    other.goto("/dashboard")
    context.set_offline(False)
    page.reload()
    other.reload()
    for tab in (page, other):
        expect(tab.locator('#outbox li[data-state="queued"]')).to_have_count(0, timeout=15_000)
    for _ in range(3):
        page.reload()
        expect(page.locator("#outbox li")).to_have_count(3)

    transfers = list(Transfer.objects.order_by("amount"))
    assert [(t.amount, t.payer_id, t.payee_id) for t in transfers] == [
        (320, ben.entity.account.pk, ann.entity.account.pk),
        (1250, ann.entity.account.pk, ben.entity.account.pk),
    ]
    assert transfers[1].description == "Bread for the week"
    outbox = page.locator("#outbox")
    expect(outbox.locator('li[data-state="sent"]')).to_have_count(2)
    refused = outbox.locator('li[data-state="refused"]')
    expect(refused).to_contain_text("refused")
    expect(refused).to_contain_text("limit")
    expect(outbox).to_contain_text("Ask Ben's Bakery to pay you 3.20")
    page.screenshot(path="/tmp/pwa-outbox-sent-390.png", full_page=True)
    # The dashboard shows them as pending transfers from the server now.
    page.goto("/dashboard")
    expect(page.locator("#ledger-panel")).to_contain_text("Ben's Bakery")
    other.close()


KEEP_AGAIN = """() => navigator.serviceWorker.ready.then(registration => new Promise(resolve => {
  const channel = new MessageChannel();
  channel.port1.onmessage = event => resolve(event.data);
  registration.active.postMessage({ type: "keep-pages", refresh: true }, [channel.port2]);
}))"""


def test_background_keeping_after_the_session_ended_sets_no_cookie(page, make_member, transactional_db):
    """The service worker refreshes the kept pages in the background. When the session has ended, the server
    answers with a redirect to sign in; following it would render the sign-in page out of sight and set a new CSRF
    cookie, which could replace the one a sign-in form open in a tab was made with."""
    ann = make_member("ann@example.org", name="Ann", status=EntityStatus.TRADING_ACCEPTED)
    sign_in(page, ann.email)
    wait_until_dashboard_settled(page)
    page.context.clear_cookies()  # the session and the CSRF cookie are gone
    assert page.evaluate(KEEP_AGAIN) == "kept"
    assert [cookie["name"] for cookie in page.context.cookies()] == []
    assert page.evaluate(KEPT)  # the copies kept while signed in are still there
