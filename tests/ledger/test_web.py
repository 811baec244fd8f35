"""The ledger's web pages: dashboard panel, pay / request form, answering transfers, statement and CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from mccs.ledger.models import Account, Transfer
from tests.ledger.conftest import account, act, number, propose


def browser_for(member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def test_dashboard_panel_shows_balance_available_credit_and_pending(alice, bob):
    propose(bob, alice, 20, description="Honey")
    page = browser_for(alice).get("/dashboard").content.decode()
    assert 'data-testid="balance">0.00 mc<' in page  # always with the unit (issue 12, defect 2)
    assert 'data-testid="available">500.00 mc<' in page
    assert "Bob&#x27;s Farm</strong> wants to pay you <strong>20.00" in page
    assert 'value="accept"' in page and 'value="reject"' in page and 'value="cancel"' not in page


@pytest.mark.parametrize("query", ["Bob's Farm", "bob's", None])
def test_pay_by_name_or_account_number(alice, bob, query):
    response = browser_for(alice).post(
        "/transfers/new",
        {"direction": "out", "counterparty": query or number(bob), "amount": "12.50", "description": "Bread"},
    )
    assert response.status_code == 302, response.content.decode()
    transfer = Transfer.objects.get()
    assert (transfer.payer, transfer.payee, transfer.amount, transfer.description) == (
        account(alice),
        account(bob),
        1250,
        "Bread",
    )


def test_the_form_explains_what_is_wrong(alice, bob, make_member):
    make_member(name="Bob's Bikes", status="tradingAccepted")
    client = browser_for(alice)
    page = client.post(
        "/transfers/new", {"direction": "in", "counterparty": "bob", "amount": "5"}
    ).content.decode()
    assert "Several members match" in page
    page = client.post("/transfers/new", {"direction": "in", "counterparty": "nobody", "amount": "5"}).content
    assert b"No member accepted for trading matches" in page
    page = client.post("/transfers/new", {"direction": "in", "counterparty": "Bob's Farm", "amount": "1.234"})
    assert b"at most two decimals" in page.content
    page = client.post("/transfers/new", {"direction": "out", "counterparty": "Bob's Farm", "amount": "900"})
    assert b"below its limit" in page.content
    assert not Transfer.objects.exists()


def test_accept_reject_and_cancel_from_the_dashboard_with_and_without_htmx(alice, bob):
    first = propose(bob, alice, 20).json()["data"]["id"]
    second = propose(bob, alice, 5).json()["data"]["id"]
    third = propose(alice, bob, 1).json()["data"]["id"]
    client = browser_for(alice)
    partial = client.post(f"/transfers/{first}/act", {"action": "accept"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    html = partial.content.decode()
    assert html.lstrip().startswith('<section id="ledger-panel"') and "Transfer accepted" in html
    assert 'data-testid="balance">20.00 mc<' in html
    response = client.post(
        f"/transfers/{second}/act", {"action": "reject", "reason": "Too much", "next": "/transfers"}
    )
    assert response.status_code == 302 and response["Location"] == "/transfers"
    assert Transfer.objects.get(pk=second).cancellation_reason == "Too much"
    # Alice cannot accept her own proposal; she can cancel it
    html = client.post(
        f"/transfers/{third}/act", {"action": "accept"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "Only the receiver" in html
    client.post(f"/transfers/{third}/act", {"action": "cancel"})
    assert Transfer.objects.get(pk=third).state == "cancelled"
    # a foreign redirect target is ignored
    response = client.post(f"/transfers/{third}/act", {"action": "cancel", "next": "https://evil.example/"})
    assert response["Location"] == "/dashboard"


def test_statement_has_running_balance_date_filter_and_csv(alice, bob):
    for amount in (10, 2.5):
        act(bob, propose(alice, bob, amount, description="=HYPERLINK(1)").json()["data"]["id"], "accept")
    act(alice, propose(bob, alice, 4).json()["data"]["id"], "accept")
    client = browser_for(alice)
    page = client.get("/transfers").content.decode()
    assert [cell.split("<")[0] for cell in page.split('data-testid="running-balance">')[1:]] == [
        "-8.50",  # newest first
        "-12.50",
        "-10.00",
    ]
    assert "closing balance -8.50 mc" in page
    assert "Balance (mc)</th>" in page and 'data-label="Amount (mc)"' in page  # the unit heads the columns
    assert "No completed transfers" in client.get("/transfers?date_to=2000-01-01").content.decode()
    assert "must look like" in client.get("/transfers?date_from=yesterday").content.decode()
    response = client.get("/transfers?format=csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming  # sent as it is read, never built whole in memory
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][-2:] == ["amount", "balance"]
    assert [(r[5], r[6]) for r in rows[1:]] == [("-10.00", "-10.00"), ("-2.50", "-12.50"), ("4.00", "-8.50")]
    assert rows[1][4] == "'=HYPERLINK(1)"
    assert Account.objects.get(entity=alice.entity).balance == -850


def test_pages_need_a_member(client, admin):
    assert client.get("/transfers")["Location"].startswith("/login")
    client.force_login(admin)
    assert client.get("/transfers").status_code == 404
