"""An administrator approves a pending member from the queue, sets their limits, and finds the change in the log."""

from __future__ import annotations

import re

import pytest

from mccs.ledger.audit import ledger_audit
from mccs.ledger.models import Account
from mccs.ledger.onboarding import member_sign_up
from mccs.users.services import admin_create_or_reset

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct-horse-battery"


def test_approve_from_queue_set_limits_and_find_it_in_the_log(page, live_server):
    admin_create_or_reset(email="boss@example.org", password=PASSWORD)
    pending = member_sign_up(
        email="baker@example.org",
        password=PASSWORD,
        user_fields={},
        entity_fields={"name": "Pending Bakery", "offers": ["bread"]},
        issue_token=False,
    )

    page.goto("/admin/")
    page.wait_for_url(re.compile(r"/login\?next="))
    page.get_by_label("Email").fill("boss@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/admin/$"))

    row = page.locator(f"#queue-{pending.entity.pk}")
    assert "Pending Bakery" in row.inner_text()
    row.get_by_role("button", name="List only").click()  # htmx swaps just this row
    page.locator(f"#queue-{pending.entity.pk}", has_text="is now: Listed, not trading yet").wait_for()
    assert page.url.endswith("/admin/")

    page.locator(f"#queue-{pending.entity.pk}").get_by_role("link", name="Open Pending Bakery").click()
    page.wait_for_url(re.compile(rf"/admin/entities/{pending.entity.pk}$"))
    assert page.locator("#entity-status").inner_text() == "Listed, not trading yet"
    page.get_by_label("Maximum positive balance").fill("750")
    page.get_by_label("Maximum negative balance").fill("125.50")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Pending Bakery has been saved.").wait_for()
    account = Account.objects.get(entity=pending.entity)
    assert (account.max_positive_balance, account.max_negative_balance) == (75000, 12550)

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Log").click()
    page.get_by_label("Action").fill("account.limits_change")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"action=account.limits_change"))
    table = page.locator("table.log tbody").inner_text()
    assert "boss@example.org" in table and "account.limits_change" in table
    assert "500.00 → 750.00" in table and "500.00 → 125.50" in table
    assert page.locator("table.log tbody tr").count() == 1
    assert ledger_audit() == []
