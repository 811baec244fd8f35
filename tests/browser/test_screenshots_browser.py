"""Screenshots of the main screens, on a phone and a desktop, for docs/screenshots.md.

`make screenshots` runs this with MCCS_SCREENSHOTS_DIR=docs/screenshots; otherwise the pictures go to a temporary
directory, so the test still checks that every main screen renders and can be captured."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.pages import DESKTOP, PHONE, build_network, sign_in_as

pytestmark = pytest.mark.django_db(transaction=True)

# (file name, who looks, address, what it shows) — the list docs/screenshots.md is written from.
SCREENS = [
    ("home", "visitor", "/", "The start page"),
    ("directory", "visitor", "/directory?offers=vegetables", "Directory search: spelling mistakes forgiven"),
    (
        "dashboard",
        "member",
        "/dashboard",
        "A trading member's dashboard: the balance between its limits, its history, pending transfers, matches",
    ),
    ("pay", "member", "/transfers/new", "Pay or request a payment"),
    ("statement", "member", "/transfers", "Statement, newest first, with rejected and cancelled transfers"),
    ("newcomer", "newcomer", "/dashboard", "A newcomer's dashboard: where they stand and what to do next"),
    ("admin-queue", "admin", "/admin/", "Administrators start at the approval queue"),
    (
        "admin-overview",
        "admin",
        "/admin/overview",
        "The network at a glance: transfers, volume and members who traded per week, balances near their limits",
    ),
    ("admin-entities", "admin", "/admin/entities", "Entities, as cards on a phone"),
    ("admin-log", "admin", "/admin/logs", "The audit log"),
]


def test_main_screens(page, make_member, tmp_path):
    target = Path(os.environ.get("MCCS_SCREENSHOTS_DIR") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    network = build_network(make_member)
    for role in ("visitor", "member", "newcomer", "admin"):
        page.context.clear_cookies()
        page.set_viewport_size(DESKTOP)
        sign_in_as(page, network, role)
        for name, who, url, _ in SCREENS:
            if who != role:
                continue
            for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
                page.set_viewport_size(viewport)
                page.goto(url)
                page.wait_for_load_state("networkidle")  # htmx panels (matches) have loaded
                path = target / f"{name}-{size}.png"
                page.screenshot(path=str(path))
                assert path.stat().st_size > 5_000, f"{path} looks empty"
