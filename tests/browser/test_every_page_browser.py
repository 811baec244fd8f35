"""Every page of the web UI, as a visitor, a trading member, a newcomer and an administrator: nothing wider than a
390 px phone, no Content-Security-Policy violation, and no serious or critical WCAG 2.2 AA violation found by
axe-core on a phone or a desktop — in English, and on a phone also in Spanish and German (longer words, other number
formats; axe-core in German)."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import csp_violations
from tests.browser.pages import DESKTOP, PHONE, build_network, sign_in_as

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = ["visitor", "member", "newcomer", "admin"]
# The browser's language (Accept-Language); English is the source, German has the longest words.
LOCALES = ["en-US", "es-ES", "de-DE"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

# Width of the page beyond the viewport, and the elements that stick out (for a useful failure message).
OVERFLOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = el => { for (let p = el.parentElement; p; p = p.parentElement) {
    if (['auto', 'scroll'].includes(getComputedStyle(p).overflowX)) return true; } return false; };
  const wide = [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > width + 1 && el.getClientRects().length && !scrolls(el))
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ' ' + Math.round(el.getBoundingClientRect().right) + 'px');
  const header = document.querySelector('.site-header').getBoundingClientRect().height;
  return {scroll: document.documentElement.scrollWidth, width, wide, header};
}"""


@pytest.fixture
def network(make_member):
    return build_network(make_member)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("role", ROLES)
def test_no_page_is_wider_than_a_phone_and_the_header_is_compact(page, network, role, locale):
    page.set_viewport_size(PHONE)
    sign_in_as(page, network, role)
    too_wide = {}
    for url in network.pages[role]:
        page.goto(url)
        assert page.locator("html").get_attribute("lang") == locale[:2], url
        found = page.evaluate(OVERFLOW_JS)
        # The header used to take 153 px of an 844 px phone: two short rows at most.
        if found["scroll"] > found["width"] or found["header"] > 100:
            too_wide[url] = found
    assert not too_wide, json.dumps(too_wide, indent=1)
    # Every page works under the Content-Security-Policy: chromium refused nothing (ADR 0051).
    assert not csp_violations(page), "\n".join(csp_violations(page))


def axe_violations(page) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    # Panels that htmx loads after the page (matches) are dimmed while loading: scan what a person then reads.
    page.wait_for_load_state("networkidle")
    page.evaluate(Axe().axe_script)
    options = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
    result = page.evaluate("options => axe.run(document, options)", options)
    # Heading order is a best practice (impact "moderate"), not a WCAG criterion; the issue named it, so it is
    # checked too.
    order = {"runOnly": {"type": "rule", "values": ["heading-order"]}, "resultTypes": ["violations"]}
    result["violations"] += page.evaluate("options => axe.run(document, options)", order)["violations"]
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "where": [n["target"] for n in v["nodes"]][:3],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical") or v["id"] == "heading-order"
    ]


@pytest.mark.parametrize(
    ("viewport", "locale"),
    # German, with the longest words, stands for the translations (a scan of every page takes a while).
    [(PHONE, "en-US"), (DESKTOP, "en-US"), (PHONE, "de-DE")],
    ids=["phone", "desktop", "phone-de"],
)
@pytest.mark.parametrize("role", ROLES)
def test_no_serious_accessibility_violation(page, network, role, viewport, locale):
    page.set_viewport_size(viewport)
    sign_in_as(page, network, role)
    found = {}
    for url in network.pages[role]:
        page.goto(url)
        if violations := axe_violations(page):
            found[url] = violations
    assert not found, json.dumps(found, indent=1)
