"""The pictures, as a member and an administrator see them in a real browser: the balance on a bar between its
limits, the balance history and the network overview — each an SVG image whose accessible name states the numbers,
and none wider than a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.pages import DESKTOP, PHONE, build_network, sign_in_as

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
