"""The pictures on the web pages: the balance on a bar between its limits (issue 12, item 11)."""

from __future__ import annotations

import re

from django.test import Client

from mccs.ledger import administration
from mccs.web import charts
from tests.ledger.conftest import act, propose


def dashboard(member) -> str:
    client = Client()
    client.force_login(member.user)
    return client.get("/dashboard").content.decode()


def test_the_bar_places_zero_and_the_balance_between_the_limits():
    bar = charts.limits_bar(balance=-25_000, max_negative=50_000, max_positive=150_000)
    assert (bar.lowest, bar.highest) == (-50_000, 150_000)
    assert bar.zero_at == 25.0 and bar.balance_at == 12.5
    assert (bar.fill_from, bar.fill_width, bar.side, bar.near_limit) == (12.5, 12.5, "negative", False)


def test_the_bar_marks_a_balance_close_to_its_limit():
    assert charts.limits_bar(balance=45_000, max_negative=0, max_positive=50_000).near_limit
    assert charts.limits_bar(balance=-45_000, max_negative=50_000, max_positive=50_000).near_limit
    assert not charts.limits_bar(balance=44_999, max_negative=0, max_positive=50_000).near_limit
    assert not charts.limits_bar(balance=0, max_negative=0, max_positive=0).near_limit


def test_the_bar_survives_limits_of_zero_and_stays_on_the_bar():
    bar = charts.limits_bar(balance=0, max_negative=0, max_positive=0)
    assert (bar.zero_at, bar.balance_at, bar.fill_width) == (50.0, 50.0, 0.0)
    full = charts.limits_bar(balance=50_000, max_negative=0, max_positive=50_000)
    assert (full.zero_at, full.balance_at, full.fill_width) == (0.0, 100.0, 100.0)
    assert 0 <= full.marker_from <= 98.8


def test_dashboard_shows_the_balance_large_with_its_unit_and_a_labelled_bar(alice, bob, admin):
    administration.admin_entity_update(
        actor=admin, entity=alice.entity, changes={"max_positive_balance": 300, "max_negative_balance": 100}
    )
    act(alice, propose(bob, alice, 92.5, direction="in").json()["data"]["id"], "accept")
    page = dashboard(alice)
    assert 'class="balance-figure" data-testid="balance">-92.50 mc<' in page
    svg = re.search(r'<svg class="limits-bar".*?</svg>', page, re.S).group(0)
    assert 'role="img"' in svg
    assert (
        "Balance -92.50 mc, on a bar from the lowest allowed balance, -100.00 mc, to the highest, 300.00 mc. "
        "Close to the limit." in svg
    )
    # -92.50 on a bar from -100 to 300: zero at 25 %, the balance at 1.9 %, filled in between, in the warning colour.
    assert 'class="fill negative near" x="1.9" y="2" width="23.1"' in svg
    assert "lowest -100.00 mc" in page and "highest 300.00 mc" in page


def test_a_member_without_payments_sees_the_balance_at_zero_on_the_bar(alice):
    page = dashboard(alice)
    assert 'data-testid="balance">0.00 mc<' in page
    assert 'class="fill positive" x="50.0" y="2" width="0.0"' in page
    assert "Close to the limit" not in page


def test_overview_is_for_administrators_and_says_when_nothing_happened(alice, admin):
    member = Client()
    member.force_login(alice.user)
    assert member.get("/admin/overview").status_code == 403
    assert Client().get("/admin/overview").status_code == 302  # to the sign-in page
    staff = Client()
    staff.force_login(admin)
    page = staff.get("/admin/overview").content.decode()
    assert "No completed transfers in the last 12 weeks." in page
    assert "Nothing moved in the last 12 weeks." in page
    assert "Nobody traded in the last 12 weeks." in page
    assert "No account is near one of its limits." in page
    assert page.count('role="img"') == 4
