"""From sign-up to first payment: the member always sees where they stand and what to do next, pay actions only
appear once they can trade, a listed member can ask to trade, and the approval queue grants trading."""

from __future__ import annotations

import pytest
from django.test import Client

from mccs.audit.models import AuditEntry
from mccs.directory.models import Entity, EntityStatus
from mccs.ledger.models import Transfer


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("status", "shown", "can_ask"),
    [
        (EntityStatus.PENDING, "Waiting to be listed", False),
        (EntityStatus.ACCEPTED, "Listed, not trading yet", True),
        (EntityStatus.TRADING_PENDING, "Listed, asked to trade", False),
        (EntityStatus.TRADING_REJECTED, "Listed, not accepted for trading", True),
        (EntityStatus.REJECTED, "Not accepted", False),
    ],
)
def test_a_member_who_cannot_trade_sees_why_and_no_pay_button(make_member, status, shown, can_ask):
    member = make_member(status=status)
    page = signed_in(member.user).get("/dashboard").content.decode()
    assert f'data-testid="membership-status">{shown}<' in page
    assert "Pay or request payment" not in page and 'data-testid="available"' not in page
    assert 'data-testid="cannot-trade"' in page
    assert ("Ask to trade</button>" in page) is can_ask


def test_a_trading_member_sees_pay_and_no_membership_box(make_member):
    member = make_member(status=EntityStatus.TRADING_ACCEPTED)
    page = signed_in(member.user).get("/dashboard").content.decode()
    assert "Pay or request payment" in page and 'data-testid="available"' in page
    assert 'id="membership"' not in page


def test_the_pay_form_explains_instead_of_failing_later(make_member):
    member = make_member(status=EntityStatus.ACCEPTED)
    other = make_member(name="Open Shop", status=EntityStatus.TRADING_ACCEPTED)
    client = signed_in(member.user)
    page = client.get("/transfers/new").content.decode()
    assert "You cannot pay or be paid yet" in page and 'name="amount"' not in page
    response = client.post(
        "/transfers/new", {"direction": "out", "counterparty": other.entity.name, "amount": "5"}
    )
    assert response.status_code == 403 and "You cannot pay or be paid yet" in response.content.decode()
    assert not Transfer.objects.exists()


def test_a_listed_member_asks_to_trade_and_lands_in_the_queue(make_member, admin):
    member = make_member(name="Listed Larder", status=EntityStatus.ACCEPTED)
    client = signed_in(member.user)
    response = client.post("/trading/apply", follow=True)
    assert "You have asked to trade" in response.content.decode()
    assert Entity.objects.get(pk=member.entity.pk).status == EntityStatus.TRADING_PENDING
    entry = AuditEntry.objects.get(action="entity.trading_apply")
    assert entry.entity_id == str(member.entity.pk) and entry.changes["status"] == [
        "accepted",
        "tradingPending",
    ]
    assert "Listed Larder" in signed_in(admin).get("/admin/").content.decode()
    again = client.post("/trading/apply", follow=True).content.decode()
    assert "You have already asked to trade" in again
    assert AuditEntry.objects.filter(action="entity.trading_apply").count() == 1


def test_a_member_not_yet_listed_cannot_ask_to_trade(make_member):
    member = make_member(status=EntityStatus.PENDING)
    page = signed_in(member.user).post("/trading/apply", follow=True).content.decode()
    assert "you can ask to trade once it is listed" in page
    assert Entity.objects.get(pk=member.entity.pk).status == EntityStatus.PENDING


def test_the_queue_grants_trading_in_one_click(make_member, admin):
    member = make_member(name="New Bakery")
    staff = signed_in(admin)
    assert 'value="trade">Accept and let trade<' in staff.get("/admin/").content.decode()
    response = staff.post(
        f"/admin/entities/{member.entity.pk}/decide", {"decision": "trade"}, HTTP_HX_REQUEST="true"
    )
    assert "New Bakery is now: Trading." in response.content.decode()
    entity = Entity.objects.get(pk=member.entity.pk)
    assert entity.status == EntityStatus.TRADING_ACCEPTED and entity.member_started_at is not None


def test_administrators_land_on_the_approval_queue(admin):
    client = Client()
    response = client.post("/login", {"email": admin.email, "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/dashboard")["Location"] == "/admin/"
    assert client.get("/")["Location"] == "/admin/"
