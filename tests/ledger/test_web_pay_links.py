"""Pay links without a browser: who sees pay actions, what the payee suggestions contain, the get-paid page."""

from __future__ import annotations

from django.test import Client

from tests.ledger.conftest import number


def browser_for(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_pay_actions_only_between_members_who_can_trade(alice, bob, make_member):
    newcomer = make_member("new@example.org", name="Newcomer", status="accepted")
    page = browser_for(alice).get(f"/directory/entities/{bob.entity.pk}").content.decode()
    assert f'href="/transfers/new?to={number(bob)}&amp;direction=in"' in page
    own = browser_for(alice).get(f"/directory/entities/{alice.entity.pk}").content.decode()
    assert "/transfers/new?to=" not in own
    from_newcomer = browser_for(newcomer).get(f"/directory/entities/{bob.entity.pk}").content.decode()
    assert "/transfers/new?to=" not in from_newcomer
    anonymous = Client().get(f"/directory/entities/{bob.entity.pk}").content.decode()
    assert "/transfers/new?to=" not in anonymous


def test_payee_suggestions_list_trading_members_but_not_yourself(alice, bob):
    client = browser_for(alice)
    options = client.get("/transfers/payees", {"counterparty": "farm"}).content.decode()
    assert f'<option value="{number(bob)}">Bob&#x27;s Farm' in options
    assert (
        number(alice) not in client.get("/transfers/payees", {"counterparty": number(alice)}).content.decode()
    )
    assert "<option" not in client.get("/transfers/payees", {"counterparty": "b"}).content.decode()
    assert Client().get("/transfers/payees", {"counterparty": "farm"}).status_code == 302


def test_get_paid_page_refuses_a_bad_amount_and_keeps_the_plain_code(alice, settings):
    page = browser_for(alice).get("/get-paid", {"amount": "12.345"}).content.decode()
    assert "errorlist" in page
    assert f"{settings.BASE_URL}/transfers/new?to={number(alice)}</a>" in page
    page = browser_for(alice).get("/get-paid", {"amount": "12.5", "description": "Eggs"}).content.decode()
    assert f"to={number(alice)}&amp;amount=12.50&amp;description=Eggs" in page
    assert "<title>QR code to pay Alice" in page
