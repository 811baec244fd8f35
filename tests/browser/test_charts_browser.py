"""The pictures, as a member and an administrator see them in a real browser: the balance on a bar between its
limits, the balance history and the network overview — each an SVG image whose accessible name states the numbers,
and none wider than a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mccs.core.amount import Amount
from mccs.ledger import administration
from mccs.ledger.models import Account
from mccs.users.models import User
from tests.browser.pages import DESKTOP, PHONE, build_network, sign_in_as
from tests.browser.test_every_page_browser import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def network(make_member):
    return build_network(make_member)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_dashboard_shows_the_balance_on_a_bar_between_its_limits(page, network, viewport):
    page.set_viewport_size(viewport)
    sign_in_as(page, network, "member")
    # Alice paid 42.50 and 12.00 and received 18.25: -36.25, with the default limits of 500 either way.
    expect(page.get_by_test_id("balance")).to_have_text("-36.25 mc")
    bar = page.get_by_role(
        "img", name="Balance -36.25 mc, on a bar from the lowest allowed balance, -500.00 mc"
    )
    expect(bar).to_be_visible()
    assert bar.evaluate("el => el.tagName") == "svg"
    box = bar.bounding_box()
    assert box is not None and box["width"] > 200 and box["x"] + box["width"] <= viewport["width"]
    # The filled part runs from zero (the middle) to the left, to where -36.25 of 500 sits.
    fill = bar.locator("rect.fill")
    assert fill.get_attribute("class") == "fill negative"
    assert float(fill.get_attribute("x")) == pytest.approx(46.4, abs=0.05)


def fits(locator, viewport) -> None:
    box = locator.bounding_box()
    assert box is not None and box["width"] > 200 and box["x"] + box["width"] <= viewport["width"], box


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_dashboard_shows_the_balance_history(page, network, viewport):
    page.set_viewport_size(viewport)
    sign_in_as(page, network, "member")
    chart = page.get_by_role("img", name="Balance history")
    expect(chart).to_be_visible()
    assert chart.evaluate("el => el.tagName") == "svg"
    fits(chart, viewport)
    # Described by the sentence under it, which states the figures.
    described = chart.evaluate(
        "el => document.getElementById(el.getAttribute('aria-describedby')).textContent"
    )
    assert "to -36.25 mc now, after 3 completed transfers; lowest -54.50 mc, highest 0.00 mc." in described
    expect(page.get_by_test_id("balance-history")).to_contain_text("after 3 completed transfers")
    # One step per completed transfer, ending at the current balance.
    assert chart.locator("path.line").get_attribute("d").count("V") == 3
    labels = chart.locator(".y-labels text").all_text_contents()
    assert "0" in labels and any(label.startswith("-") for label in labels)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_admin_overview_shows_the_network_in_charts(page, network, viewport):
    admin = User.objects.get(email=network.admin_email)
    carol = Account.objects.get(entity__name="Carol Repairs")
    bob = Account.objects.get(entity__name="Bob's Organic Farm")
    administration.admin_transfer_create(
        actor=admin, payer=carol.number, payee=bob.number, amount=Amount(45_000)
    )
    page.set_viewport_size(viewport)
    sign_in_as(page, network, "admin")
    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Overview").click()
    page.wait_for_url(re.compile(r"/admin/overview$"))
    names = (
        "Completed transfers per week",
        "Volume per week (mc)",
        "Members who traded per week",
        "Where balances sit between their limits",
    )
    for name in names:
        chart = page.get_by_role("img", name=name)
        expect(chart).to_be_visible()
        fits(chart, viewport)

    def bars(name: str) -> list[int]:
        chart = page.get_by_role("img", name=name)
        return chart.locator("rect.bar").evaluate_all("els => els.map(el => Number(el.dataset.value))")

    # This week: three member transfers and the administrator's (72.75 + 450.00), by three members.
    transfers, volume, traders = bars(names[0]), bars(names[1]), bars(names[2])
    assert len(transfers) == len(volume) == len(traders) == 12
    assert (transfers[-1], volume[-1], traders[-1]) == (4, 52_275, 3)
    assert sum(transfers) == 4
    expect(page.get_by_test_id("chart-transfers")).to_contain_text("4 completed transfers in 12 weeks")
    expect(page.get_by_test_id("chart-volume")).to_contain_text("522.75 mc moved in 12 weeks")
    # Carol at -450 of 500 and Bob at 486.25 of 500 are near a limit: the outer bands, and the list.
    assert bars(names[3])[0] == 1 and bars(names[3])[-1] == 1
    near = page.get_by_test_id("near-limits")
    expect(near.get_by_role("row")).to_have_count(3)
    expect(
        near.get_by_role("img", name=re.compile(r"^Balance 486.25 mc, .*Close to the limit"))
    ).to_be_visible()
    expect(near.get_by_role("img", name=re.compile(r"^Balance -450.00 mc, "))).to_be_visible()
    expect(near.get_by_role("row").nth(1)).to_contain_text("Bob's Organic Farm")
    assert axe_violations(page) == []
